/**
 * What a cache operation changes once it holds its locks (see "Locking" and "Recovery from a dead
 * lock owner" in `cache-engine.ts`): looking the current key up, inserting, overwriting, math in
 * place, deleting, clearing, sweeping expired items and uWSGI's full-cache handling. Every change
 * is journaled so that a repair can rebuild the meta region from the data region. The engine
 * takes and releases the locks; these methods only ask for the global mutex when they need it.
 * @module
 */
import type { Clock } from "../../core/clock.js";
import { unixSeconds } from "../../core/clock.js";
import { RateLimitedLog } from "../../core/rate-limited-log.js";
import { BlockBitmap } from "./block-bitmap.js";
import { BucketChains, CHAIN_CORRUPT } from "./bucket-chains.js";
import type { CacheKey } from "./cache-key.js";
import { ITEM, ITEM_FLAG, META_F64, META_U32, type CacheLayout } from "./cache-layout.js";
import { corrupt, type CacheLocking } from "./cache-locking.js";
import type { CacheMeta } from "./cache-meta.js";
import type { CacheOptions } from "./cache-options.js";
import type { CacheSlots } from "./cache-slots.js";
import { bigIntToCounter, counterMath, type CacheMathOp, type CounterHalves } from "./counter-math.js";
import type { LruList } from "./lru-list.js";

/** Returned by a store attempt that needs the whole cache (full-cache handling). */
export const FULL = Symbol("cache full");

const MATH_FLAG: Record<CacheMathOp, number> = { inc: ITEM_FLAG.inc, dec: ITEM_FLAG.dec, mul: ITEM_FLAG.mul, div: ITEM_FLAG.div };

/** Smallest non-zero of two expiry times (0 = none). */
export function earliest(a: number, b: number): number {
  return a === 0 ? b : b === 0 ? a : Math.min(a, b);
}

/** The structures of one cache an operation works on while holding its locks. */
export interface LockedOpsParts {
  options: CacheOptions;
  layout: CacheLayout;
  meta: CacheMeta;
  slots: CacheSlots;
  chains: BucketChains;
  lru: LruList;
  locks: CacheLocking;
  /** The key of the operation in progress. */
  key: CacheKey;
  clock: Clock;
  /** `mathInitial` as counter halves. */
  initial: CounterHalves;
  /** Where log lines go (null: nowhere), read at each line. */
  log: () => ((line: string) => void) | null;
}

/** The locked operations of one cache (one per engine; not re-entrant, like the engine). */
export class LockedOps {
  readonly #options: CacheOptions;
  readonly #layout: CacheLayout;
  readonly #meta: CacheMeta;
  readonly #slots: CacheSlots;
  readonly #chains: BucketChains;
  readonly #lru: LruList;
  readonly #locks: CacheLocking;
  readonly #key: CacheKey;
  readonly #clock: Clock;
  readonly #keysize: number;
  readonly #initial: CounterHalves;
  readonly #sink: () => ((line: string) => void) | null;
  #fullLog: RateLimitedLog | null = null;
  /** Scratch result of counter arithmetic (no allocation per operation). */
  readonly #result: CounterHalves = { low: 0, high: 0 };

  constructor(parts: LockedOpsParts) {
    this.#options = parts.options;
    this.#layout = parts.layout;
    this.#meta = parts.meta;
    this.#slots = parts.slots;
    this.#chains = parts.chains;
    this.#lru = parts.lru;
    this.#locks = parts.locks;
    this.#key = parts.key;
    this.#clock = parts.clock;
    this.#keysize = parts.options.keysize;
    this.#initial = parts.initial;
    this.#sink = parts.log;
  }

