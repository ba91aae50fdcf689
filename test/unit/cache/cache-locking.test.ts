// Which mutexes each operation takes: the global mutex only where the free stack, the bitmap or
// the LRU list change; counters and scan times updated without it stay right.
import { test } from "node:test";
import assert from "node:assert/strict";
import { ManualClock } from "../../../src/core/clock.js";
import { LocalMutex, type Mutex } from "../../../src/core/mutex.js";
import { parseCache2Option } from "../../../src/engines/cache/cache-options.js";
import { B, START_MS, engineOver, sharedSetup } from "./make-cache.js";

/** A LocalMutex that counts how often it was taken. */
class CountingMutex extends LocalMutex {
  locks = 0;
  override lock(): boolean {
    this.locks++;
    return super.lock();
  }
}

function rig(spec: string) {
  const opts = parseCache2Option(spec);
  const mutexes: CountingMutex[] = [];
  const setup = sharedSetup(opts, (label): Mutex => {
    const m = new CountingMutex(label);
    mutexes.push(m);
    return m;
  });
  const clock = new ManualClock(START_MS);
  const cache = engineOver(opts, setup, clock, "init");
  const global = setup.locks.global as CountingMutex;
  return { cache, clock, global, shards: setup.locks.shards as CountingMutex[] };
}

test("replacing a value in place and math on an existing key take the shard mutex only", () => {
  const { cache, global, shards } = rig("name=l,items=16,blocksize=32,hashsize=8,lastmod=1");
  assert.equal(cache.update(B("k"), B("v1")), true);
  assert.equal(cache.math("inc", B("n"), 1n), true);
  const before = global.locks;
  const shardLocks = shards.reduce((n, m) => n + m.locks, 0);
  assert.equal(cache.update(B("k"), B("v2"), 60), true, "with an expiry");
  assert.equal(cache.update(B("k"), B("v3")), true);
  assert.equal(cache.math("inc", B("n"), 5n), true);
  assert.equal(cache.math("mul", B("n"), 3n, 10), true);
  assert.equal(global.locks, before, "no global mutex");
  assert.equal(shards.reduce((n, m) => n + m.locks, 0), shardLocks + 4, "one shard mutex per operation");
  assert.deepEqual(cache.get(B("k")), B("v3"));
  assert.equal(cache.num(B("n")), 18n);
});

test("inserting, deleting, bitmap and LRU updates still take the global mutex", () => {
  const plain = rig("name=l,items=16,blocksize=32,hashsize=8");
  let before = plain.global.locks;
  plain.cache.set(B("new"), B("v"));
  assert.equal(plain.global.locks, before + 1, "insert");
  before = plain.global.locks;
  plain.cache.del(B("new"));
  assert.equal(plain.global.locks, before + 1, "delete");

  const lru = rig("name=l,items=16,blocksize=32,hashsize=8,purge_lru=1");
  lru.cache.set(B("k"), B("v"));
  before = lru.global.locks;
  lru.cache.update(B("k"), B("w"));
  assert.equal(lru.global.locks, before + 1, "LRU update");

  const bitmap = rig("name=l,items=16,blocks=16,blocksize=8,bitmap=1,hashsize=8");
  bitmap.cache.set(B("k"), B("v"));
  before = bitmap.global.locks;
  bitmap.cache.update(B("k"), B("longer than one block"));
  assert.equal(bitmap.global.locks, before + 1, "bitmap update");
});

test("an expiry set by an in-place update (no global mutex) is found by the sweeper", () => {
  const { cache, clock } = rig("name=l,items=16,blocksize=32,hashsize=8");
  cache.set(B("a"), B("1"));
  cache.set(B("b"), B("2"));
  clock.advance(10_000);
  assert.equal(cache.sweep(), 0, "nothing expires yet");
  assert.equal(cache.update(B("a"), B("1"), 5), true);
  assert.equal(cache.math("inc", B("c"), 1n, 50), true);
  clock.advance(6_000);
  assert.equal(cache.sweep(), 1);
  assert.deepEqual(cache.keys().map(String).sort(), ["b", "c"]);
  clock.advance(50_000);
  assert.equal(cache.sweep(), 1);
  assert.deepEqual(cache.keys().map(String), ["b"]);
});

test("last_modified_at follows in-place updates made under the shard mutex alone", () => {
  const { cache, clock } = rig("name=l,items=16,blocksize=32,hashsize=8,lastmod=1");
  cache.set(B("a"), B("1"));
  const first = cache.stats().last_modified_at;
  clock.advance(5_000);
  cache.update(B("a"), B("2"));
  assert.equal(cache.stats().last_modified_at, first + 5);
  clock.advance(5_000);
  cache.math("inc", B("a"), 1n);
  assert.equal(cache.stats().last_modified_at, first + 10);
});

test("hit and miss counters add up over every shard", () => {
  const { cache } = rig("name=l,items=64,blocksize=32,hashsize=64");
  for (let i = 0; i < 40; i++) cache.set(B(`k${i}`), B("v"));
  for (let i = 0; i < 60; i++) cache.get(B(`k${i}`));
  for (let i = 0; i < 10; i++) cache.num(B(`k${i}`));
  const s = cache.stats();
  assert.equal(s.hits, 50);
  assert.equal(s.miss, 20);
});
