import { test } from "node:test";
import assert from "node:assert/strict";
import { ManualClock } from "../../../src/core/clock.js";
import { LocalMutex } from "../../../src/core/mutex.js";
import { isUwsgiError } from "../../../src/errors.js";
import { CacheEngine } from "../../../src/engines/cache/cache-engine.js";
import { ITEM, cacheLayout } from "../../../src/engines/cache/cache-layout.js";
import { parseCache2Option } from "../../../src/engines/cache/cache-options.js";
import { djb33x } from "../../../src/engines/cache/hash.js";
import { B, START_MS, cacheOf, engineOver, fill, keyNames, sharedSetup } from "./make-cache.js";

test("cache: items=N stores N-1 keys (slot 0 is reserved)", () => {
  const { cache } = cacheOf("name=c,items=10,blocksize=64");
  assert.equal(fill(cache), 9);
  assert.equal(cache.set(B("extra"), B("x")), false);
  assert.equal(cache.stats().items, 9);
  assert.equal(cache.del(B("k3")), true);
  assert.equal(cache.set(B("extra"), B("x")), true, "a deleted slot is reused");
  assert.equal(cacheOf("name=c,items=1,blocksize=64").cache.set(B("a"), B("b")), false, "items=1 holds nothing");
});

test("cache: set never overwrites a live key, update does", () => {
  const { cache } = cacheOf("name=c,items=5,blocksize=64");
  assert.equal(cache.set(B("k"), B("v1")), true);
  assert.equal(cache.set(B("k"), B("v2")), false);
  assert.deepEqual(cache.get(B("k")), B("v1"));
  assert.equal(cache.update(B("k"), B("a longer value")), true);
  assert.deepEqual(cache.get(B("k")), B("a longer value"));
  assert.equal(cache.update(B("k"), B("s")), true);
  assert.deepEqual(cache.get(B("k")), B("s"), "a shorter value is not padded with the old bytes");
  assert.equal(cache.update(B("new"), B("created")), true, "update creates");
  assert.deepEqual(cache.get(B("new")), B("created"));
});

test("cache: empty keys and empty values are refused", () => {
  const { cache } = cacheOf("name=c,items=5,blocksize=64");
  assert.equal(cache.set(B("k"), B("")), false);
  assert.equal(cache.update(B("k"), B("")), false);
  assert.equal(cache.set(B(""), B("v")), false);
  assert.equal(cache.update(B(""), B("v")), false);
  assert.equal(cache.get(B("")), null);
  assert.equal(cache.exists(B("")), false);
  assert.equal(cache.del(B("")), false);
  assert.equal(cache.stats().items, 0);
});

test("cache: a value of exactly blocksize fits, one byte more does not", () => {
  const { cache } = cacheOf("name=c,items=5,blocksize=16");
  assert.equal(cache.maxItemSize(), 16);
  assert.equal(cache.set(B("full"), Buffer.alloc(16, 7)), true);
  assert.deepEqual(cache.get(B("full")), Buffer.alloc(16, 7));
  assert.equal(cache.set(B("over"), Buffer.alloc(17, 7)), false);
  assert.equal(cache.update(B("full"), Buffer.alloc(17, 7)), false);
  assert.deepEqual(cache.get(B("full")), Buffer.alloc(16, 7), "a refused update keeps the old value");
});

test("cache: a key of exactly keysize fits, one byte more does not", () => {
  const { cache } = cacheOf("name=c,items=5,blocksize=16,keysize=8");
  assert.equal(cache.set(B("12345678"), B("v")), true);
  assert.deepEqual(cache.get(B("12345678")), B("v"));
  assert.equal(cache.set(B("123456789"), B("v")), false);
  assert.equal(cache.update(B("123456789"), B("v")), false);
  assert.equal(cache.get(B("123456789")), null);
  assert.equal(cache.del(B("123456789")), false);
});

test("cache: get, exists, del and keys see live keys only", () => {
  const { cache } = cacheOf("name=c,items=8,blocksize=16");
  assert.equal(cache.get(B("a")), null);
  assert.equal(cache.exists(B("a")), false);
  assert.equal(cache.del(B("a")), false);
  for (const k of ["a", "b", "c"]) cache.set(B(k), B(k.toUpperCase()));
  assert.equal(cache.exists(B("b")), true);
  assert.deepEqual(keyNames(cache), ["a", "b", "c"]);
  assert.equal(cache.del(B("b")), true);
  assert.equal(cache.del(B("b")), false);
  assert.equal(cache.exists(B("b")), false);
  assert.deepEqual(keyNames(cache), ["a", "c"]);
});

