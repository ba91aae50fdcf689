import { test } from "node:test";
import assert from "node:assert/strict";
import { cacheLayout, cacheRegionSizes, shardCountFor } from "../../../src/engines/cache/cache-layout.js";
import { parseCache2Option } from "../../../src/engines/cache/cache-options.js";

test("data region = uWSGI's filesize: items x (88 + keysize) + blocks x blocksize", () => {
  // uWSGI logs "keys: 480 bytes, data: 80 bytes" for items=5,keysize=8,blocksize=16.
  const l = cacheLayout(parseCache2Option("name=c2,items=5,keysize=8,blocksize=16"));
  assert.equal(l.slotBytes, 96);
  assert.equal(l.blocksOffset, 480);
  assert.equal(l.dataBytes, 480 + 80);
  const bigger = cacheRegionSizes(parseCache2Option("name=c,items=10,blocks=30,blocksize=100,keysize=20"));
  assert.equal(bigger.dataBytes, 10 * 108 + 30 * 100);
});

test("shard count: a power of two, at most 64 and at most hashsize", () => {
  assert.equal(shardCountFor(65536), 64);
  assert.equal(shardCountFor(64), 64);
  assert.equal(shardCountFor(63), 32);
  assert.equal(shardCountFor(5), 4);
  assert.equal(shardCountFor(1), 1);
  assert.equal(cacheRegionSizes(parseCache2Option("name=c,items=4,hashsize=3")).shardCount, 2);
});

test("meta region: aligned sections that fit, a cache line per shard, bitmap only when asked", () => {
  const plain = cacheLayout(parseCache2Option("name=c,items=7,hashsize=13"));
  const bitmap = cacheLayout(parseCache2Option("name=c,items=7,hashsize=13,blocks=17,bitmap=1"));
  for (const l of [plain, bitmap]) {
    for (const off of [l.shardLinesOffset, l.shardStatsOffset, l.bucketsOffset, l.freeStackOffset, l.bitmapOffset, l.metaBytes]) assert.equal(off % 8, 0);
    for (const off of [l.shardLinesOffset, l.shardStatsOffset, l.bucketsOffset]) assert.equal(off % 64, 0);
    assert.ok(l.shardStatsOffset >= l.shardLinesOffset + (l.shardCount + 1) * 64);
    assert.ok(l.bucketsOffset >= l.shardStatsOffset + l.shardCount * 64);
    assert.ok(l.freeStackOffset >= l.bucketsOffset + 13 * 4);
    assert.ok(l.bitmapOffset >= l.freeStackOffset + 7 * 4);
    assert.ok(l.metaBytes >= l.bitmapOffset + l.bitmapBytes);
  }
  assert.equal(plain.bitmapBytes, 0);
  assert.equal(bitmap.bitmapBytes, 3);
});
