// Randomized model check: long random operation sequences against a small reference model of the
// documented semantics (fixed seeds, so failures reproduce).
import { test } from "node:test";
import assert from "node:assert/strict";
import { ManualClock } from "../../../src/core/clock.js";
import type { CacheEngine, CacheMathOp } from "../../../src/engines/cache/cache-engine.js";
import { maxItemSizeOf, parseCache2Option } from "../../../src/engines/cache/cache-options.js";
import { Model } from "./cache-reference-model.js";
import { START_MS, engineOver, sharedSetup } from "./make-cache.js";
import { mulberry32 } from "../../support/mulberry32.js";


/** Runs `steps` random operations; generated values are at most `valueCap` bytes (plus some oversized ones). */
function run(spec: string, seed: number, steps: number, valueCap = Infinity): void {
  const opts = parseCache2Option(spec);
  const clock = new ManualClock(START_MS);
  const setup = sharedSetup(opts);
  const engines: CacheEngine[] = [engineOver(opts, setup, clock, "init"), engineOver(opts, setup, clock, "attach")];
  const model = new Model(opts, clock);
  const rand = mulberry32(seed);
  const pick = <T>(xs: readonly T[]): T => xs[Math.floor(rand() * xs.length)]!;
  const keys = Array.from({ length: opts.items + 4 }, (_, i) => `key${i}`);
  keys.push("", "k".repeat(opts.keysize), "k".repeat(opts.keysize + 1));
  const maxValue = maxItemSizeOf(opts);
  const value = (): Buffer => {
    const r = rand();
    const len = r < 0.03 ? 0 : r < 0.06 ? maxValue + 1 : r < 0.3 ? 8 : 1 + Math.floor(rand() * Math.min(maxValue, valueCap));
    return Buffer.from(Array.from({ length: len }, () => Math.floor(rand() * 256)));
  };
  const expiry = (): number => pick([0, 0, 0, 1, 2, 5]);
  const operand = (): bigint => pick([0n, 1n, -1n, 2n, 7n, -(2n ** 63n), 2n ** 63n - 1n, BigInt(Math.floor(rand() * 1e6))]);
  for (let step = 0; step < steps; step++) {
    const cache = engines[step % 2]!;
    const k = pick(keys);
    const kb = Buffer.from(k);
    const r = rand();
    const where = `seed ${seed} step ${step} (${spec})`;
    if (r < 0.2) {
      const e = model.lookup(k);
      const got = cache.get(kb);
      if (e) {
        model.hits++;
        if (opts.purgeLru) model.touch(k, e);
      } else model.miss++;
      assert.deepEqual(got, e ? e.value : null, `get ${where}`);
    } else if (r < 0.35) {
      const v = value();
      const x = expiry();
      assert.equal(cache.set(kb, v, x), model.store(k, v, x, false), `set ${where}`);
    } else if (r < 0.5) {
      const v = value();
      const x = expiry();
      assert.equal(cache.update(kb, v, x), model.store(k, v, x, true), `update ${where}`);
    } else if (r < 0.58) {
      const e = model.lookup(k);
      if (e) model.map.delete(k);
      assert.equal(cache.del(kb), !!e, `del ${where}`);
    } else if (r < 0.63) {
      assert.equal(cache.exists(kb), !!model.lookup(k), `exists ${where}`);
    } else if (r < 0.75) {
      const op = pick(["inc", "dec", "mul", "div"] as const);
      const n = operand();
      const x = expiry();
      assert.equal(cache.math(op, kb, n, x), model.math(op, k, n, x), `math ${where}`);
    } else if (r < 0.8) {
      const e = model.lookup(k);
      if (e) model.hits++;
      else model.miss++;
      assert.equal(cache.num(kb), e && e.value.length === 8 ? e.value.readBigInt64LE() : 0n, `num ${where}`);
    } else if (r < 0.84) {
      assert.deepEqual(cache.keys().map(String).sort(), model.liveKeys(), `keys ${where}`);
    } else if (r < 0.86) {
      const now = model.now();
      let expired = 0;
      for (const [key, e] of model.map) {
        if (e.expires !== 0 && e.expires <= now) {
          model.map.delete(key);
          expired++;
        }
      }
      assert.equal(cache.sweep(), opts.noExpire ? 0 : expired, `sweep ${where}`);
      if (opts.noExpire) assert.fail("model runs use sweepable caches");
    } else if (r < 0.865) {
      assert.equal(cache.clear(), true);
      model.map.clear();
    } else {
      clock.advance(pick([0, 300, 1000, 2500]));
    }
    const s = cache.stats();
    assert.equal(s.items, model.map.size, `items ${where}`);
    assert.deepEqual([s.hits, s.miss, s.full], [model.hits, model.miss, model.full], `counters ${where}`);
  }
}

test("model check: plain cache", () => {
  run("name=m,items=9,blocksize=16,keysize=8,hashsize=64", 1, 20000);
  run("name=m,items=9,blocksize=16,keysize=8,hashsize=3,hash=murmur2", 2, 20000);
});

test("model check: purge_lru cache", () => {
  run("name=m,items=7,blocksize=12,keysize=6,purge_lru=1,hashsize=16", 3, 20000);
  run("name=m,items=7,blocksize=12,keysize=6,purge_lru=1,hashsize=1", 4, 20000);
});

test("model check: bitmap cache with room for every item and a spare copy", () => {
  // 5 values of <= 4 blocks plus a new copy use <= 24 of 64 blocks, so some free run of 4
  // blocks always exists whatever the fragmentation: the model needs no allocator of its own.
  run("name=m,items=6,blocks=64,blocksize=4,keysize=8,bitmap=1,hashsize=5", 5, 20000, 16);
});

test("model check: math_initial and a large cache", () => {
  run("name=m,items=40,blocksize=32,keysize=8,math_initial=-5,hashsize=1024", 6, 20000);
});
