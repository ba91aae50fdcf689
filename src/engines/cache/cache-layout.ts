/**
 * Where a cache keeps its state. Two regions:
 *
 * - **data**: byte for byte uWSGI's store-file layout (`items` slots of an 88-byte header of 11
 *   little-endian u64 — flags, keysize, hash, valsize, first_block, expires, hits, prev, next,
 *   lru_prev, lru_next — followed by `keysize` key bytes, then `blocks × blocksize` data bytes), so
 *   a `store=` file can be exchanged with uWSGI 2.0.21.
 * - **meta**: our bookkeeping, rebuilt from the data region whenever in doubt: a header of
 *   counters, one 64-byte line per shard (its sequence number and journal entry) plus one for
 *   whole-cache operations, one 64-byte line of hit/miss counters per shard, the bucket table
 *   (u32 slot indexes), the free-slot stack (u32) and the block bitmap (1 bit per block, MSB
 *   first). Shard lines and counters get a cache line each so that processes working on
 *   different shards do not slow each other down.
 *
 * @module
 */
import type { CacheOptions } from "./cache-options.js";

/** Bytes of a slot header (11 u64). */
export const ITEM_HEADER_BYTES = 88;

/** Byte offsets of the header fields inside a slot. */
export const ITEM = {
  flags: 0,
  keysize: 8,
  hash: 16,
  valsize: 24,
  firstBlock: 32,
  expires: 40,
  hits: 48,
  prev: 56,
  next: 64,
  lruPrev: 72,
  lruNext: 80,
  key: 88,
} as const;

/** uWSGI's item flags, stored in the `flags` field as uWSGI stores them. */
export const ITEM_FLAG = {
  update: 1 << 1,
  math: 1 << 4,
  inc: 1 << 5,
  dec: 1 << 6,
  mul: 1 << 7,
  div: 1 << 8,
  fixExpire: 1 << 9,
} as const;

/** Index of each u32 word of the meta header. */
export const META_U32 = {
  magic: 0,
  version: 1,
  items: 2,
  blocks: 3,
  keysize: 4,
  hashsize: 5,
  shardCount: 6,
  modeFlags: 7,
  /** Non-zero while the meta region must be rebuilt from the data region (Atomics). */
  repair: 8,
  freeTop: 9,
  lruHead: 10,
  lruTail: 11,
  nItems: 12,
  bitmapPos: 13,
  /** Earliest expiry the sweeper may find (unix s, capped at 2^32-1; 0 = none known; Atomics). */
  nextScan: 14,
  /** Earliest expiry set since the current sweep started (same encoding; Atomics). */
  scanPendingMin: 15,
} as const;

/** Largest expiry time {@link META_U32.nextScan} records; later ones are noted as this. */
export const SCAN_TIME_MAX = 0xffffffff;

/** Index of each f64 of the meta header (exact integers up to 2^53). */
export const META_F64 = {
  blocksize: 8,
  full: 9,
  /** Written with a plain (single, aligned 8-byte) store, under a shard mutex only when need be. */
  lastModified: 10,
  /** Next time (unix s) sweep_on_full may sweep. */
  fullSweepAt: 11,
} as const;

/** Bytes of one shard line (a cache line). */
export const SHARD_LINE_BYTES = 64;

/**
 * Index of each u32 word of a shard line. The sequence number is odd while a writer holding the
 * shard mutex may be changing the shard (see the engine's lock-free reads); the journal entry
 * names the slot a writer is changing and how a repair must treat it ({@link JOURNAL_KIND}).
 */
export const SHARD_LINE = {
  seq: 0,
  journalSlot: 1,
  journalKind: 2,
  /** The counter's previous low and high halves ({@link JOURNAL_KIND.counter}). */
  undoLow: 3,
  undoHigh: 4,
} as const;

/** What a repair does with a journaled slot. */
export const JOURNAL_KIND = {
  /** The item was half-written: drop it. */
  drop: 0,
  /** An 8-byte counter was being changed in place: put its previous value back and keep it. */
  counter: 1,
} as const;