  #logging(): boolean {
    return this.#sink() !== null;
  }

  #log(line: string): void {
    this.#sink()?.(line);
  }

  /**
   * Slot of the live current key (hash `h`) in bucket `b` (shard `s` held), else 0; an expired item found is deleted.
   * `now` may be -1: the clock is then read only if the item has an expiry.
   */
  lookup(h: number, b: number, s: number, now: number): number {
    const k = this.#key;
    if (k.length > this.#keysize) return 0;
    const slot = this.#chains.find(k.bytes, k.length, h, b, k.words);
    if (slot === CHAIN_CORRUPT) corrupt(this.#meta);
    if (slot === 0) return 0;
    const e = this.#slots.get(slot, ITEM.expires);
    if (e !== 0 && now < 0) now = unixSeconds(this.#clock);
    if (e !== 0 && e <= now) {
      this.#locks.needGlobal();
      this.deleteSlot(slot, b, s, now);
      return 0;
    }
    return slot;
  }

  /** Counts a hit on a live slot (the item's own counter and its shard's). */
  countHit(slot: number, s: number): void {
    const slots = this.#slots;
    slots.set(slot, ITEM.hits, slots.get(slot, ITEM.hits) + 1);
    this.#meta.count(s, 0);
  }

  /** Calls `fn` for each slot of bucket `b`'s chain (its shard held). */
  walk(b: number, fn: (slot: number) => void): void {
    const items = this.#options.items;
    let slot = this.#meta.bucket(b);
    for (let rounds = 0; slot !== 0; rounds++) {
      if (slot >= items || rounds >= items) corrupt(this.#meta);
      const next = this.#slots.get(slot, ITEM.next);
      fn(slot);
      slot = next;
    }
  }

  storeLocked(
    h: number,
    b: number,
    s: number,
    value: Uint8Array | null,
    op: CacheMathOp | null,
    n: number,
    operand: bigint | number,
    relExpires: number,
    update: boolean,
    exclusive: boolean,
  ): boolean | typeof FULL {
    const o = this.#options;
    // The clock is read only when something needs the time (-1: #lookup reads it on demand).
    const now = relExpires !== 0 || o.lastmod || o.sweepOnFull > 0 ? unixSeconds(this.#clock) : -1;
    const expires = relExpires === 0 ? 0 : Math.min(now + relExpires, Number.MAX_SAFE_INTEGER);
    const j = exclusive ? this.#layout.shardCount : s;
    const slot = this.lookup(h, b, s, now);
    const slots = this.#slots;
    if (slot !== 0) {
      if (!update) return false;
      const fb = slots.low(slot, ITEM.firstBlock);
      const vs = slots.low(slot, ITEM.valsize);
      if (!this.#slots.valueFits(fb, vs)) corrupt(this.#meta);
      if (op === null) return this.overwrite(slot, value, expires, j, now, exclusive);
      if (vs === 8) {
        if (this.#meta.bitmap === null) return this.mathInPlace(slot, fb, op, n, operand, j, now);
        // Bitmap caches move every new value to fresh blocks (as uWSGI does); the journal still
        // keeps the old counter so that a crash cannot lose it.
        const low = slots.counterLow(fb);
        const high = slots.counterHigh(fb);
        counterMath(op, low, high, n, operand, this.#result);
        return this.overwrite(slot, null, -1, j, now, exclusive, low, high);
      }
      const old = this.#result;
      bigIntToCounter(slots.readInt64(fb, vs), old);
      counterMath(op, old.low, old.high, n, operand, this.#result);
      return this.overwrite(slot, null, -1, j, now, exclusive);
    }
    if (op !== null) counterMath(op, this.#initial.low, this.#initial.high, n, operand, this.#result);
    const flags = op !== null ? ITEM_FLAG.update | ITEM_FLAG.math | ITEM_FLAG.fixExpire | MATH_FLAG[op] : update ? ITEM_FLAG.update : 0;
    return this.insert(h, b, value, expires, flags, j, now, exclusive);
  }

  /**
   * Replaces a live item's value (`value` null: the counter in {@link #result}); `expires` -1
   * keeps the current expiry (math). `undoLow`/`undoHigh` (an 8-byte counter's old value, -1:
   * none) make the journal entry restore that value instead of dropping the item.
   */
  overwrite(slot: number, value: Uint8Array | null, expires: number, j: number, now: number, exclusive: boolean, undoLow = -1, undoHigh = 0): boolean | typeof FULL {
    const o = this.#options;
    const slots = this.#slots;
    const meta = this.#meta;
    const bitmap = meta.bitmap;
    const length = value === null ? 8 : value.length;
    if (bitmap) {
      this.#locks.needGlobal();
      const count = BlockBitmap.blocksFor(length, o.blocksize);
      const fb = bitmap.find(count, meta.u32[META_U32.bitmapPos]!);
      if (fb < 0) {
        if (!exclusive) return FULL;
        this.cacheFull(now);
        return false;
      }
      bitmap.mark(fb, count);
      meta.u32[META_U32.bitmapPos] = fb + count >= o.blocks ? 0 : fb + count;
      const oldFb = slots.get(slot, ITEM.firstBlock);
      const oldCount = BlockBitmap.blocksFor(slots.get(slot, ITEM.valsize), o.blocksize);
      if (undoLow >= 0) meta.setCounterJournal(j, slot, undoLow, undoHigh);
      else meta.setJournal(j, slot);
      this.writeValue(fb, value);
      slots.setLow(slot, ITEM.firstBlock, fb);
      slots.setLow(slot, ITEM.valsize, length);
      bitmap.unmark(oldFb, oldCount);
    } else {
      // Expiry notes and lastModified need no global mutex: only the LRU list does.
      if (o.purgeLru) this.#locks.needGlobal();
      meta.setJournal(j, slot);
      this.writeValue(slots.low(slot, ITEM.firstBlock), value);
      slots.setLow(slot, ITEM.valsize, length);
    }
    if (expires >= 0) {
      slots.set(slot, ITEM.expires, expires);
      if (expires !== 0) meta.noteExpiry(expires);
    }
    if (o.purgeLru) this.#lru.touch(slot);
    if (o.lastmod) meta.f64[META_F64.lastModified] = now;
    meta.setJournal(j, 0);
    return true;
  }

  /**
   * Math on an existing 8-byte counter, in place (caches without bitmap). Crash-safe: the journal entry saves the old
   * value before either half is written, and a repair puts it back and keeps the item, so a
   * counter whose writer died holds either its old or its new value.
   */
  mathInPlace(slot: number, fb: number, op: CacheMathOp, n: number, operand: bigint | number, j: number, now: number): boolean {
    const o = this.#options;
    const slots = this.#slots;
    const meta = this.#meta;
    const low = slots.counterLow(fb);
    const high = slots.counterHigh(fb);
    const r = this.#result;
    counterMath(op, low, high, n, operand, r);
    if (o.purgeLru) {
      this.#locks.needGlobal();
      this.#lru.touch(slot);
    }
    meta.setCounterJournal(j, slot, low, high);
    slots.writeCounter(fb, r.low, r.high);
    if (o.lastmod) meta.f64[META_F64.lastModified] = now;
    meta.setJournal(j, 0);
    return true;
  }

  /** Stores the current key as a new item in a free slot (and blocks); FULL when there is no room and we are not exclusive. */
  insert(h: number, b: number, value: Uint8Array | null, expires: number, flags: number, j: number, now: number, exclusive: boolean): boolean | typeof FULL {
    const o = this.#options;
    const meta = this.#meta;
    const slots = this.#slots;
    const length = value === null ? 8 : value.length;
    this.#locks.needGlobal();
    if (meta.freeCount === 0) {
      if (!exclusive) return FULL;
      this.cacheFull(now);
      if (meta.freeCount === 0) return false;
    }
    const slot = meta.popFree();
    let fb = slot;
    const bitmap = meta.bitmap;
    if (bitmap) {
      const count = BlockBitmap.blocksFor(length, o.blocksize);
      fb = bitmap.find(count, meta.u32[META_U32.bitmapPos]!);
      if (fb < 0) {
        meta.pushFree(slot);
        if (!exclusive) return FULL;
        this.cacheFull(now);
        return false;
      }
      bitmap.mark(fb, count);
      meta.u32[META_U32.bitmapPos] = fb + count >= o.blocks ? 0 : fb + count;
    }
    meta.setJournal(j, slot);
    if (o.purgeLru) this.#lru.add(slot);
    meta.u32[META_U32.nItems]!++;
    if (expires !== 0) meta.noteExpiry(expires);
    if (o.lastmod) meta.f64[META_F64.lastModified] = now;
    if (!exclusive) this.#locks.releaseGlobal();
    slots.setLow(slot, ITEM.flags, flags);
    slots.set(slot, ITEM.expires, expires);
    slots.setLow(slot, ITEM.hash, h);
    slots.setLow(slot, ITEM.hits, 0);
    const k = this.#key;
    slots.writeKey(slot, k.bytes, k.length);
    this.writeValue(fb, value);
    slots.setLow(slot, ITEM.firstBlock, fb);
    slots.setLow(slot, ITEM.valsize, length);
    slots.setLow(slot, ITEM.keysize, k.length);
    this.#chains.append(slot, b);
    meta.setJournal(j, 0);
    return true;
  }

  /** Writes `value`, or (null) the counter in {@link #result}, at block `firstBlock`. */
  writeValue(firstBlock: number, value: Uint8Array | null): void {
    if (value === null) this.#slots.writeCounter(firstBlock, this.#result.low, this.#result.high);
    else this.#slots.writeValue(firstBlock, value);
  }

  /** Deletes a live slot of bucket `b`; its shard and the global mutex are held; `j` is the journal entry to use. */
  deleteSlot(slot: number, b: number, j: number, now: number): void {
    const o = this.#options;
    const meta = this.#meta;
    const slots = this.#slots;
    const fb = slots.low(slot, ITEM.firstBlock);
    const vs = slots.low(slot, ITEM.valsize);
    if (!this.#slots.valueFits(fb, vs)) corrupt(this.#meta);
    meta.setJournal(j, slot);
    this.#chains.unlink(slot, b);
    slots.clearItem(slot);
    if (o.purgeLru) this.#lru.remove(slot);
    meta.bitmap?.unmark(fb, BlockBitmap.blocksFor(vs, o.blocksize));
    meta.pushFree(slot);
    meta.u32[META_U32.nItems]!--;
    if (o.lastmod) meta.f64[META_F64.lastModified] = now;
    meta.setJournal(j, 0);
  }

  /** Deletes everything (every lock held). */
  clearLocked(now: number): void {
    const meta = this.#meta;
    const j = this.#layout.shardCount;
    for (let i = 1; i < this.#options.items; i++) {
      if (this.#slots.get(i, ITEM.keysize) === 0) continue;
      meta.setJournal(j, i);
      this.#slots.clearItem(i);
    }
    meta.resetStructures();
    if (this.#options.lastmod) meta.f64[META_F64.lastModified] = now;
  }

  /** Deletes every expired item (every lock held) and recomputes the next sweep time. */
  sweepAllLocked(now: number): number {
    const slots = this.#slots;
    const hashsize = this.#options.hashsize;
    let freed = 0;
    let min = 0;
    for (let i = 1; i < this.#options.items; i++) {
      if (slots.get(i, ITEM.keysize) === 0) continue;
      const e = slots.get(i, ITEM.expires);
      if (e === 0) continue;
      if (e <= now) {
        this.deleteSlot(i, slots.get(i, ITEM.hash) % hashsize, this.#layout.shardCount, now);
        freed++;
      } else min = earliest(min, e);
    }
    this.#meta.setNextScan(min);
    return freed;
  }

  /** Deletes the expired items of shard `s`; returns how many and the earliest expiry left there. */
  sweepShard(s: number, now: number): { freed: number; min: number } {
    this.#locks.lockShard(s);
    const slots = this.#slots;
    let freed = 0;
    let min = 0;
    for (let b = s; b < this.#options.hashsize; b += this.#layout.shardCount) {
      this.walk(b, (slot) => {
        const e = slots.get(slot, ITEM.expires);
        if (e === 0) return;
        if (e > now) {
          min = earliest(min, e);
          return;
        }
        this.#locks.needGlobal();
        this.deleteSlot(slot, b, s, now);
        freed++;
      });
    }
    return { freed, min };
  }

  /** uWSGI's `cache_full` (every lock held): count, log, purge the LRU item, sweep, clear. */
  cacheFull(now: number): void {
    const o = this.#options;
    const meta = this.#meta;
    if (!o.ignoreFull && this.#logging()) {
      // every failed set says it (uWSGI too): rate-limited, with a count, so a full cache cannot flood the log
      this.#fullLog ??= new RateLimitedLog((line) => this.#log(line));
      this.#fullLog.line("full", o.purgeLru ? `LRU item will be purged from cache "${o.name}"` : `*** DANGER cache "${o.name}" is FULL !!! ***`);
    }
    meta.f64[META_F64.full]! += 1;
    let clear = o.clearOnFull;
    const head = this.#lru.head;
    if (o.purgeLru && head !== 0) {
      this.deleteSlot(head, this.#slots.get(head, ITEM.hash) % o.hashsize, this.#layout.shardCount, now);
    }
    if (o.sweepOnFull > 0 && meta.f64[META_F64.fullSweepAt]! <= now) {
      meta.f64[META_F64.fullSweepAt] = now + o.sweepOnFull;
      if (this.sweepAllLocked(now) > 0) clear = false;
    }
    if (clear) this.clearLocked(now);
  }
}