test("cache: values are copied in and out", () => {
  const { cache } = cacheOf("name=c,items=4,blocksize=16");
  const value = B("original");
  cache.set(B("k"), value);
  value.write("XXXXXXXX");
  const out = cache.get(B("k"))!;
  assert.deepEqual(out, B("original"));
  out.write("YYYYYYYY");
  assert.deepEqual(cache.get(B("k")), B("original"));
  const key = cache.keys()[0]!;
  key.write("Z");
  assert.deepEqual(keyNames(cache), ["k"]);
});

test("cache: clear empties the cache and every slot is usable again", () => {
  const { cache } = cacheOf("name=c,items=6,blocksize=16");
  assert.equal(fill(cache), 5);
  assert.equal(cache.clear(), true);
  assert.deepEqual(cache.keys(), []);
  assert.equal(cache.stats().items, 0);
  assert.equal(cache.get(B("k1")), null);
  assert.equal(fill(cache, "again"), 5);
  assert.equal(cache.clear(), true);
  assert.equal(cache.clear(), true, "clearing an empty cache still succeeds");
});

test("cache: hits and misses are counted by get and num, not by exists", () => {
  const { cache } = cacheOf("name=c,items=4,blocksize=16");
  cache.set(B("k"), B("v"));
  cache.get(B("k"));
  cache.get(B("k"));
  cache.get(B("nope"));
  cache.num(B("k"));
  cache.num(B("nope"));
  cache.exists(B("k"));
  cache.exists(B("nope"));
  const s = cache.stats();
  assert.equal(s.hits, 3);
  assert.equal(s.miss, 2);
  assert.deepEqual(
    { name: s.name, hash: s.hash, hashsize: s.hashsize, keysize: s.keysize, max_items: s.max_items, blocks: s.blocks, blocksize: s.blocksize, items: s.items, full: s.full, last_modified_at: s.last_modified_at },
    { name: "c", hash: "djb33x", hashsize: 65536, keysize: 2048, max_items: 4, blocks: 4, blocksize: 16, items: 1, full: 0, last_modified_at: 0 },
  );
});

test("cache: lastmod tracks the time of the last change", () => {
  const { cache, clock } = cacheOf("name=c,items=4,blocksize=16,lastmod=1");
  assert.equal(cache.stats().last_modified_at, 0);
  cache.set(B("k"), B("v"));
  assert.equal(cache.stats().last_modified_at, START_MS / 1000);
  clock.advance(5000);
  cache.get(B("k"));
  assert.equal(cache.stats().last_modified_at, START_MS / 1000, "reads do not modify");
  cache.update(B("k"), B("w"));
  assert.equal(cache.stats().last_modified_at, START_MS / 1000 + 5);
  clock.advance(5000);
  cache.del(B("k"));
  assert.equal(cache.stats().last_modified_at, START_MS / 1000 + 10);
});

test("cache: slots are handed out from the top of the free stack, as in a uWSGI store file", () => {
  const opts = parseCache2Option("name=c,items=4,keysize=8,blocksize=16");
  const setup = sharedSetup(opts);
  const cache = engineOver(opts, setup, new ManualClock(START_MS), "init");
  const layout = cacheLayout(opts);
  const data = Buffer.from(setup.regions.data);
  const keyAt = (slot: number): string => {
    const ks = Number(data.readBigUInt64LE(slot * layout.slotBytes + ITEM.keysize));
    return data.subarray(slot * layout.slotBytes + ITEM.key, slot * layout.slotBytes + ITEM.key + ks).toString();
  };
  const valueAt = (block: number, len: number): string => data.subarray(layout.blocksOffset + block * 16, layout.blocksOffset + block * 16 + len).toString();
  cache.set(B("first"), B("one"));
  cache.set(B("second"), B("two"));
  assert.equal(keyAt(3), "first");
  assert.equal(keyAt(2), "second");
  assert.equal(valueAt(3, 3), "one");
  assert.equal(valueAt(2, 3), "two");
  assert.equal(data.readBigUInt64LE(3 * layout.slotBytes + ITEM.hash), BigInt(djb33x(B("first"))));
  assert.equal(data.readBigUInt64LE(3 * layout.slotBytes + ITEM.firstBlock), 3n);
  assert.equal(data.readBigUInt64LE(3 * layout.slotBytes + ITEM.valsize), 3n);
  cache.del(B("first"));
  assert.equal(keyAt(3), "", "a deleted slot has keysize 0");
  cache.set(B("third"), B("333"));
  assert.equal(keyAt(3), "third", "the freed slot is reused first (LIFO)");
});

