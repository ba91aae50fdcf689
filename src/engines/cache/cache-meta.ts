/**
 * Typed access to a cache's meta region (see `cache-layout.ts`): header words and counters,
 * shard lines (sequence numbers and journal), per-shard hit/miss counters, buckets, the
 * free-slot stack and the block bitmap. No locking here; the engine holds the right mutex before
 * calling. The hit/miss counters and the sweeper's scan times are updated with Atomics, so they
 * need no mutex at all.
 * @module
 */
import { UwsgiError } from "../../errors.js";
import { BlockBitmap } from "./block-bitmap.js";
import {
  JOURNAL_KIND,
  META_F64,
  META_MAGIC,
  META_U32,
  META_VERSION,
  SCAN_TIME_MAX,
  SHARD_LINE,
  SHARD_LINE_BYTES,
  SHARD_STATS,
  type CacheLayout,
} from "./cache-layout.js";

const LINE_WORDS = SHARD_LINE_BYTES / 4;
const TWO_32 = 4294967296;

/** Lowers the u32 scan time at `index` to `t` (capped) unless it already is earlier (0 = none). */
function atomicEarliest(u: Uint32Array, index: number, t: number): void {
  const v = Math.min(t, SCAN_TIME_MAX);
  for (;;) {
    const cur = Atomics.load(u, index);
    if (cur !== 0 && cur <= v) return;
    if (Atomics.compareExchange(u, index, cur, v) === cur) return;
  }
}
import type { CacheOptions } from "./cache-options.js";

/** Views over one cache's meta region. */
export class CacheMeta {
  /** Header words, journal, buckets and free stack (Atomics-capable). */
  readonly u32: Uint32Array;
  /** Header counters and per-shard hit/miss counters. */
  readonly f64: Float64Array;
  /** The block bitmap (null without bitmap). */
  readonly bitmap: BlockBitmap | null;
  readonly #layout: CacheLayout;
  readonly #lines: number;
  readonly #buckets: number;
  readonly #free: number;
  readonly #stats: number;
  /**
   * Hits and misses this process counted and has not yet added to the shared counters:
   * `[hits of shard 0, misses of shard 0, hits of shard 1, ...]`. Counting locally and adding once
   * per tick (a microtask) keeps an atomic read-modify-write of a shared cache line (a builtin
   * call in V8) off every lookup; the shared totals are exact as soon as the code counting
   * yields, and {@link CacheMeta.total} adds this process's pending counts first.
   */
  readonly #pending: Float64Array;
  #flushQueued = false;
  readonly #flush = (): void => this.flushCounts();

  constructor(meta: ArrayBuffer, layout: CacheLayout, opts: CacheOptions) {
    this.#layout = layout;
    this.u32 = new Uint32Array(meta, 0, layout.metaBytes / 4);
    this.f64 = new Float64Array(meta, 0, layout.metaBytes / 8);
    this.bitmap = opts.bitmap ? new BlockBitmap(new Uint8Array(meta, layout.bitmapOffset, layout.bitmapBytes), opts.blocks) : null;
    this.#lines = layout.shardLinesOffset / 4;
    this.#buckets = layout.bucketsOffset / 4;
    this.#free = layout.freeStackOffset / 4;
    this.#stats = layout.shardStatsOffset / 4;
    this.#pending = new Float64Array(layout.shardCount * 2);
  }

