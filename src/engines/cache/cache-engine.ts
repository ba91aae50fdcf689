/**
 * The cache engine: uWSGI's `cache2` semantics over two memory regions (see `cache-layout.ts`)
 * that several processes may map and use at once. All cache state lives in those regions; an
 * engine object only holds views and the options. This file holds the public operations and
 * their locking (which locks, in which order, backing out and repairing); what an operation
 * changes once its locks are held is in `cache-locked-ops.ts`, the lock-free read path in
 * `lock-free-read.ts`, the key (encoding and hashing) in `cache-key.ts`.
 *
 * ## Locking
 * Buckets are spread over `shardCount` shard mutexes (shard = bucket % shardCount). A shard mutex
 * guards its buckets, the chains hanging from them and the content of the slots in those chains
 * (key, value, expiry, hits) and its journal entry. The global mutex guards the free-slot stack,
 * the block bitmap, the LRU list and the item and "full" counters. Hit/miss counters and the
 * sweeper's scan times are Atomics and need no mutex; the last-modified time is one aligned
 * 8-byte store made under whichever mutex the writer holds. So replacing a value in place (no
 * bitmap, no LRU) and math on an existing key take the shard mutex alone. Lock order is always
 * shard -> global; operations on the whole cache (clear, keys, the full-cache path, repair) take
 * every shard in ascending order, then global. Every operation takes all the locks it needs
 * *before* it changes anything.
 *
 * ## Lock-free reads
 * `get`, `exists` and `num` on caches without `purge_lru` (whose reads reorder the LRU list) first
 * try without any mutex, under the key's shard sequence number (a seqlock): whoever holds a shard
 * mutex makes the shard's number odd right after taking it and even (and new) right before
 * releasing it. A reader reads the number, gives up at once if it is odd or a repair is pending,
 * looks the key up and copies the value with bounded loops and bounds-checked indexes (a torn
 * read can neither throw nor spin), then reads the number again: if it changed the read is
 * redone, and after a few attempts (or while the number stays odd, e.g. its writer died) the read
 * takes the shard mutex like any operation, which recovers a dead owner and repairs. An expired
 * item met this way is deleted on the locked path. Hit/miss counters are Atomics; the per-item
 * `hits` field is counted on the locked path only. This relies on x86-64's store and load
 * ordering; on other CPUs every read takes the mutex.
 *
 * ## Recovery from a dead lock owner
 * `Mutex.lock()` returning true means the previous owner died holding it, possibly half-way
 * through a change. The engine then sets the region's "repair" flag (before releasing anything);
 * whoever next holds a cache lock sees the flag, backs out untouched, takes every lock and
 * rebuilds the meta region from the data region ({@link rebuildCacheMeta}), then retries its
 * operation. The data region is kept rebuildable at every instant: a slot is live only once its
 * `keysize` is written (last), is made dead by clearing `keysize` (first), and every slot whose
 * content is being changed is named in the writer's journal entry in the meta region first; the
 * rebuild drops journaled slots, so a half-written value is never served. Math on an existing
 * 8-byte counter journals the counter's old value instead, and the rebuild puts it back and keeps
 * the item. The cost of a crash is therefore at most the item being written (a counter keeps its
 * value from before the operation), plus LRU order where the list itself was torn.
 *
 * @module
 */
import { Buffer } from "node:buffer";
import { UwsgiError } from "../../errors.js";
import type { Clock } from "../../core/clock.js";
import { unixSeconds } from "../../core/clock.js";
import type { BytesLike } from "../../core/bytes.js";
import { BucketChains } from "./bucket-chains.js";
import { CacheKey } from "./cache-key.js";
import { ITEM, META_F64, META_U32, cacheLayout, type CacheLayout } from "./cache-layout.js";
import { CacheLocking, NEEDS_REPAIR, corrupt, type CacheLocks } from "./cache-locking.js";
import { FULL, LockedOps, earliest } from "./cache-locked-ops.js";
import { CacheMeta } from "./cache-meta.js";
import { maxItemSizeOf, validateCacheOptions, type CacheOptions } from "./cache-options.js";
import { rebuildCacheMeta } from "./cache-rebuild.js";
import { CacheSlots } from "./cache-slots.js";
import { bigIntToCounter, counterToBigInt, counterToNumber, mathOperand, type CacheMathOp, type CounterHalves } from "./counter-math.js";
import { cacheHashFunction, type CacheHashFunction } from "./hash.js";
import { LOCK_FREE_READS, LOCKED, LockFreeReader, READ_COUNTER, READ_EXISTS, READ_NUMBER, READ_VALUE } from "./lock-free-read.js";
import { LruList } from "./lru-list.js";

