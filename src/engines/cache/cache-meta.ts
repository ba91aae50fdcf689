/**
 * Typed access to a cache's meta region (see `cache-layout.ts`): header words and counters,
 * per-shard hit/miss counters, the journal, buckets, the free-slot stack and the block bitmap.
 * No locking here; the engine holds the right mutex before calling.
 * @module
 */
import { UwsgiError } from "../../errors.js";
import { BlockBitmap } from "./block-bitmap.js";
import { META_F64, META_MAGIC, META_U32, META_VERSION, type CacheLayout } from "./cache-layout.js";
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
  readonly #journal: number;
  readonly #buckets: number;
  readonly #free: number;
  readonly #stats: number;

  constructor(meta: ArrayBuffer, layout: CacheLayout, opts: CacheOptions) {
    this.#layout = layout;
    this.u32 = new Uint32Array(meta, 0, layout.metaBytes / 4);
    this.f64 = new Float64Array(meta, 0, layout.metaBytes / 8);
    this.bitmap = opts.bitmap ? new BlockBitmap(new Uint8Array(meta, layout.bitmapOffset, layout.bitmapBytes), opts.blocks) : null;
    this.#journal = layout.journalOffset / 4;
    this.#buckets = layout.bucketsOffset / 4;
    this.#free = layout.freeStackOffset / 4;
    this.#stats = layout.shardStatsOffset / 8;
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

  /** Empties buckets, journal, LRU list and bitmap, fills the free stack with 1..items-1 (top = items-1). */
  resetStructures(): void {
    const u = this.u32;
    const items = u[META_U32.items]!;
    u.fill(0, this.#journal, this.#journal + this.#layout.shardCount + 1);
    u.fill(0, this.#buckets, this.#buckets + u[META_U32.hashsize]!);
    u[META_U32.freeTop] = 0;
    for (let i = 1; i < items; i++) this.pushFree(i);
    u[META_U32.lruHead] = 0;
    u[META_U32.lruTail] = 0;
    u[META_U32.nItems] = 0;
    u[META_U32.bitmapPos] = 0;
    this.f64[META_F64.nextScan] = 0;
    this.f64[META_F64.scanPendingMin] = 0;
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

  /** Slot whose content journal entry `j` says is being written (0 = none). */
  journal(j: number): number {
    return this.u32[this.#journal + j]!;
  }

  /** Records (slot) or clears (0) the slot journal entry `j` is writing. */
  setJournal(j: number, slot: number): void {
    this.u32[this.#journal + j] = slot;
  }

  /** Counts a hit (`which` 0) or a miss (1) on shard `s`. */
  count(s: number, which: 0 | 1): void {
    this.f64[this.#stats + s * 2 + which]! += 1;
  }

  /** Sum of the hit (0) or miss (1) counters of every shard. */
  total(which: 0 | 1): number {
    let n = 0;
    for (let s = 0; s < this.#layout.shardCount; s++) n += this.f64[this.#stats + s * 2 + which]!;
    return n;
  }

  /** Lowers the sweeper's next scan time to `expires` if it is earlier. */
  noteExpiry(expires: number): void {
    const f = this.f64;
    if (f[META_F64.nextScan] === 0 || f[META_F64.nextScan]! > expires) f[META_F64.nextScan] = expires;
    if (f[META_F64.scanPendingMin] === 0 || f[META_F64.scanPendingMin]! > expires) f[META_F64.scanPendingMin] = expires;
  }
}
