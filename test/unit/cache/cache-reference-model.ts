/**
 * The reference model of the cache engine's documented semantics (uWSGI's rules): a Map in LRU
 * order, the same clock, the same limits. Shared by the seeded model check
 * (test/unit/cache/cache-model.test.ts) and the fast-check one (test/fuzz/cache-operations.test.ts).
 */
import type { ManualClock } from "../../../src/core/clock.js";
import type { CacheMathOp } from "../../../src/engines/cache/cache-engine.js";
import { maxItemSizeOf, type CacheOptions } from "../../../src/engines/cache/cache-options.js";

export interface Entry {
  value: Buffer;
  expires: number;
}

/** The reference: a Map in LRU order (first = least recently used) with uWSGI's rules. */
export class Model {
  readonly map = new Map<string, Entry>();
  hits = 0;
  miss = 0;
  full = 0;
  constructor(
    readonly opts: CacheOptions,
    readonly clock: ManualClock,
  ) {}
  now(): number {
    return Math.floor(this.clock.nowMs() / 1000);
  }
  /** The live entry of `k`; an expired one is deleted on the way, as the engine does. */
  lookup(k: string): Entry | undefined {
    const e = this.map.get(k);
    if (e && e.expires !== 0 && e.expires <= this.now()) {
      this.map.delete(k);
      return undefined;
    }
    return e;
  }
  touch(k: string, e: Entry): void {
    this.map.delete(k);
    this.map.set(k, e);
  }
  store(k: string, value: Buffer, rel: number, update: boolean, fixExpire = false): boolean {
    if (k.length === 0 || value.length === 0 || k.length > this.opts.keysize || value.length > maxItemSizeOf(this.opts)) return false;
    const e = this.lookup(k);
    const expires = rel === 0 ? 0 : this.now() + rel;
    if (e) {
      if (!update) return false;
      this.touch(k, { value, expires: fixExpire ? e.expires : expires });
      return true;
    }
    if (this.map.size >= this.opts.items - 1) {
      this.full++;
      if (this.opts.purgeLru) this.map.delete(this.map.keys().next().value!);
      if (this.map.size >= this.opts.items - 1) return false;
    }
    this.map.set(k, { value, expires });
    return true;
  }
  math(op: CacheMathOp, k: string, operand: bigint, rel: number): boolean {
    if (maxItemSizeOf(this.opts) < 8) return false;
    const e = this.lookup(k);
    let n: bigint;
    if (e) {
      const padded = Buffer.alloc(8);
      e.value.copy(padded, 0, 0, Math.min(8, e.value.length));
      n = padded.readBigInt64LE();
    } else n = this.opts.mathInitial;
    if (op === "inc") n += operand;
    else if (op === "dec") n -= operand;
    else if (op === "mul") n *= operand;
    else n = operand === 0n ? 0n : n / operand;
    const out = Buffer.alloc(8);
    out.writeBigInt64LE(BigInt.asIntN(64, n));
    return this.store(k, out, rel, true, true);
  }
  liveKeys(): string[] {
    const now = this.now();
    return [...this.map].filter(([, e]) => e.expires === 0 || e.expires > now).map(([k]) => k).sort();
  }
}
