import { test } from "node:test";
import assert from "node:assert/strict";
import { ManualClock } from "../../../src/core/clock.js";
import { ITEM, cacheLayout } from "../../../src/engines/cache/cache-layout.js";
import { parseCache2Option, type CacheOptions } from "../../../src/engines/cache/cache-options.js";
import { B, START_MS, engineOver, keyNames, sharedSetup } from "./make-cache.js";

/**
 * The non-zero bytes of a store file uWSGI 2.0.21 wrote for
 * `--cache2 name=a,items=6,keysize=16,blocksize=16,store=FILE --add-cache-item "a s1=v1"
 * --add-cache-item "a \xc3\xa9t\xff=v2"` (720 bytes): the keys sit in slots 5 and 4.
 */
const UWSGI_STORE: Array<[number, string]> = [
  [424, "04000000000000008442aa8300000000020000000000000004"],
  [504, "c3a974ff"],
  [528, "0200000000000000a770590000000000020000000000000005"],
  [608, "7331"],
  [688, "7632"],
  [704, "7631"],
];
const UWSGI_OPTS = "name=a,items=6,keysize=16,blocksize=16";

function storeFile(runs: Array<[number, string]>, size: number): ArrayBuffer {
  const file = Buffer.alloc(size);
  for (const [offset, hex] of runs) Buffer.from(hex, "hex").copy(file, offset);
  return file.buffer.slice(file.byteOffset, file.byteOffset + size);
}

/** A restore-mode engine over a copy of `data` with fresh meta and locks. */
function restoreFrom(opts: CacheOptions, data: ArrayBuffer, clock = new ManualClock(START_MS)) {
  const setup = sharedSetup(opts);
  setup.regions.data = data.slice(0);
  return { cache: engineOver(opts, setup, clock, "restore"), data: Buffer.from(setup.regions.data), setup };
}

test("restore: reads a store file written by uWSGI 2.0.21", () => {
  const opts = parseCache2Option(UWSGI_OPTS);
  assert.equal(cacheLayout(opts).dataBytes, 720);
  const { cache, data } = restoreFrom(opts, storeFile(UWSGI_STORE, 720));
  assert.equal(cache.restored, 2);
  assert.equal(cache.stats().items, 2);
  assert.deepEqual(cache.get(B("s1")), B("v1"));
  assert.deepEqual(cache.get(Buffer.from("c3a974ff", "hex")), B("v2"));
  assert.equal(cache.set(B("new"), B("n")), true);
  const slotOf = (slot: number): string => data.subarray(slot * 104 + ITEM.key, slot * 104 + ITEM.key + 3).toString();
  assert.equal(slotOf(3), "new", "free slots are stacked 1..3, so the highest free one comes first, as in uWSGI");
  assert.equal(cache.set(B("x1"), B("1")), true);
  assert.equal(cache.set(B("x2"), B("2")), true);
  assert.equal(cache.set(B("x3"), B("3")), false, "5 keys in an items=6 cache");
});

test("restore: an engine's data region is a store file another engine (or uWSGI) can load", () => {
  const opts = parseCache2Option("name=r,items=20,keysize=32,blocksize=32,hashsize=4");
  const clock = new ManualClock(START_MS);
  const setup = sharedSetup(opts);
  const first = engineOver(opts, setup, clock, "init");
  for (let i = 0; i < 12; i++) first.set(B(`key-${i}`), B(`value-${i}`), i % 3 === 0 ? 10 : 0);
  first.del(B("key-4"));
  first.math("inc", B("counter"), 41n);
  first.get(B("key-5"));
  clock.advance(5000);
  const { cache } = restoreFrom(opts, setup.regions.data, clock);
  assert.equal(cache.restored, 12);
  assert.deepEqual(keyNames(cache), keyNames(first));
  for (let i = 0; i < 12; i++) assert.deepEqual(cache.get(B(`key-${i}`)), first.get(B(`key-${i}`)));
  assert.equal(cache.num(B("counter")), 41n);
  assert.equal(cache.expiresAt(B("key-3")), START_MS / 1000 + 10, "absolute expiry survives");
  clock.advance(5000);
  assert.equal(cache.get(B("key-3")), null);
  assert.equal(cache.sweep(), 3, "key-0, key-6 and key-9 were still waiting (key-3 went on access)");
});

