// The worker's request-log batcher: lines queued close together go out in one write, whole and in
// order; a full batch is written at once; flush() writes what waits (exit paths rely on it).
import { test } from "node:test";
import assert from "node:assert/strict";
import { FLUSH_BYTES, LineBatcher } from "../../../src/server/line-batcher.js";

/** A batcher whose writes are recorded; `next()` resolves with the next write. */
function recorder(): { batcher: LineBatcher; writes: string[]; next: () => Promise<string> } {
  const writes: string[] = [];
  let waiting: ((text: string) => void) | null = null;
  const batcher = new LineBatcher((text) => {
    writes.push(text);
    waiting?.(text);
    waiting = null;
  });
  return { batcher, writes, next: () => new Promise((resolve) => (waiting = resolve)) };
}

test("line batcher: lines queued together are written once, whole, in order; later lines make a new batch", async (t) => {
  // the batcher's timer is unref'd (a worker's servers keep it alive): keep this process alive meanwhile
  const alive = setInterval(() => undefined, 60_000);
  t.after(() => clearInterval(alive));
  const { batcher, writes, next } = recorder();
  const first = next();
  batcher.line("a");
  batcher.line("b");
  batcher.line("c");
  assert.equal(writes.length, 0, "nothing written synchronously");
  assert.equal(await first, "a\nb\nc\n");
  const second = next();
  batcher.line("d");
  assert.equal(await second, "d\n");
  assert.deepEqual(writes, ["a\nb\nc\n", "d\n"]);
});

test("line batcher: a batch reaching FLUSH_BYTES is written at once, and flush() writes what waits", () => {
  const { batcher, writes } = recorder();
  const long = "x".repeat(1000);
  const lines = Math.ceil(FLUSH_BYTES / (long.length + 1));
  for (let i = 0; i < lines; i++) batcher.line(long);
  assert.equal(writes.length, 1, "written as soon as the batch is full");
  assert.equal(writes[0], `${long}\n`.repeat(lines));
  batcher.line("tail");
  batcher.flush();
  assert.deepEqual(writes.slice(1), ["tail\n"]);
  batcher.flush();
  assert.equal(writes.length, 2, "an empty flush writes nothing");
});