  /** Writes the header describing `opts` (a fresh region; everything else is reset by {@link resetStructures}). */
  format(opts: CacheOptions): void {
    new Uint8Array(this.u32.buffer, 0, this.#layout.metaBytes).fill(0);
    const u = this.u32;
    u[META_U32.version] = META_VERSION;
    u[META_U32.items] = opts.items;
    u[META_U32.blocks] = opts.blocks;
    u[META_U32.keysize] = opts.keysize;
    u[META_U32.hashsize] = opts.hashsize;
    u[META_U32.shardCount] = this.#layout.shardCount;
    u[META_U32.modeFlags] = (opts.bitmap ? 1 : 0) | (opts.purgeLru ? 2 : 0) | (opts.hash === "murmur2" ? 4 : 0);
    this.f64[META_F64.blocksize] = opts.blocksize;
    this.resetStructures();
    Atomics.store(u, META_U32.magic, META_MAGIC);
  }

  /**
   * Checks that the region was formatted for the same cache geometry (another process's `init`).
   * @throws UwsgiError UWSGI_ERR_CACHE_REGION when it was not formatted or differs.
   */
  verify(opts: CacheOptions): void {
    const u = this.u32;
    if (Atomics.load(u, META_U32.magic) !== META_MAGIC || u[META_U32.version] !== META_VERSION) {
      throw new UwsgiError("UWSGI_ERR_CACHE_REGION", opts.name, "the meta region was never formatted (attach before init?)");
    }
    const expected = new CacheMeta(new ArrayBuffer(this.#layout.metaBytes), this.#layout, opts);
    expected.format(opts);
    for (const word of [META_U32.items, META_U32.blocks, META_U32.keysize, META_U32.hashsize, META_U32.shardCount, META_U32.modeFlags]) {
      if (u[word] !== expected.u32[word]) throw new UwsgiError("UWSGI_ERR_CACHE_REGION", opts.name, "the meta region was formatted for different cache options");
    }
    if (this.f64[META_F64.blocksize] !== opts.blocksize) throw new UwsgiError("UWSGI_ERR_CACHE_REGION", opts.name, "the meta region was formatted for a different blocksize");
  }

  /**
   * Empties buckets, journal, LRU list and bitmap, fills the free stack with 1..items-1
   * (top = items-1). Sequence numbers and hit/miss counters are kept.
   */
  resetStructures(): void {
    const u = this.u32;
    const items = u[META_U32.items]!;
    for (let j = 0; j <= this.#layout.shardCount; j++) {
      const line = this.#lines + j * LINE_WORDS;
      u.fill(0, line + SHARD_LINE.journalSlot, line + SHARD_LINE.undoHigh + 1);
    }
    u.fill(0, this.#buckets, this.#buckets + u[META_U32.hashsize]!);
    u[META_U32.freeTop] = 0;
    for (let i = 1; i < items; i++) this.pushFree(i);
    u[META_U32.lruHead] = 0;
    u[META_U32.lruTail] = 0;
    u[META_U32.nItems] = 0;
    u[META_U32.bitmapPos] = 0;
    Atomics.store(u, META_U32.nextScan, 0);
    Atomics.store(u, META_U32.scanPendingMin, 0);
    this.bitmap?.reset();
  }

  /** Head slot of bucket `b` (0 = empty). */
  bucket(b: number): number {
    return this.u32[this.#buckets + b]!;
  }

  /** Sets the head slot of bucket `b`. */
  setBucket(b: number, slot: number): void {
    this.u32[this.#buckets + b] = slot;
  }

  /** Number of free slots on the stack. */
  get freeCount(): number {
    return this.u32[META_U32.freeTop]!;
  }

  /** Pushes a free slot on top of the stack. */
  pushFree(slot: number): void {
    const top = this.u32[META_U32.freeTop]! + 1;
    this.u32[this.#free + top] = slot;
    this.u32[META_U32.freeTop] = top;
  }

  /** Pops the top free slot (the caller checked {@link freeCount}). */
  popFree(): number {
    const top = this.u32[META_U32.freeTop]!;
    const slot = this.u32[this.#free + top]!;
    this.u32[META_U32.freeTop] = top - 1;
    return slot;
  }

  /** Index in {@link u32} of shard line `j`'s sequence number (j = shardCount: whole-cache line). */
  seqIndex(j: number): number {
    return this.#lines + j * LINE_WORDS + SHARD_LINE.seq;
  }

  /** Slot whose content journal entry `j` says is being written (0 = none). */
  journal(j: number): number {
    return this.u32[this.#lines + j * LINE_WORDS + SHARD_LINE.journalSlot]!;
  }

  /** How a repair treats journal entry `j`'s slot ({@link JOURNAL_KIND}). */
  journalKind(j: number): number {
    return this.u32[this.#lines + j * LINE_WORDS + SHARD_LINE.journalKind]!;
  }

  /** The previous counter halves journal entry `j` saved ({@link JOURNAL_KIND.counter}). */
  journalUndo(j: number): { low: number; high: number } {
    const line = this.#lines + j * LINE_WORDS;
    return { low: this.u32[line + SHARD_LINE.undoLow]!, high: this.u32[line + SHARD_LINE.undoHigh]! | 0 };
  }

  /** Records (slot, to be dropped by a repair) or clears (0) the slot journal entry `j` is writing. */
  setJournal(j: number, slot: number): void {
    const line = this.#lines + j * LINE_WORDS;
    // The kind is written before the slot, which is what makes the entry count.
    if (slot !== 0) this.u32[line + SHARD_LINE.journalKind] = JOURNAL_KIND.drop;
    this.u32[line + SHARD_LINE.journalSlot] = slot;
  }

  /** Records that journal entry `j` is changing `slot`'s counter in place, whose value was (low, high). */
  setCounterJournal(j: number, slot: number, low: number, high: number): void {
    const u = this.u32;
    const line = this.#lines + j * LINE_WORDS;
    u[line + SHARD_LINE.journalKind] = JOURNAL_KIND.counter;
    u[line + SHARD_LINE.undoLow] = low;
    u[line + SHARD_LINE.undoHigh] = high;
    u[line + SHARD_LINE.journalSlot] = slot;
  }

  /** Counts a hit (`which` 0) or a miss (1) on shard `s`; added to the shared counters at the end of the tick. */
  count(s: number, which: 0 | 1): void {
    this.#pending[s * 2 + which]!++;
    if (!this.#flushQueued) {
      this.#flushQueued = true;
      queueMicrotask(this.#flush);
    }
  }

  /** Adds this process's pending hit/miss counts to the shared counters (atomically: no mutex needed). */
  flushCounts(): void {
    this.#flushQueued = false;
    const pending = this.#pending;
    const u = this.u32;
    for (let k = 0; k < pending.length; k++) {
      const n = pending[k]!;
      if (n === 0) continue;
      pending[k] = 0;
      const i = this.#stats + (k >> 1) * LINE_WORDS + ((k & 1) === 0 ? SHARD_STATS.hitsLow : SHARD_STATS.missLow);
      // 64-bit counter as two u32 words: add the low part, carry into the high word.
      const low = n % TWO_32;
      const carry = Math.floor(n / TWO_32) + (Atomics.add(u, i, low) + low > 0xffffffff ? 1 : 0);
      if (carry !== 0) Atomics.add(u, i + 1, carry);
    }
  }

  /** Sum of the hit (0) or miss (1) counters of every shard (this process's pending counts included). */
  total(which: 0 | 1): number {
    this.flushCounts();
    let n = 0;
    const u = this.u32;
    for (let s = 0; s < this.#layout.shardCount; s++) {
      const i = this.#stats + s * LINE_WORDS + (which === 0 ? SHARD_STATS.hitsLow : SHARD_STATS.missLow);
      n += Atomics.load(u, i) + Atomics.load(u, i + 1) * TWO_32;
    }
    return n;
  }

  /** The earliest expiry the sweeper may find (0 = none known). */
  get nextScan(): number {
    return Atomics.load(this.u32, META_U32.nextScan);
  }

  /** Sets the sweeper's next scan time (capped like every scan time). */
  setNextScan(t: number): void {
    Atomics.store(this.u32, META_U32.nextScan, Math.min(t, SCAN_TIME_MAX));
  }

  /** Lowers the sweeper's next scan time to `expires` if it is earlier (atomically: no mutex needed). */
  noteExpiry(expires: number): void {
    // Pending first: a sweep finishing meanwhile folds it into the next scan time (see the engine's sweep).
    atomicEarliest(this.u32, META_U32.scanPendingMin, expires);
    atomicEarliest(this.u32, META_U32.nextScan, expires);
  }

  /** Starts a sweep: forgets the expiries noted since the previous one. */
  startSweep(): void {
    Atomics.store(this.u32, META_U32.scanPendingMin, 0);
  }

  /**
   * Ends a sweep: the next scan time becomes the earliest of `min` (what the sweep left) and
   * whatever was noted since the sweep started, without losing a concurrent {@link noteExpiry}.
   */
  finishSweep(min: number): void {
    const u = this.u32;
    for (;;) {
      const cur = Atomics.load(u, META_U32.nextScan);
      const pending = Atomics.load(u, META_U32.scanPendingMin);
      const next = Math.min(min === 0 ? pending : pending === 0 ? min : Math.min(min, pending), SCAN_TIME_MAX);
      if (Atomics.compareExchange(u, META_U32.nextScan, cur, next) === cur) return;
    }
  }
}