test("restore: drops expired items and impossible headers, keeps the rest", () => {
  const opts = parseCache2Option("name=r,items=10,keysize=8,blocksize=8");
  const clock = new ManualClock(START_MS);
  const setup = sharedSetup(opts);
  const writer = engineOver(opts, setup, clock, "init");
  for (const k of ["good", "expired", "longkey", "emptyval", "bigval", "moved", "dupe"]) writer.set(B(k), B("v"), k === "expired" ? 1 : 0);
  const layout = cacheLayout(opts);
  const data = Buffer.from(setup.regions.data);
  const slotOf = (key: string): number => {
    for (let s = 1; s < opts.items; s++) {
      if (data.subarray(s * layout.slotBytes + ITEM.key, s * layout.slotBytes + ITEM.key + key.length).toString() === key) return s;
    }
    throw new Error(`no slot for ${key}`);
  };
  const set = (key: string, field: number, value: number): void => {
    data.writeBigUInt64LE(BigInt(value), slotOf(key) * layout.slotBytes + field);
  };
  set("longkey", ITEM.keysize, 9);
  set("emptyval", ITEM.valsize, 0);
  set("bigval", ITEM.valsize, 9);
  set("moved", ITEM.firstBlock, 1);
  // Make "dupe" a second copy of "good" (same key bytes, another slot).
  const dupe = slotOf("dupe");
  data.write("good", dupe * layout.slotBytes + ITEM.key);
  data.writeBigUInt64LE(4n, dupe * layout.slotBytes + ITEM.keysize);
  clock.advance(1000);
  const { cache } = restoreFrom(opts, setup.regions.data, clock);
  assert.equal(cache.restored, 1);
  assert.deepEqual(keyNames(cache), ["good"]);
  assert.equal(cache.stats().items, 1);
  let n = 0;
  while (cache.set(B(`n${n}`), B("v"))) n++;
  assert.equal(n, 8, "every dropped slot went back to the free stack");
});

test("restore: bitmap caches rebuild the bitmap and refuse overlapping blocks", () => {
  const opts = parseCache2Option("name=r,items=5,blocks=8,keysize=8,blocksize=4,bitmap=1");
  const clock = new ManualClock(START_MS);
  const setup = sharedSetup(opts);
  const writer = engineOver(opts, setup, clock, "init");
  writer.set(B("a"), Buffer.alloc(12, 1)); // blocks 0-2
  writer.set(B("b"), Buffer.alloc(8, 2)); // blocks 3-4
  writer.set(B("c"), Buffer.alloc(4, 3)); // block 5
  const layout = cacheLayout(opts);
  const data = Buffer.from(setup.regions.data);
  // Point a (slots are scanned upwards, a sits in the highest one) at blocks 5-7, over c's block:
  // restore must drop it rather than let two items share a block.
  for (let s = 1; s < opts.items; s++) {
    if (data[s * layout.slotBytes + ITEM.key] === "a".charCodeAt(0)) data.writeBigUInt64LE(5n, s * layout.slotBytes + ITEM.firstBlock);
  }
  const { cache } = restoreFrom(opts, setup.regions.data, clock);
  assert.deepEqual(keyNames(cache), ["b", "c"]);
  assert.deepEqual(cache.get(B("b")), Buffer.alloc(8, 2));
  assert.deepEqual(cache.get(B("c")), Buffer.alloc(4, 3));
  assert.equal(cache.set(B("d"), Buffer.alloc(12, 4)), true, "blocks 0-2 are free again");
  assert.equal(cache.set(B("e"), Buffer.alloc(12, 5)), false, "only blocks 6-7 are left");
  assert.equal(cache.set(B("f"), Buffer.alloc(8, 6)), true);
});

test("restore: purge_lru caches keep their LRU order", () => {
  const opts = parseCache2Option("name=r,items=5,keysize=8,blocksize=8,purge_lru=1");
  const clock = new ManualClock(START_MS);
  const setup = sharedSetup(opts);
  const writer = engineOver(opts, setup, clock, "init");
  for (const k of ["a", "b", "c", "d"]) writer.set(B(k), B(k));
  writer.get(B("a"));
  writer.get(B("c"));
  const { cache } = restoreFrom(opts, setup.regions.data, clock);
  cache.set(B("e"), B("e"));
  assert.deepEqual(keyNames(cache), ["a", "c", "d", "e"], "b was least recently used");
  cache.set(B("f"), B("f"));
  assert.deepEqual(keyNames(cache), ["a", "c", "e", "f"], "then d");
});
