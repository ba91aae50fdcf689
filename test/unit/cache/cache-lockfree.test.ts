// Lock-free reads (get/exists/num under a per-shard sequence number) in one process: when they
// are used, what they count, when they hand over to the locked path, and that no garbage in the
// regions can make them throw or spin.
import { test } from "node:test";
import assert from "node:assert/strict";
import { ManualClock } from "../../../src/core/clock.js";
import { LocalMutex, type Mutex } from "../../../src/core/mutex.js";
import { cacheLayout } from "../../../src/engines/cache/cache-layout.js";
import { parseCache2Option } from "../../../src/engines/cache/cache-options.js";
import { B, START_MS, cacheOf, engineOver, sharedSetup } from "./make-cache.js";

/** A LocalMutex that counts how often it was taken. */
class CountingMutex extends LocalMutex {
  locks = 0;
  override lock(): boolean {
    this.locks++;
    return super.lock();
  }
}

const lockFree = process.arch === "x64";

test("get, exists and num take no mutex (x64); purge_lru caches always lock", { skip: !lockFree && "lock-free reads are x64-only" }, () => {
  for (const [spec, locking] of [
    ["name=f,items=16,blocksize=32,hashsize=8", false],
    ["name=f,items=16,blocks=16,blocksize=8,bitmap=1,hashsize=8", false],
    ["name=f,items=16,blocksize=32,hashsize=8,purge_lru=1", true],
  ] as const) {
    const opts = parseCache2Option(spec);
    const setup = sharedSetup(opts, (label): Mutex => new CountingMutex(label));
    const cache = engineOver(opts, setup, new ManualClock(START_MS), "init");
    cache.set(B("k"), B("value"));
    cache.math("inc", B("n"), 42n);
    const all = [...setup.locks.shards, setup.locks.global] as CountingMutex[];
    const taken = (): number => all.reduce((n, m) => n + m.locks, 0);
    const before = taken();
    assert.deepEqual(cache.get(B("k")), B("value"));
    assert.equal(cache.get(B("missing")), null);
    assert.equal(cache.exists(B("k")), true);
    assert.equal(cache.exists(B("missing")), false);
    assert.equal(cache.num(B("n")), 42n);
    assert.equal(cache.num(B("k")), 0n, "a value that is not 8 bytes reads as 0");
    assert.equal(cache.num(B("missing")), 0n);
    assert.equal(taken() > before, locking, spec);
    const s = cache.stats();
    assert.equal(s.hits, 3);
    assert.equal(s.miss, 2);
  }
});

test("an expired item met by a lock-free read is deleted under the lock", () => {
  const { cache, clock } = cacheOf("name=f,items=16,blocksize=32,hashsize=8");
  cache.set(B("soon"), B("v"), 5);
  cache.set(B("later"), B("w"), 50);
  cache.math("inc", B("n"), 1n, 5);
  clock.advance(6_000);
  const before = cache.optimisticReads.fallbacks;
  assert.equal(cache.exists(B("soon")), false);
  assert.equal(cache.get(B("soon")), null);
  assert.equal(cache.num(B("n")), 0n);
  assert.deepEqual(cache.get(B("later")), B("w"));
  assert.equal(cache.stats().items, 1, "both expired items were deleted");
  if (lockFree) assert.equal(cache.optimisticReads.fallbacks, before + 2, "one locked read per expired item");
});

test("keys longer than keysize are misses without a lookup", () => {
  const { cache } = cacheOf("name=f,items=16,blocksize=32,hashsize=8,keysize=4");
  assert.equal(cache.get(B("too long")), null);
  assert.equal(cache.exists(B("too long")), false);
  assert.equal(cache.num(B("too long")), 0n);
  assert.equal(cache.stats().miss, 2);
});

test("garbage in the regions never makes a read throw or spin", () => {
  const opts = parseCache2Option("name=f,items=32,blocks=64,blocksize=16,bitmap=1,hashsize=8,keysize=8");
  const setup = sharedSetup(opts);
  const cache = engineOver(opts, setup, new ManualClock(START_MS), "init");
  const layout = cacheLayout(opts);
  let seed = 7;
  const rnd = (): number => {
    seed = (Math.imul(seed, 1103515245) + 12345) >>> 0;
    return seed;
  };
  const data = new Uint8Array(setup.regions.data);
  const buckets = new Uint32Array(setup.regions.meta, layout.bucketsOffset, opts.hashsize);
  for (let round = 0; round < 50; round++) {
    cache.clear();
    for (let i = 0; i < 10; i++) cache.update(B(`k${i}`), Buffer.alloc(1 + (rnd() % 40), i));
    // Scribble over slot headers and bucket heads, with small numbers (plausible slot and block
    // indexes, lengths) and big ones.
    for (let i = 0; i < 20; i++) {
      const off = (rnd() % layout.blocksOffset) & ~3;
      new DataView(data.buffer).setUint32(off, rnd() % 3 === 0 ? rnd() : rnd() % 70, true);
    }
    buckets[rnd() % opts.hashsize] = rnd() % 3 === 0 ? rnd() : rnd() % 40;
    for (let i = 0; i < 12; i++) {
      const key = B(`k${i}`);
      const v = cache.get(key);
      assert.ok(v === null || (v.length >= 1 && v.length <= cache.maxItemSize()), `length ${v?.length}`);
      cache.exists(key);
      cache.num(key);
    }
  }
  cache.clear();
  assert.equal(cache.update(B("probe"), B("p")), true);
  assert.deepEqual(cache.get(B("probe")), B("p"));
});
