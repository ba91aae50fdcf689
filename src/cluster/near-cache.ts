/**
 * The near cache of a Redis-backed cache (`near=N`): a copy of recently read items in the
 * instance's shared memory (an ordinary cache engine with LRU eviction), so a read that hits it
 * costs no round trip. The master keeps it coherent ({@link NearCacheInvalidator}); workers read
 * and fill it ({@link RedisCache}).
 *
 * ## Coherence
 * The master holds a Redis connection subscribed to invalidations for the cache's key prefix
 * (client-side caching, `CLIENT TRACKING ... BCAST PREFIX`): every write to an item by any node
 * makes Redis send the key, and the master then bumps the shared `epoch` and deletes the key
 * from the near copy (in that order). A worker that misses reads `epoch`, reads Redis, stores the
 * value, then reads `epoch` again and deletes what it stored if it changed: so a value read
 * before a write can never outlive that write's invalidation (either the master's delete comes
 * after the fill, or the worker sees the new epoch). A worker's own write also drops its key at
 * once (read-your-writes in the instance).
 *
 * The near copy is used only while it is `on` and the master's heartbeat is fresh: the master
 * pings Redis over the subscribed connection every 0.5 s and stamps the heartbeat when the reply
 * comes (replies come after every invalidation Redis sent before them). When the connection
 * drops, or a reply is late, or the master stalls, the copy is switched off and emptied, and
 * reads go to Redis until tracking is re-established.
 *
 * **Staleness bound**: a read from the near copy may miss a write made on another node for as
 * long as that write's invalidation takes to reach the master and be applied: normally well under
 * a millisecond on loopback or a LAN, and never more than {@link NEAR_STALE_MS} (the heartbeat
 * bound), after which the copy is not used.
 * @module
 */
import type { CacheEngine } from "../engines/cache/cache-engine.js";
import { parseCache2Option, type CacheOptions } from "../engines/cache/cache-options.js";
import type { RedisCacheOptions } from "./redis-cache-options.js";

/** The near copy is not used when the master's last heartbeat is older than this. */
export const NEAR_STALE_MS = 1500;
/** Bytes of the control area: on, epoch, heartbeat (int32 each), padding. */
export const NEAR_CONTROL_BYTES = 16;

const ON = 0;
const EPOCH = 1;
const BEAT = 2;

/** Heartbeat clock: tenths of a second, wrapped to int32 (differences are taken in int32). */
function beatNow(): number {
  return Math.floor(Date.now() / 100) | 0;
}

/** The options of the shared-memory engine holding a near copy. */
export function nearEngineOptions(o: RedisCacheOptions): CacheOptions {
  return parseCache2Option(`name=${o.name}.near,items=${o.near + 1},blocksize=${o.nearBlocksize},keysize=${o.keysize},purge_lru=1,ignore_full=1`);
}

/** A near copy: its engine and its control area (shared by the master and the workers). */
export class NearCache {
  readonly engine: CacheEngine;
  readonly #ctl: Int32Array;

  /** @param control {@link NEAR_CONTROL_BYTES} bytes of shared memory (zero = off). */
  constructor(engine: CacheEngine, control: ArrayBuffer | SharedArrayBuffer) {
    this.engine = engine;
    this.#ctl = new Int32Array(control, 0, 4);
  }

  /** True when the copy may be read: switched on and the heartbeat fresh. */
  usable(): boolean {
    return Atomics.load(this.#ctl, ON) === 1 && ((beatNow() - Atomics.load(this.#ctl, BEAT)) | 0) * 100 <= NEAR_STALE_MS;
  }

  /** The invalidation epoch (read before a Redis read that may fill the copy). */
  epoch(): number {
    return Atomics.load(this.#ctl, EPOCH);
  }

  /**
   * Stores a value read from Redis (expiring when it does there, `pttl` ms from now; -1 never),
   * unless an invalidation came since `epoch0`.
   */
  fill(key: Buffer, value: Buffer, pttl: number, epoch0: number): void {
    if (value.length === 0 || value.length > this.engine.options.blocksize || pttl === -2) return;
    let expires = 0;
    if (pttl >= 0) {
      const now = Date.now();
      // expire locally no later than Redis does (whole seconds, rounded down)
      expires = Math.floor((now + pttl) / 1000) - Math.floor(now / 1000);
      if (expires <= 0) return;
    }
    if (!this.usable() || this.epoch() !== epoch0) return;
    this.engine.update(key, value, expires);
    if (this.epoch() !== epoch0) this.engine.del(key);
  }

  /** Drops a key this process just wrote to Redis (another instance's copy waits for the invalidation). */
  drop(key: Buffer): void {
    Atomics.add(this.#ctl, EPOCH, 1);
    this.engine.del(key);
  }

  /** Master: an invalidation for `key` (null: every key, e.g. FLUSHDB). */
  invalidate(key: Buffer | null): void {
    Atomics.add(this.#ctl, EPOCH, 1);
    if (key === null) this.engine.clear();
    else this.engine.del(key);
  }

  /** Master: switches the copy on (tracking is in place) or off (it may have missed invalidations). */
  setOn(on: boolean): void {
    if (!on) Atomics.store(this.#ctl, ON, 0);
    Atomics.add(this.#ctl, EPOCH, 1);
    this.engine.clear();
    if (on) {
      this.beat();
      Atomics.store(this.#ctl, ON, 1);
    }
  }

  /** Master: every invalidation Redis sent before now has been applied. */
  beat(): void {
    Atomics.store(this.#ctl, BEAT, beatNow());
  }
}