export type { CacheMathOp } from "./counter-math.js";
export type { CacheLocks } from "./cache-locking.js";

/**
 * How the engine treats the regions it is given: `init` formats fresh memory, `attach` joins
 * memory another process formatted, `restore` keeps a data region loaded from a store file and
 * rebuilds the bookkeeping from it (dropping expired and invalid items).
 */
export type CacheMode = "init" | "attach" | "restore";

/** One cache's entry in the stats document (uWSGI's key names). */
export interface CacheStats {
  name: string;
  hash: string;
  hashsize: number;
  keysize: number;
  max_items: number;
  blocks: number;
  blocksize: number;
  /** Items currently stored. */
  items: number;
  hits: number;
  miss: number;
  /** Times the cache was found full. */
  full: number;
  last_modified_at: number;
}

/** Repairs in a row after which an operation gives up (a rebuild that does not stick is a bug). */
const MAX_REPAIRS = 8;


function relativeExpiry(expires: number | undefined): number {
  if (expires === undefined) return 0;
  if (!Number.isSafeInteger(expires) || expires < 0) {
    throw new UwsgiError("UWSGI_ERR_INVALID_ARGUMENT", "expires", `expected a whole number of seconds >= 0, got ${expires}`);
  }
  return expires;
}


/**
 * One cache (uWSGI's `cache2`) over a meta and a data region.
 * @example
 * ```ts
 * const opts = parseCache2Option("name=c,items=100,blocksize=256");
 * const { metaBytes, dataBytes, shardCount } = cacheRegionSizes(opts);
 * const locks = { shards: Array.from({ length: shardCount }, () => new LocalMutex()), global: new LocalMutex() };
 * const cache = new CacheEngine(opts, { meta: new ArrayBuffer(metaBytes), data: new ArrayBuffer(dataBytes) }, locks, systemClock, "init");
 * cache.set(Buffer.from("k"), Buffer.from("v"), 60); // true
 * cache.get(Buffer.from("k"));                       // <Buffer 76>
 * ```
 */
export class CacheEngine {
  /** The cache's options. */
  readonly options: CacheOptions;
  /** Items found in the store file (`restore` mode), else 0. */
  readonly restored: number = 0;
  /**
   * Receives log lines: uWSGI's "cache is FULL" / "LRU item will be purged" (unless `ignoreFull`)
   * and a line whenever the engine rebuilt the cache after a dead lock owner; null = silent.
   * Called while the cache's locks are held: it must not call back into this cache.
   */
  onLog: ((line: string) => void) | null = null;
  /**
   * What this process's lock-free reads did (see "Lock-free reads" in the module docs): attempts
   * redone because a writer was at work (`retries`) and reads that took the shard mutex after
   * all (`fallbacks`). Diagnostics only; never reset.
   */
  get optimisticReads(): { readonly retries: number; readonly fallbacks: number } {
    return this.#reader.stats;
  }

  readonly #layout: CacheLayout;
  readonly #meta: CacheMeta;
  readonly #slots: CacheSlots;
  readonly #chains: BucketChains;
  readonly #lru: LruList;
  readonly #locks: CacheLocking;
  readonly #reader: LockFreeReader;
  /** The key of the operation in progress (see `cache-key.ts`). */
  readonly #key: CacheKey;
  readonly #clock: Clock;
  readonly #hash: CacheHashFunction;
  readonly #maxItemSize: number;
  readonly #shardMask: number;
  readonly #hashsize: number;
  /** `hashsize - 1` when hashsize is a power of two (the default 65536): bucket = hash & mask, no division. */
  readonly #bucketMask: number;
  /** Whether get/exists/num try a lock-free read first. */
  readonly #lockFree: boolean;
  /** What operations change with their locks held (`cache-locked-ops.ts`). */
  readonly #ops: LockedOps;

