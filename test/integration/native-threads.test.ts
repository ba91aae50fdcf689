// Worker threads of one process share its pid: the robust mutex records thread ids, so two
// threads contending on one lock exclude each other (a pid-keyed lock would let both in, or call
// the second a re-entrant lock).
import { after, test } from "node:test";
import assert from "node:assert/strict";
import { join } from "node:path";
import { Worker } from "node:worker_threads";
import { SharedRegion, regionName } from "../../src/native/shared-region.js";
import { RobustMutex } from "../../src/native/robust-mutex.js";

const FIXTURE = join(import.meta.dirname, "..", "..", "..", "test", "fixtures", "native", "counter-thread.mjs");
const region = SharedRegion.create(regionName(`${process.pid}-it`, "threads"), 4096, { replace: true });
after(() => region.unlink());

test("native: two worker threads and the main thread keep an exact counter under one robust mutex", async () => {
  const mutex = RobustMutex.init(region.buffer, 0, "threads");
  const plainAt = RobustMutex.size;
  const plain = new Float64Array(region.buffer, plainAt, 1);
  const iterations = 20_000;
  const threads = [0, 1].map(() => new Worker(FIXTURE, { workerData: { name: region.name, iterations, plainAt } }));
  const ids = threads.map((w) => new Promise<number>((resolve, reject) => w.once("message", resolve).once("error", reject)));
  for (let i = 0; i < iterations; i++) {
    mutex.lock();
    plain[0] = plain[0]! + 1;
    mutex.unlock();
    if (i % 1000 === 0) await new Promise((r) => setImmediate(r));
  }
  const threadIds = await Promise.all(ids);
  await Promise.all(threads.map((w) => w.terminate()));
  assert.equal(plain[0], 3 * iterations);
  assert.equal(new Set([process.pid, ...threadIds]).size, 3, "each thread has its own owner id");
  assert.equal(mutex.ownerPid(), 0, "the lock ends free");
});
