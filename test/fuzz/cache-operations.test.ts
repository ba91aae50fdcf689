/**
 * Model-based property of the cache engine (src/engines/cache/): any sequence of set, update,
 * get, del, exists, inc/dec/mul/div, num, keys, sweep, clear and clock steps (a manual clock,
 * so expiry is exact), on any small cache geometry (full caches, LRU purging, one-bucket hash
 * tables, the bitmap allocator), with keys and values at and past their size limits, does to
 * two engines over the same memory (the creating process and an attached one, used in turn)
 * exactly what it does to a Map (the reference model of test/unit/cache/cache-reference-model.ts).
 */
import assert from "node:assert/strict";
import { Buffer } from "node:buffer";
import fc from "fast-check";
import { ManualClock } from "../../src/core/clock.js";
import type { CacheEngine, CacheMathOp } from "../../src/engines/cache/cache-engine.js";
import { maxItemSizeOf, parseCache2Option, type CacheOptions } from "../../src/engines/cache/cache-options.js";
import { Model } from "../unit/cache/cache-reference-model.js";
import { START_MS, engineOver, sharedSetup } from "../unit/cache/make-cache.js";
import { fuzzSuite, property } from "../support/fuzz.js";

/** A value length, resolved against the cache: empty, the largest accepted, one past it, 8 (a counter), or some length. */
type Length = "empty" | "max" | "over" | "counter" | number;
/** Which key: one of `items + 4` ordinary keys, the empty key, the longest accepted, one byte too long. */
type KeyPick = number | "empty" | "longest" | "too-long";

type Op =
  | { op: "get" | "del" | "exists" | "num"; key: KeyPick }
  | { op: "set" | "update"; key: KeyPick; length: Length; fill: number; expires: number }
  | { op: "math"; math: CacheMathOp; key: KeyPick; operand: bigint; expires: number }
  | { op: "keys" | "sweep" | "clear" }
  | { op: "advance"; ms: number };

interface Geometry {
  spec: string;
  /** Largest value generated (the bitmap allocator needs room for every item and a spare copy). */
  cap: number;
}

const geometry: fc.Arbitrary<Geometry> = fc.oneof(
  fc
    .record({
      items: fc.integer({ min: 2, max: 12 }),
      blocksize: fc.integer({ min: 1, max: 40 }),
      keysize: fc.integer({ min: 1, max: 10 }),
      hashsize: fc.constantFrom(1, 3, 64),
      hash: fc.constantFrom("djb33x", "murmur2"),
      lru: fc.boolean(),
      mathInitial: fc.constantFrom(0n, -5n, 2n ** 63n - 1n),
    })
    .map((g) => ({
      spec: `name=f,items=${g.items},blocksize=${g.blocksize},keysize=${g.keysize},hashsize=${g.hashsize},hash=${g.hash}${g.lru ? ",purge_lru=1" : ""},math_initial=${g.mathInitial}`,
      cap: g.blocksize,
    })),
  fc
    .record({ items: fc.integer({ min: 2, max: 8 }), blocksize: fc.integer({ min: 1, max: 8 }), spanBlocks: fc.integer({ min: 1, max: 4 }), keysize: fc.integer({ min: 1, max: 8 }) })
    .map((g) => ({ ...g, spanBlocks: Math.max(g.spanBlocks, Math.ceil(8 / g.blocksize)) })) // counters (8 bytes) fit
    .map((g) => ({
      // used blocks <= items * span (items - 1 values and a new copy) split the free ones in at most
      // items + 1 runs, so with 3 * items * span blocks some run of `span` blocks is always free
      spec: `name=f,items=${g.items},blocks=${3 * g.items * g.spanBlocks},blocksize=${g.blocksize},keysize=${g.keysize},bitmap=1,hashsize=5`,
      cap: g.blocksize * g.spanBlocks,
    })),
);

const keyPick: fc.Arbitrary<KeyPick> = fc.oneof({ weight: 8, arbitrary: fc.nat(15) }, fc.constantFrom("empty", "longest", "too-long" as const));
const length: fc.Arbitrary<Length> = fc.oneof(fc.constantFrom("empty", "max", "over", "counter" as const), { weight: 3, arbitrary: fc.nat(64) });
const expires = fc.constantFrom(0, 0, 0, 1, 2, 5);
const operand = fc.oneof(fc.constantFrom(0n, 1n, -1n, 2n, 7n, -(2n ** 63n), 2n ** 63n - 1n), fc.bigInt({ min: -(10n ** 6n), max: 10n ** 6n }));

