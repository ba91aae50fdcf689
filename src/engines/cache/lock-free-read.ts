/**
 * Item lookup without any mutex, for `get`, `exists` and `num` (see "Lock-free reads" in
 * `cache-engine.ts`): under the key's shard sequence number (a seqlock), with bounded loops and
 * bounds-checked indexes, so that whatever a concurrent writer leaves half-done, a read neither
 * throws nor spins; a read that cannot be trusted answers {@link LOCKED} and the engine redoes it
 * with the shard mutex held.
 * @module
 */
import { Buffer } from "node:buffer";
import type { Clock } from "../../core/clock.js";
import { unixSeconds } from "../../core/clock.js";
import { ITEM, META_U32, SHARD_LINE_BYTES } from "./cache-layout.js";
import type { CacheMeta } from "./cache-meta.js";
import type { CacheSlots } from "./cache-slots.js";
import { counterToBigInt, counterToNumber } from "./counter-math.js";

/** Returned by a lock-free read that must be redone with the shard mutex held. */
export const LOCKED = Symbol("take the lock");
/** What {@link LockFreeReader.read} reads. */
export const READ_VALUE = 0;
export const READ_EXISTS = 1;
export const READ_COUNTER = 2;
/** {@link READ_COUNTER}, answered as a number (see `CacheEngine.numValue`). */
export const READ_NUMBER = 3;

/** Lock-free attempts (odd sequence numbers included) before a read takes the shard mutex. */
const OPTIMISTIC_TRIES = 8;
/** {@link LockFreeReader.find}: a chain that cannot be right (a torn read, or corruption the locked path will repair). */
const TORN = -1;
/** {@link LockFreeReader.find}: the key's item has expired (the locked path deletes it). */
const EXPIRED = -2;
/** Values larger than this are copied only once the sequence number says the header was stable. */
const CHECK_BEFORE_COPY = 4096;
const SHARD_LINE_WORDS = SHARD_LINE_BYTES / 4;

/**
 * Lock-free reads rely on x86-64's total store order (stores become visible in program order,
 * loads are not reordered with loads); on other CPUs every read takes the shard mutex.
 */
export const LOCK_FREE_READS = process.arch === "x64";

/** The lock-free read path of one cache. */
export class LockFreeReader {
  /**
   * What this process's lock-free reads did: attempts redone because a writer was at work
   * (`retries`) and reads that took the shard mutex after all (`fallbacks`). Never reset.
   */
  readonly stats = { retries: 0, fallbacks: 0 };
  readonly #meta: CacheMeta;
  readonly #slots: CacheSlots;
  readonly #clock: Clock;
  readonly #u32: Uint32Array;
  readonly #seqBase: number;
  readonly #items: number;

  constructor(meta: CacheMeta, slots: CacheSlots, clock: Clock, items: number) {
    this.#meta = meta;
    this.#slots = slots;
    this.#clock = clock;
    this.#u32 = meta.u32;
    this.#seqBase = meta.seqIndex(0);
    this.#items = items;
  }

  /**
   * get (`what` READ_VALUE), exists (READ_EXISTS) or num (READ_COUNTER; READ_NUMBER: as a number) of `key[0..len)` (not
   * longer than `keysize`; hash `h`, bucket `b`, shard `s`; `keyWords` the key as words or null)
   * without any mutex; {@link LOCKED}
   * when the read must be done with the mutex held instead. Counts the hit or miss (get, num).
   */
  read(key: Uint8Array, len: number, h: number, b: number, s: number, what: number, keyWords: Int32Array | null): Buffer | boolean | bigint | number | null | typeof LOCKED {
    const u = this.#u32;
    const si = this.#seqBase + s * SHARD_LINE_WORDS;
    const slots = this.#slots;
    for (let attempt = 0; attempt < OPTIMISTIC_TRIES; attempt++) {
      const seq = Atomics.load(u, si);
      // Odd: a writer is at work (or died at work: the locked path recovers).
      if ((seq & 1) !== 0) {
        this.stats.retries++;
        continue;
      }
      if (u[META_U32.repair] !== 0) break;
      const slot = this.find(key, len, h, b, keyWords);
      let value: Buffer | null = null;
      let counter = false;
      let low = 0;
      let high = 0;
      let fits = true;
      if (slot > 0 && what !== READ_EXISTS) {
        const vs = slots.low(slot, ITEM.valsize);
        const fb = slots.low(slot, ITEM.firstBlock);
        fits = slots.valueFits(fb, vs);
        if (what === READ_VALUE) {
          // A huge torn length must not cost a huge allocation: check the header held still first.
          if (fits && vs > CHECK_BEFORE_COPY && Atomics.load(u, si) !== seq) fits = false;
          if (fits) value = slots.copyValue(fb, vs);
        } else if (vs === 8) {
          if (fits) {
            counter = true;
            low = slots.counterLow(fb);
            high = slots.counterHigh(fb);
          }
        }
      }
      if (Atomics.load(u, si) !== seq) {
        this.stats.retries++;
        continue;
      }
      // Stable but impossible: corruption (the locked path repairs it); or an expired item (the
      // locked path deletes it).
      if (slot < 0 || !fits) break;
      if (what === READ_EXISTS) return slot !== 0;
      this.#meta.count(s, slot === 0 ? 1 : 0);
      if (what === READ_VALUE) return value;
      if (what === READ_NUMBER) return counter ? counterToNumber(low, high) : 0;
      return counter ? counterToBigInt(low, high) : 0n;
    }
    this.stats.fallbacks++;
    return LOCKED;
  }

  /**
   * The slot of a live `key[0..len)` in bucket `b`, 0 when absent, {@link EXPIRED} or
   * {@link TORN}. Every index is checked before use and every loop is bounded.
   */
  find(key: Uint8Array, len: number, h: number, b: number, keyWords: Int32Array | null = null): number {
    const slots = this.#slots;
    const items = this.#items;
    let slot = this.#meta.bucket(b);
    for (let rounds = 0; slot !== 0; rounds++) {
      if (slot >= items || rounds >= items) return TORN;
      if (slots.low(slot, ITEM.hash) === h && slots.low(slot, ITEM.keysize) === len && slots.keyEquals(slot, key, len, keyWords)) {
        const e = slots.get(slot, ITEM.expires);
        return e !== 0 && e <= unixSeconds(this.#clock) ? EXPIRED : slot;
      }
      slot = slots.low(slot, ITEM.next);
    }
    return 0;
  }
}
