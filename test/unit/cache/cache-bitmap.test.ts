import { test } from "node:test";
import assert from "node:assert/strict";
import { ManualClock } from "../../../src/core/clock.js";
import { ITEM, cacheLayout } from "../../../src/engines/cache/cache-layout.js";
import { parseCache2Option } from "../../../src/engines/cache/cache-options.js";
import { BlockBitmap } from "../../../src/engines/cache/block-bitmap.js";
import { B, START_MS, cacheOf, engineOver, keyNames, sharedSetup } from "./make-cache.js";

const bytes = (n: number, fillByte: number): Buffer => Buffer.alloc(n, fillByte);

test("bitmap: values span consecutive blocks, max item size is blocksize x blocks", () => {
  const { cache } = cacheOf("name=b,items=4,blocks=10,blocksize=8,bitmap=1");
  assert.equal(cache.maxItemSize(), 80);
  assert.equal(cache.set(B("big"), bytes(30, 1)), true, "4 blocks");
  assert.equal(cache.set(B("mid"), bytes(17, 2)), true, "3 blocks");
  assert.deepEqual(cache.get(B("big")), bytes(30, 1));
  assert.deepEqual(cache.get(B("mid")), bytes(17, 2));
  assert.equal(cache.set(B("too"), bytes(81, 3)), false);
  assert.equal(cache.set(B("rest"), bytes(25, 3)), false, "4 blocks wanted, 3 left");
  assert.equal(cache.set(B("rest"), bytes(24, 3)), true, "exactly the 3 remaining blocks");
  assert.deepEqual(cache.get(B("rest")), bytes(24, 3));
  assert.equal(cache.stats().full, 1);
});

test("bitmap: an update needs room for the new copy before the old one is freed", () => {
  const { cache } = cacheOf("name=b,items=4,blocks=4,blocksize=8,bitmap=1");
  assert.equal(cache.set(B("k"), bytes(24, 1)), true, "3 of 4 blocks");
  assert.equal(cache.update(B("k"), bytes(16, 2)), false, "2 new blocks needed, only 1 free");
  assert.deepEqual(cache.get(B("k")), bytes(24, 1), "the old value survives a failed update");
  assert.equal(cache.update(B("k"), bytes(8, 3)), true, "1 new block fits, then the old 3 are freed");
  assert.deepEqual(cache.get(B("k")), bytes(8, 3));
  assert.equal(cache.set(B("other"), bytes(24, 4)), true, "the 3 freed blocks are usable again");
  assert.deepEqual(keyNames(cache), ["k", "other"]);
});

test("bitmap: first-fit from after the previous allocation, then wrapping to block 0", () => {
  const opts = parseCache2Option("name=b,items=6,blocks=8,blocksize=4,bitmap=1");
  const setup = sharedSetup(opts);
  const cache = engineOver(opts, setup, new ManualClock(START_MS), "init");
  const layout = cacheLayout(opts);
  const data = Buffer.from(setup.regions.data);
  const firstBlockOf = (key: string): number => {
    for (let slot = 1; slot < opts.items; slot++) {
      const off = slot * layout.slotBytes;
      const ks = Number(data.readBigUInt64LE(off + ITEM.keysize));
      if (ks && data.subarray(off + ITEM.key, off + ITEM.key + ks).toString() === key) return Number(data.readBigUInt64LE(off + ITEM.firstBlock));
    }
    return -1;
  };
  cache.set(B("a"), bytes(8, 1)); // blocks 0-1
  cache.set(B("b"), bytes(4, 2)); // block 2
  cache.set(B("c"), bytes(8, 3)); // blocks 3-4
  assert.deepEqual([firstBlockOf("a"), firstBlockOf("b"), firstBlockOf("c")], [0, 2, 3]);
  cache.del(B("a"));
  cache.set(B("d"), bytes(4, 4));
  assert.equal(firstBlockOf("d"), 5, "the scan continues after the last allocation, not at the hole");
  cache.set(B("e"), bytes(8, 5));
  assert.equal(firstBlockOf("e"), 6);
  cache.set(B("f"), bytes(8, 6));
  assert.equal(firstBlockOf("f"), 0, "wrapped around into the hole left by a");
  for (const [k, v] of [["b", 2], ["c", 3], ["d", 4], ["e", 5], ["f", 6]] as const) assert.equal(cache.get(B(k))![0], v);
});

test("bitmap: deleting frees every block of a multi-block value", () => {
  const { cache } = cacheOf("name=b,items=3,blocks=5,blocksize=4,bitmap=1");
  assert.equal(cache.set(B("a"), bytes(20, 1)), true);
  assert.equal(cache.set(B("b"), bytes(1, 2)), false);
  cache.del(B("a"));
  assert.equal(cache.set(B("b"), bytes(12, 2)), true);
  assert.equal(cache.set(B("c"), bytes(8, 3)), true);
});

test("block bitmap: padding bits are never handed out; find respects the start and the wrap", () => {
  const bits = new Uint8Array(2);
  const bm = new BlockBitmap(bits, 10);
  bm.reset();
  assert.equal(bits[1], 0x3f, "bits for blocks 10..15 are set");
  assert.equal(bm.find(10, 0), 0);
  assert.equal(bm.find(11, 0), -1);
  bm.mark(0, 3);
  assert.equal(bm.find(2, 0), 3);
  assert.equal(bm.find(2, 8), 8);
  assert.equal(bm.find(3, 8), 3, "no room after 8: wrap to the start");
  bm.unmark(1, 1);
  assert.equal(bm.isUsed(1), false);
  assert.equal(bm.isFree(1, 1), true);
  assert.equal(bm.isFree(9, 2), false, "out of range");
  assert.equal(BlockBitmap.blocksFor(0, 8), 1);
  assert.equal(BlockBitmap.blocksFor(17, 8), 3);
});
