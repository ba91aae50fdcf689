/**
 * A Redis-backed cache as the stats document lists it: its name and geometry from its options,
 * its backend, and the counters of the instance's near copy when it has one. What lives in Redis
 * (the items) or in each worker (hits, misses) is not known to the master and left out.
 * @module
 */
import type { RedisCacheOptions } from "../../cluster/redis-cache-options.js";
import type { CacheStats } from "../../engines/cache/cache-engine.js";
import type { StatsRedisCache } from "./stats-snapshot.js";

/**
 * The stats entry of one Redis-backed cache.
 * @param near the stats of its near copy (`near=N`), null without one.
 * @example
 * ```ts
 * redisCacheStats(parseRedisCache2("name=s,items=100,backend=redis://127.0.0.1:6379"), null);
 * // { name: "s", backend: "redis://127.0.0.1:6379", keysize: 2048, max_items: 100, blocks: 100, blocksize: 65536 }
 * ```
 */
export function redisCacheStats(options: RedisCacheOptions, near: CacheStats | null): StatsRedisCache {
  const entry: StatsRedisCache = {
    name: options.name,
    backend: options.displayUrl,
    keysize: options.keysize,
    max_items: options.maxItems + 1,
    blocks: options.blocks,
    blocksize: options.blocksize,
  };
  if (near) {
    entry.near_max_items = options.near;
    entry.near_items = near.items;
    entry.near_hits = near.hits;
    entry.near_miss = near.miss;
  }
  return entry;
}