test("cache: expires must be a whole number of seconds >= 0", () => {
  const { cache } = cacheOf("name=c,items=4,blocksize=16");
  for (const bad of [-1, 1.5, Number.NaN, Infinity]) {
    assert.throws(() => cache.set(B("k"), B("v"), bad), (err) => isUwsgiError(err, "UWSGI_ERR_INVALID_ARGUMENT") && err.message.includes("expires"));
    assert.throws(() => cache.update(B("k"), B("v"), bad), (err) => isUwsgiError(err, "UWSGI_ERR_INVALID_ARGUMENT"));
    assert.throws(() => cache.math("inc", B("k"), 1n, bad), (err) => isUwsgiError(err, "UWSGI_ERR_INVALID_ARGUMENT"));
  }
  assert.equal(cache.stats().items, 0);
});

test("cache engine: refuses regions that are too small and a wrong number of shard locks", () => {
  const opts = parseCache2Option("name=c,items=4,blocksize=16");
  const setup = sharedSetup(opts);
  const clock = new ManualClock(START_MS);
  assert.throws(
    () => new CacheEngine(opts, { meta: new ArrayBuffer(8), data: setup.regions.data }, setup.locks, clock, "init"),
    (err) => isUwsgiError(err, "UWSGI_ERR_CACHE_REGION") && /meta region/.test(err.message),
  );
  assert.throws(
    () => new CacheEngine(opts, { meta: setup.regions.meta, data: new ArrayBuffer(100) }, setup.locks, clock, "init"),
    (err) => isUwsgiError(err, "UWSGI_ERR_CACHE_REGION") && /data region/.test(err.message),
  );
  assert.throws(
    () => new CacheEngine(opts, setup.regions, { shards: [new LocalMutex()], global: new LocalMutex() }, clock, "init"),
    (err) => isUwsgiError(err, "UWSGI_ERR_INVALID_ARGUMENT") && /shard mutexes/.test(err.message),
  );
});

test("cache: hash collisions chain correctly (hashsize=1)", () => {
  const { cache } = cacheOf("name=c,items=20,blocksize=16,hashsize=1");
  for (let i = 0; i < 19; i++) assert.equal(cache.set(B(`k${i}`), B(`v${i}`)), true);
  for (const i of [0, 9, 18, 4]) assert.equal(cache.del(B(`k${i}`)), true);
  for (let i = 0; i < 19; i++) assert.deepEqual(cache.get(B(`k${i}`)), [0, 9, 18, 4].includes(i) ? null : B(`v${i}`));
  assert.equal(cache.keys().length, 15);
});

test("cache: murmur2 caches work the same", () => {
  const { cache } = cacheOf("name=c,items=6,blocksize=16,hash=murmur2,hashsize=3");
  assert.equal(fill(cache), 5);
  assert.deepEqual(cache.get(B("k4")), B("v4"));
  assert.equal(cache.stats().hash, "murmur2");
});

test("cache: keys() returns plain Buffers of every length that stay independent of the cache", () => {
  const { cache } = cacheOf("name=c,items=8,blocksize=16,keysize=2048");
  const names = ["k", "key-0000000042", "x".repeat(1023), "y".repeat(1025), "z".repeat(2048)];
  for (const n of names) assert.equal(cache.set(n, B("v")), true);
  const keys = cache.keys();
  for (const k of keys) assert.equal(Object.getPrototypeOf(k), Buffer.prototype, "a plain Buffer");
  assert.deepEqual(keys.map(String).sort(), [...names].sort());
  cache.clear();
  for (const n of names) cache.set(n.replace(/./g, "q"), B("w"));
  assert.deepEqual(keys.map(String).sort(), [...names].sort(), "later writes to the cache do not show");
});

test("cache: del reads the clock only when it needs the time (an expiry to check, lastmod)", () => {
  let reads = 0;
  const clock = new ManualClock(START_MS);
  const counting = { nowMs: () => (reads++, clock.nowMs()) };
  const { cache } = cacheOf("name=c,items=8,blocksize=16", counting as unknown as ManualClock);
  cache.set(B("forever"), B("v"));
  cache.set(B("soon"), B("v"), 2);
  reads = 0;
  assert.equal(cache.del(B("forever")), true);
  assert.equal(cache.del(B("absent")), false);
  assert.equal(reads, 0, "no expiry, no lastmod: no clock read");
  clock.advance(2000);
  assert.equal(cache.del(B("soon")), false, "expired at its second: nothing to delete");
  assert.ok(reads > 0, "an item with an expiry needs the time");
  assert.equal(cache.stats().items, 0);
});
