// Hit/miss counters: each engine counts locally and adds to the shared region once per tick.
import { test } from "node:test";
import assert from "node:assert/strict";
import { ManualClock } from "../../../src/core/clock.js";
import { cacheLayout, SHARD_LINE_BYTES, SHARD_STATS } from "../../../src/engines/cache/cache-layout.js";
import { parseCache2Option } from "../../../src/engines/cache/cache-options.js";
import { B, START_MS, engineOver, sharedSetup } from "./make-cache.js";

const tick = (): Promise<void> => new Promise((resolve) => queueMicrotask(resolve));

test("hit/miss counts: exact in the counting engine at once, in other engines over the same memory after the tick", async () => {
  const opts = parseCache2Option("name=s,items=64,blocksize=16");
  const setup = sharedSetup(opts);
  const clock = new ManualClock(START_MS);
  const a = engineOver(opts, setup, clock, "init");
  const b = engineOver(opts, setup, clock, "attach");
  a.set(B("k"), B("v"));
  for (let i = 0; i < 5; i++) a.get(B("k"));
  for (let i = 0; i < 3; i++) a.get(B(`missing ${i}`));
  assert.deepEqual([a.stats().hits, a.stats().miss], [5, 3], "the counting engine sees its own counts immediately");
  for (let i = 0; i < 4; i++) b.get(B("k"));
  b.get(B("absent"));
  await tick();
  assert.deepEqual([a.stats().hits, a.stats().miss], [9, 4], "the other engine's counts land once its tick ends");
  assert.deepEqual([b.stats().hits, b.stats().miss], [9, 4]);
});

test("hit counts carry into the high word of the shared 64-bit counter", async () => {
  const opts = parseCache2Option("name=s,items=4,blocksize=16");
  const setup = sharedSetup(opts);
  const cache = engineOver(opts, setup, new ManualClock(START_MS), "init");
  const layout = cacheLayout(opts);
  const u32 = new Uint32Array(setup.regions.meta);
  for (let s = 0; s < layout.shardCount; s++) u32[layout.shardStatsOffset / 4 + (s * SHARD_LINE_BYTES) / 4 + SHARD_STATS.hitsLow] = 0xfffffffe;
  cache.set(B("k"), B("v"));
  for (let i = 0; i < 3; i++) cache.get(B("k"));
  await tick();
  assert.equal(cache.stats().hits, layout.shardCount * 0xfffffffe + 3);
  assert.equal(cache.stats().hits, layout.shardCount * 0xfffffffe + 3, "reading again adds nothing");
});