/** Index of each u32 word of a shard's counter line: 64-bit hit and miss counts as (low, high) pairs (Atomics). */
export const SHARD_STATS = {
  hitsLow: 0,
  hitsHigh: 1,
  missLow: 2,
  missHigh: 3,
} as const;

/** "UNC1": marks a formatted meta region. */
export const META_MAGIC = 0x31434e55;
/** Meta layout version. */
export const META_VERSION = 2;
/** Bytes of the meta header. */
export const META_HEADER_BYTES = 128;

/** Computed sizes and offsets of one cache's regions. */
export interface CacheLayout {
  /** Shard mutexes guarding the buckets (a power of two). */
  readonly shardCount: number;
  /** Bytes per slot: header plus key storage. */
  readonly slotBytes: number;
  /** Offset of block 0 in the data region (= items × slotBytes). */
  readonly blocksOffset: number;
  /** Size of the data region (= uWSGI's `filesize`). */
  readonly dataBytes: number;
  /** Meta offset of the shard lines: one per shard plus one for whole-cache operations. */
  readonly shardLinesOffset: number;
  /** Meta offset of the per-shard counter lines. */
  readonly shardStatsOffset: number;
  /** Meta offset of the bucket table (hashsize u32). */
  readonly bucketsOffset: number;
  /** Meta offset of the free-slot stack (items u32; entry 0 unused). */
  readonly freeStackOffset: number;
  /** Meta offset of the block bitmap. */
  readonly bitmapOffset: number;
  /** Bytes of the block bitmap (0 without bitmap). */
  readonly bitmapBytes: number;
  /** Size of the meta region. */
  readonly metaBytes: number;
}

const align8 = (n: number): number => Math.ceil(n / 8) * 8;
const align64 = (n: number): number => Math.ceil(n / 64) * 64;

/**
 * Number of shard mutexes for a bucket table: the largest power of two <= min(64, hashsize).
 * @example
 * ```ts
 * shardCountFor(65536); // 64
 * shardCountFor(5);     // 4
 * ```
 */
export function shardCountFor(hashsize: number): number {
  let n = 1;
  while (n * 2 <= Math.min(64, hashsize)) n *= 2;
  return n;
}

/**
 * Sizes and offsets of both regions of a cache.
 * @example
 * ```ts
 * cacheLayout(legacyCacheOptions(10)).dataBytes; // 10 * (88 + 2048) + 10 * 65536
 * ```
 */
export function cacheLayout(opts: CacheOptions): CacheLayout {
  const shardCount = shardCountFor(opts.hashsize);
  const slotBytes = ITEM_HEADER_BYTES + opts.keysize;
  const blocksOffset = opts.items * slotBytes;
  const shardLinesOffset = META_HEADER_BYTES;
  const shardStatsOffset = shardLinesOffset + (shardCount + 1) * SHARD_LINE_BYTES;
  const bucketsOffset = align64(shardStatsOffset + shardCount * SHARD_LINE_BYTES);
  const freeStackOffset = align8(bucketsOffset + opts.hashsize * 4);
  const bitmapOffset = align8(freeStackOffset + opts.items * 4);
  const bitmapBytes = opts.bitmap ? Math.ceil(opts.blocks / 8) : 0;
  return {
    shardCount,
    slotBytes,
    blocksOffset,
    dataBytes: blocksOffset + opts.blocks * opts.blocksize,
    shardLinesOffset,
    shardStatsOffset,
    bucketsOffset,
    freeStackOffset,
    bitmapOffset,
    bitmapBytes,
    metaBytes: align8(bitmapOffset + bitmapBytes),
  };
}

/**
 * What the server must allocate for a cache: the meta and data region sizes and how many shard
 * mutexes to pass in `CacheLocks.shards`.
 * @example
 * ```ts
 * const { metaBytes, dataBytes, shardCount } = cacheRegionSizes(parseCache2Option("name=a,items=100"));
 * ```
 */
export function cacheRegionSizes(opts: CacheOptions): { metaBytes: number; dataBytes: number; shardCount: number } {
  const l = cacheLayout(opts);
  return { metaBytes: l.metaBytes, dataBytes: l.dataBytes, shardCount: l.shardCount };
}