const op: fc.Arbitrary<Op> = fc.oneof(
  { weight: 4, arbitrary: fc.record({ op: fc.constantFrom("get", "del", "exists", "num" as const), key: keyPick }) },
  { weight: 5, arbitrary: fc.record({ op: fc.constantFrom("set", "update" as const), key: keyPick, length, fill: fc.nat(255), expires }) },
  { weight: 3, arbitrary: fc.record({ op: fc.constant("math" as const), math: fc.constantFrom("inc", "dec", "mul", "div" as const), key: keyPick, operand, expires }) },
  { weight: 1, arbitrary: fc.record({ op: fc.constantFrom("keys", "sweep", "clear" as const) }) },
  { weight: 2, arbitrary: fc.record({ op: fc.constant("advance" as const), ms: fc.constantFrom(0, 300, 1000, 2500) }) },
);

function keyOf(pick: KeyPick, opts: CacheOptions): string {
  if (pick === "empty") return "";
  if (pick === "longest") return "k".repeat(opts.keysize);
  if (pick === "too-long") return "k".repeat(opts.keysize + 1);
  return `k${pick % (opts.items + 4)}`.slice(0, opts.keysize).padEnd(Math.min(opts.keysize, 1), "k");
}

function valueOf(len: Length, fill: number, opts: CacheOptions, cap: number): Buffer {
  const n = len === "empty" ? 0 : len === "max" ? cap : len === "over" ? maxItemSizeOf(opts) + 1 : len === "counter" ? 8 : 1 + (len % cap);
  return Buffer.alloc(n, fill);
}

function run(g: Geometry, ops: readonly Op[]): void {
  const opts = parseCache2Option(g.spec);
  const clock = new ManualClock(START_MS);
  const setup = sharedSetup(opts);
  const engines: CacheEngine[] = [engineOver(opts, setup, clock, "init"), engineOver(opts, setup, clock, "attach")];
  const model = new Model(opts, clock);
  ops.forEach((o, step) => {
    const cache = engines[step % 2]!;
    const where = `step ${step} ${JSON.stringify(o, (_k, v) => (typeof v === "bigint" ? `${v}n` : v))} on ${g.spec}`;
    switch (o.op) {
      case "get": {
        const k = keyOf(o.key, opts);
        const e = model.lookup(k);
        const got = cache.get(Buffer.from(k));
        if (e) {
          model.hits++;
          if (opts.purgeLru) model.touch(k, e);
        } else model.miss++;
        assert.deepEqual(got, e ? e.value : null, `get ${where}`);
        break;
      }
      case "set":
      case "update": {
        const k = keyOf(o.key, opts);
        const v = valueOf(o.length, o.fill, opts, g.cap);
        assert.equal(cache[o.op](Buffer.from(k), v, o.expires), model.store(k, v, o.expires, o.op === "update"), `${o.op} ${where}`);
        break;
      }
      case "del": {
        const k = keyOf(o.key, opts);
        const e = model.lookup(k);
        if (e) model.map.delete(k);
        assert.equal(cache.del(Buffer.from(k)), !!e, `del ${where}`);
        break;
      }
      case "exists": {
        const k = keyOf(o.key, opts);
        assert.equal(cache.exists(Buffer.from(k)), !!model.lookup(k), `exists ${where}`);
        break;
      }
      case "math": {
        const k = keyOf(o.key, opts);
        assert.equal(cache.math(o.math, Buffer.from(k), o.operand, o.expires), model.math(o.math, k, o.operand, o.expires), `math ${where}`);
        break;
      }
      case "num": {
        const k = keyOf(o.key, opts);
        const e = model.lookup(k);
        if (e) model.hits++;
        else model.miss++;
        assert.equal(cache.num(Buffer.from(k)), e && e.value.length === 8 ? e.value.readBigInt64LE() : 0n, `num ${where}`);
        break;
      }
      case "keys":
        assert.deepEqual(cache.keys().map(String).sort(), model.liveKeys(), `keys ${where}`);
        break;
      case "sweep": {
        const now = model.now();
        let expired = 0;
        for (const [key, e] of model.map) {
          if (e.expires !== 0 && e.expires <= now) {
            model.map.delete(key);
            expired++;
          }
        }
        assert.equal(cache.sweep(), expired, `sweep ${where}`);
        break;
      }
      case "clear":
        assert.equal(cache.clear(), true);
        model.map.clear();
        break;
      case "advance":
        clock.advance(o.ms);
        break;
    }
    const s = cache.stats();
    assert.equal(s.items, model.map.size, `items after ${where}`);
    assert.deepEqual([s.hits, s.miss, s.full], [model.hits, model.miss, model.full], `hits/miss/full after ${where}`);
  });
  assert.deepEqual(engines[0]!.keys().map(String).sort(), model.liveKeys(), "keys at the end");
}

fuzzSuite(import.meta.url, {
  "cache: any operation sequence on any geometry does what the Map model does": property(
    fc.tuple(geometry, fc.array(op, { maxLength: 120 })),
    ([g, ops]) => run(g, ops),
    0.2,
  ),
});
