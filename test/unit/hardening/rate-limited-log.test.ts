import { test } from "node:test";
import assert from "node:assert/strict";
import { RateLimitedLog } from "../../../src/core/rate-limited-log.js";

test("rate-limited log: a burst per key and window, then one summary with the count", (t) => {
  t.mock.timers.enable({ apis: ["setTimeout", "Date"], now: 1_000_000 });
  const lines: string[] = [];
  const log = new RateLimitedLog((l) => lines.push(l), { burst: 2, windowMs: 1000 });
  for (let i = 0; i < 1202; i++) log.line("full", "cache is FULL");
  log.line("other", "another line");
  assert.deepEqual(lines, ["cache is FULL", "cache is FULL", "another line"]);
  t.mock.timers.tick(1000);
  assert.deepEqual(lines.slice(3), ["cache is FULL ... repeated 1200 times in 1 s"]);
  // the next window starts fresh
  log.line("full", "cache is FULL");
  assert.equal(lines.at(-1), "cache is FULL");
  assert.equal(lines.length, 5);
});

test("rate-limited log: flush() writes pending summaries; a quiet window writes none", (t) => {
  t.mock.timers.enable({ apis: ["setTimeout", "Date"], now: 5_000 });
  const lines: string[] = [];
  const log = new RateLimitedLog((l) => lines.push(l), { burst: 1, windowMs: 10_000 });
  log.line("a", "x");
  t.mock.timers.tick(20_000);
  assert.deepEqual(lines, ["x"]);
  log.line("a", "x");
  log.line("a", "x");
  log.flush();
  assert.deepEqual(lines, ["x", "x", "x ... repeated 1 times in 1 s"]);
});

test("rate-limited log: the number of remembered keys is bounded (the oldest is summarised)", () => {
  const lines: string[] = [];
  const log = new RateLimitedLog((l) => lines.push(l), { burst: 1, maxKeys: 2 });
  log.line("k1", "one");
  log.line("k1", "one");
  log.line("k2", "two");
  log.line("k3", "three");
  assert.deepEqual(lines, ["one", "two", "one ... repeated 1 times in 1 s", "three"]);
  log.flush();
});