  /**
   * @param opts the cache's options (validated again here).
   * @param regions `meta` of at least `metaBytes` and `data` of at least `dataBytes` (see `cacheRegionSizes`).
   * @param locks one mutex per shard plus the global one, shared by every process using the regions.
   * @param clock time source for expiry.
   * @param mode see {@link CacheMode}.
   * @throws UwsgiError UWSGI_ERR_CACHE_OPTION for bad options, UWSGI_ERR_CACHE_REGION for regions
   *   that are too small or (attach) not formatted for these options, UWSGI_ERR_INVALID_ARGUMENT
   *   for a wrong number of shard mutexes.
   */
  constructor(opts: CacheOptions, regions: { meta: ArrayBuffer; data: ArrayBuffer }, locks: CacheLocks, clock: Clock, mode: CacheMode) {
    validateCacheOptions(opts);
    const layout = cacheLayout(opts);
    if (regions.meta.byteLength < layout.metaBytes) {
      throw new UwsgiError("UWSGI_ERR_CACHE_REGION", opts.name, `meta region has ${regions.meta.byteLength} bytes, needs ${layout.metaBytes}`);
    }
    if (regions.data.byteLength < layout.dataBytes) {
      throw new UwsgiError("UWSGI_ERR_CACHE_REGION", opts.name, `data region has ${regions.data.byteLength} bytes, needs ${layout.dataBytes}`);
    }
    if (locks.shards.length !== layout.shardCount) {
      throw new UwsgiError("UWSGI_ERR_INVALID_ARGUMENT", "locks", `cache ${opts.name} needs ${layout.shardCount} shard mutexes, got ${locks.shards.length}`);
    }
    this.options = opts;
    this.#layout = layout;
    this.#meta = new CacheMeta(regions.meta, layout, opts);
    this.#maxItemSize = maxItemSizeOf(opts);
    this.#slots = new CacheSlots(regions.data, layout, opts.blocksize, opts.blocks, this.#maxItemSize);
    this.#chains = new BucketChains(this.#meta, this.#slots, opts.items);
    this.#lru = new LruList(this.#meta, this.#slots);
    this.#locks = new CacheLocking(locks, this.#meta);
    this.#reader = new LockFreeReader(this.#meta, this.#slots, clock, opts.items);
    this.#clock = clock;
    this.#hash = cacheHashFunction(opts.hash);
    this.#key = new CacheKey(opts.keysize, this.#hash);
    this.#bucketMask = (opts.hashsize & (opts.hashsize - 1)) === 0 ? opts.hashsize - 1 : -1;
    this.#shardMask = layout.shardCount - 1;
    this.#hashsize = opts.hashsize;
    this.#lockFree = LOCK_FREE_READS && !opts.purgeLru;
    const initial: CounterHalves = { low: 0, high: 0 };
    bigIntToCounter(BigInt.asIntN(64, opts.mathInitial), initial);
    this.#ops = new LockedOps({
      options: opts,
      layout,
      meta: this.#meta,
      slots: this.#slots,
      chains: this.#chains,
      lru: this.#lru,
      locks: this.#locks,
      key: this.#key,
      clock,
      initial,
      log: () => this.onLog,
    });
    if (mode === "attach") {
      this.#meta.verify(opts);
    } else if (mode === "init") {
      for (let i = 0; i < opts.items; i++) this.#slots.zeroHeader(i);
      this.#meta.format(opts);
    } else if (mode === "restore") {
      this.#meta.format(opts);
      this.restored = rebuildCacheMeta(opts, layout, this.#meta, this.#slots, this.#hash, unixSeconds(clock)).restored;
    } else {
      throw new UwsgiError("UWSGI_ERR_INVALID_ARGUMENT", "mode", `expected init, attach or restore, got ${String(mode)}`);
    }
  }

  /**
   * The value of a live key (a copy), or null. Counts a hit or a miss; on `purge_lru` caches a hit
   * makes the item the most recently used. Usually lock-free (see the module docs): the item's own
   * `hits` field is then left alone.
   * @example
   * ```ts
   * cache.get(Buffer.from("k")); // Buffer or null
   * ```
   */
  get(key: BytesLike): Buffer | null {
    const k = this.#key;
    const h = k.load(key);
    if (h < 0) {
      // No item can have this key.
      this.#meta.count(0, 1);
      return null;
    }
    const len = k.length;
    const b = this.#bucketOf(h);
    const s = b & this.#shardMask;
    if (this.#lockFree) {
      const r = this.#reader.read(k.bytes, len, h, b, s, READ_VALUE, k.words);
      if (r !== LOCKED) return r as Buffer | null;
    }
    for (let attempt = 0; ; attempt++) {
      try {
        this.#locks.lockShard(s);
        const slot = this.#ops.lookup(h, b, s, -1);
        if (slot === 0) {
          this.#meta.count(s, 1);
          return null;
        }
        if (this.options.purgeLru) {
          this.#locks.needGlobal();
          this.#lru.touch(slot);
        }
        const vs = this.#slots.low(slot, ITEM.valsize);
        const fb = this.#slots.low(slot, ITEM.firstBlock);
        if (!this.#slots.valueFits(fb, vs)) corrupt(this.#meta);
        this.#ops.countHit(slot, s);
        return this.#slots.copyValue(fb, vs);
      } catch (err) {
        this.#backOut(err, attempt);
      } finally {
        this.#locks.releaseAll();
      }
    }
  }

  /**
   * True when `key` is live (present and not expired). Counts nothing. Usually lock-free.
   * @example
   * ```ts
   * cache.exists(Buffer.from("k")); // boolean
   * ```
   */
  exists(key: BytesLike): boolean {
    const k = this.#key;
    const h = k.load(key);
    if (h < 0) return false;
    const len = k.length;
    const b = this.#bucketOf(h);
    const s = b & this.#shardMask;
    if (this.#lockFree) {
      const r = this.#reader.read(k.bytes, len, h, b, s, READ_EXISTS, k.words);
      if (r !== LOCKED) return r as boolean;
    }
    for (let attempt = 0; ; attempt++) {
      try {
        this.#locks.lockShard(s);
        return this.#ops.lookup(h, b, s, -1) !== 0;
      } catch (err) {
        this.#backOut(err, attempt);
      } finally {
        this.#locks.releaseAll();
      }
    }
  }

  /**
   * Absolute expiry (unix seconds) of a live key; 0 when it never expires or is absent. Counts
   * nothing (the magic protocol's `get` reply carries it).
   * @example
   * ```ts
   * cache.update(Buffer.from("k"), Buffer.from("v"), 60);
   * cache.expiresAt(Buffer.from("k")); // now + 60
   * ```
   */
  expiresAt(key: BytesLike): number {
    const h = this.#key.load(key);
    if (h < 0) return 0;
    const b = this.#bucketOf(h);
    const s = b & this.#shardMask;
    for (let attempt = 0; ; attempt++) {
      try {
        this.#locks.lockShard(s);
        const slot = this.#ops.lookup(h, b, s, -1);
        return slot === 0 ? 0 : this.#slots.get(slot, ITEM.expires);
      } catch (err) {
        this.#backOut(err, attempt);
      } finally {
        this.#locks.releaseAll();
      }
    }
  }

  /**
   * Stores a new key; never overwrites a live one. `expires` is relative seconds (0 = never).
   * @returns false for an existing live key, an empty key or value, a key longer than `keysize`,
   *   a value larger than {@link maxItemSize}, or a full cache.
   * @throws UwsgiError UWSGI_ERR_INVALID_ARGUMENT for a negative or fractional `expires`.
   * @example
   * ```ts
   * cache.set(Buffer.from("k"), Buffer.from("v"));      // true
   * cache.set(Buffer.from("k"), Buffer.from("other"));  // false, "v" kept
   * ```
   */
  set(key: BytesLike, value: Uint8Array, expires?: number): boolean {
    return this.#store(key, value, null, 0, 0n, relativeExpiry(expires), false);
  }

  /**
   * Creates or overwrites a key. The expiry is replaced: omitted or 0 makes the item immortal.
   * In bitmap caches the new value is written to fresh blocks before the old ones are freed, so
   * an update needs room for both copies.
   * @returns false for the size limits of {@link set} or a full cache.
   * @throws UwsgiError UWSGI_ERR_INVALID_ARGUMENT for a negative or fractional `expires`.
   * @example
   * ```ts
   * cache.update(Buffer.from("k"), Buffer.from("v2"), 30); // true
   * ```
   */
  update(key: BytesLike, value: Uint8Array, expires?: number): boolean {
    return this.#store(key, value, null, 0, 0n, relativeExpiry(expires), true);
  }

  /**
   * Deletes a live key.
   * @returns false when it was absent (or already expired).
   * @example
   * ```ts
   * cache.del(Buffer.from("k")); // true
   * ```
   */
  del(key: BytesLike): boolean {
    const h = this.#key.load(key);
    if (h < 0) return false;
    const b = this.#bucketOf(h);
    const s = b & this.#shardMask;
    for (let attempt = 0; ; attempt++) {
      try {
        this.#locks.lockShard(s);
        // The clock is read only when something needs the time (an expiry to check, lastmod).
        const slot = this.#ops.lookup(h, b, s, -1);
        if (slot === 0) return false;
        this.#locks.needGlobal();
        this.#ops.deleteSlot(slot, b, s, this.options.lastmod ? unixSeconds(this.#clock) : -1);
        return true;
      } catch (err) {
        this.#backOut(err, attempt);
      } finally {
        this.#locks.releaseAll();
      }
    }
  }

  /**
   * Deletes every item. Always true.
   * @example
   * ```ts
   * cache.clear(); // true
   * ```
   */
  clear(): boolean {
    return this.#op(() => {
      this.#locks.lockAll(true);
      this.#ops.clearLocked(unixSeconds(this.#clock));
      return true;
    });
  }

  /**
   * Signed 64-bit arithmetic on a counter stored as 8 little-endian bytes. A missing key starts at
   * `mathInitial` and gets `expires`; an existing one keeps its expiry. A value that is not 8 bytes
   * is read zero-padded (its first 8 bytes, missing bytes 0). Results wrap; division truncates
   * toward zero and division by 0 gives 0 (and succeeds).
   * @returns false when the cache cannot hold an 8-byte value (max item size < 8), for a bad key,
   *   or when full.
   * @param operand a signed 64-bit integer: a bigint, or a number that is an integer (no BigInt is
   *   built for a safe integer).
   * @throws UwsgiError UWSGI_ERR_INVALID_ARGUMENT for an unknown op, an operand that is not an
   *   integer or lies outside int64, or a bad `expires`.
   * @example
   * ```ts
   * cache.math("inc", Buffer.from("hits"), 1n); // true
   * cache.math("inc", "hits", 1);               // true
   * cache.num(Buffer.from("hits"));             // 2n
   * ```
   */
  math(op: CacheMathOp, key: BytesLike, operand: bigint | number, expires?: number): boolean {
    if (op !== "inc" && op !== "dec" && op !== "mul" && op !== "div") {
      throw new UwsgiError("UWSGI_ERR_INVALID_ARGUMENT", "op", `expected inc, dec, mul or div, got ${String(op)}`);
    }
    const n = mathOperand(operand);
    return this.#store(key, null, op, n, operand, relativeExpiry(expires), true);
  }

  /**
   * The counter stored under `key`: its int64 when the value is exactly 8 bytes, else 0n (also for
   * a missing key). Counts a hit or a miss. Usually lock-free, like {@link get}.
   * @example
   * ```ts
   * cache.num(Buffer.from("hits")); // 0n when absent
   * ```
   */
  num(key: BytesLike): bigint {
    return this.#counter(key, READ_COUNTER) as bigint;
  }

  /**
   * {@link num} as a number (what `uwsgi.cache_num` returns): exact up to 2^53 in magnitude,
   * rounded to the nearest double beyond, like `Number(cache.num(key))`, but without building a
   * BigInt.
   * @example
   * ```ts
   * cache.math("inc", "hits", 1);
   * cache.numValue("hits"); // 1
   * ```
   */
  numValue(key: BytesLike): number {
    return this.#counter(key, READ_NUMBER) as number;
  }

  /** {@link num} (`what` READ_COUNTER: a bigint) or {@link numValue} (READ_NUMBER: a number). */
  #counter(key: BytesLike, what: typeof READ_COUNTER | typeof READ_NUMBER): bigint | number {
    const zero = what === READ_NUMBER ? 0 : 0n;
    const k = this.#key;
    const h = k.load(key);
    if (h < 0) {
      // No item can have this key.
      this.#meta.count(0, 1);
      return zero;
    }
    const len = k.length;
    const b = this.#bucketOf(h);
    const s = b & this.#shardMask;
    if (this.#lockFree) {
      const r = this.#reader.read(k.bytes, len, h, b, s, what, k.words);
      if (r !== LOCKED) return r as bigint | number;
    }
    for (let attempt = 0; ; attempt++) {
      try {
        this.#locks.lockShard(s);
        const slot = this.#ops.lookup(h, b, s, -1);
        if (slot === 0) {
          this.#meta.count(s, 1);
          return zero;
        }
        const slots = this.#slots;
        const fb = slots.low(slot, ITEM.firstBlock);
        const vs = slots.low(slot, ITEM.valsize);
        if (!slots.valueFits(fb, vs)) corrupt(this.#meta);
        this.#ops.countHit(slot, s);
        if (vs !== 8) return zero;
        return what === READ_NUMBER ? counterToNumber(slots.counterLow(fb), slots.counterHigh(fb)) : counterToBigInt(slots.counterLow(fb), slots.counterHigh(fb));
      } catch (err) {
        this.#backOut(err, attempt);
      } finally {
        this.#locks.releaseAll();
      }
    }
  }

  /**
   * Copies of every live key, in no particular order (slot order, or bucket then chain order).
   * @example
   * ```ts
   * cache.keys().map(String);
   * ```
   */
  keys(): Buffer[] {
    return this.#op(() => {
      this.#locks.lockAll(false);
      const now = unixSeconds(this.#clock);
      const out: Buffer[] = [];
      const slots = this.#slots;
      const collect = (slot: number): void => {
        const e = slots.get(slot, ITEM.expires);
        if (e === 0 || e > now) out.push(slots.copyKey(slot));
      };
      // Every shard is held, so whichever of slots or buckets is shorter can be scanned.
      if (this.options.items <= this.options.hashsize) {
        // keysize < 2^32: its low word says whether the slot is live.
        for (let i = 1; i < this.options.items; i++) if (slots.low(i, ITEM.keysize) !== 0) collect(i);
      } else {
        for (let b = 0; b < this.options.hashsize; b++) this.#ops.walk(b, collect);
      }
      return out;
    });
  }

  /**
   * Deletes every expired item and returns how many (what the master's sweeper runs every few
   * seconds). Returns 0 at once for `no_expire` caches and when nothing can have expired yet.
   * Shards are swept one at a time, so the cache stays usable meanwhile. Meant for one sweeping
   * process: concurrent sweeps stay correct but may postpone the next sweep time.
   * @example
   * ```ts
   * const freed = cache.sweep();
   * ```
   */
  sweep(): number {
    if (this.options.noExpire) return 0;
    const now = unixSeconds(this.#clock);
    const next = this.#meta.nextScan;
    if (next === 0 || next > now) return 0;
    this.#meta.startSweep();
    let freed = 0;
    let min = 0;
    for (let s = 0; s < this.#layout.shardCount; s++) {
      const r = this.#op(() => this.#ops.sweepShard(s, now));
      freed += r.freed;
      min = earliest(min, r.min);
    }
    this.#meta.finishSweep(min);
    return freed;
  }

  /**
   * Counters for the stats server (uWSGI's names). Read without locking, so a snapshot.
   * @example
   * ```ts
   * cache.stats().items;
   * ```
   */
  stats(): CacheStats {
    const o = this.options;
    const m = this.#meta;
    return {
      name: o.name,
      hash: o.hash,
      hashsize: o.hashsize,
      keysize: o.keysize,
      max_items: o.items,
      blocks: o.blocks,
      blocksize: o.blocksize,
      items: m.u32[META_U32.nItems]!,
      hits: m.total(0),
      miss: m.total(1),
      full: m.f64[META_F64.full]!,
      last_modified_at: m.f64[META_F64.lastModified]!,
    };
  }

  /**
   * The largest value accepted: `blocksize`, or `blocksize * blocks` for bitmap caches.
   * @example
   * ```ts
   * cache.maxItemSize(); // 65536 by default
   * ```
   */
  maxItemSize(): number {
    return this.#maxItemSize;
  }

  /** uWSGI's bucket of a hash: `hash % hashsize`. */
  #bucketOf(h: number): number {
    const mask = this.#bucketMask;
    return mask >= 0 ? h & mask : h % this.#hashsize;
  }

  // --- backing out and repairing ------------------------------------------------------------

  /**
   * The `catch` of every locked operation: releases the locks, rethrows anything but a repair
   * request, and otherwise repairs so that the caller can retry (attempt `attempt`).
   */
  #backOut(err: unknown, attempt: number): void {
    this.#locks.releaseAll(err !== NEEDS_REPAIR);
    if (err !== NEEDS_REPAIR) throw err;
    if (attempt >= MAX_REPAIRS) throw new UwsgiError("UWSGI_ERR_CACHE_REGION", this.options.name, "the shared region stays inconsistent after repeated repairs");
    this.#repair();
  }

  /** Runs `fn` (which takes its locks), releasing every lock afterwards; repairs and retries when asked to. For the cold paths. */
  #op<T>(fn: () => T): T {
    for (let attempt = 0; ; attempt++) {
      try {
        return fn();
      } catch (err) {
        this.#backOut(err, attempt);
      } finally {
        this.#locks.releaseAll();
      }
    }
  }

  /** Takes every lock and, if the repair flag is still set, rebuilds the meta region from the data region. */
  #repair(): void {
    const u = this.#meta.u32;
    try {
      this.#locks.lockForRepair();
      if (Atomics.load(u, META_U32.repair) !== 0) {
        const r = rebuildCacheMeta(this.options, this.#layout, this.#meta, this.#slots, this.#hash, unixSeconds(this.#clock));
        Atomics.store(u, META_U32.repair, 0);
        this.onLog?.(`[uwsgi-cache] cache "${this.options.name}" rebuilt after a process died holding its lock: ${r.restored} items kept, ${r.dropped} dropped`);
      }
    } finally {
      this.#locks.releaseAll();
    }
  }

  /**
   * set/update/math: first with the key's shard only, then, if the cache is full, with every lock.
   * `value` is the bytes to store, or null for math (`op`, with the operand as a number `n` when
   * it is a safe integer, else NaN, and as `operand`).
   */
  #store(key: BytesLike, value: Uint8Array | null, op: CacheMathOp | null, n: number, operand: bigint | number, relExpires: number, update: boolean): boolean {
    const k = this.#key;
    const h = k.load(key);
    const length = value === null ? 8 : value.length;
    if (h < 0 || k.length === 0 || length === 0 || length > this.#maxItemSize) return false;
    const b = this.#bucketOf(h);
    const s = b & this.#shardMask;
    for (let exclusive = false; ; exclusive = true) {
      for (let attempt = 0; ; attempt++) {
        try {
          if (exclusive) this.#locks.lockAll(true);
          else this.#locks.lockShard(s);
          const r = this.#ops.storeLocked(h, b, s, value, op, n, operand, relExpires, update, exclusive);
          if (r !== FULL) return r;
          break;
        } catch (err) {
          this.#backOut(err, attempt);
        } finally {
          this.#locks.releaseAll();
        }
      }
    }
  }

}
