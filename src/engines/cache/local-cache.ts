/**
 * A cache in this process's own memory: plain ArrayBuffers and {@link LocalMutex}es. What the stub
 * uses, and handy in tests.
 * @module
 */
import { UwsgiError } from "../../errors.js";
import type { Clock } from "../../core/clock.js";
import { LocalMutex } from "../../core/mutex.js";
import { CacheEngine } from "./cache-engine.js";
import { cacheRegionSizes } from "./cache-layout.js";
import { validateCacheOptions, type CacheOptions } from "./cache-options.js";

function allocate(opts: CacheOptions, bytes: number, what: string): ArrayBuffer {
  try {
    return new ArrayBuffer(bytes);
  } catch {
    throw new UwsgiError("UWSGI_ERR_CACHE_OPTION", opts.name, `cannot allocate ${bytes} bytes for its ${what} region`);
  }
}

/**
 * Creates a fresh cache in private memory.
 * @throws UwsgiError UWSGI_ERR_CACHE_OPTION for bad options or memory that cannot be allocated.
 * @example
 * ```ts
 * const cache = createLocalCache(legacyCacheOptions(100), new ManualClock());
 * cache.set(Buffer.from("k"), Buffer.from("v"));
 * ```
 */
export function createLocalCache(opts: CacheOptions, clock: Clock): CacheEngine {
  validateCacheOptions(opts);
  const { metaBytes, dataBytes, shardCount } = cacheRegionSizes(opts);
  const regions = { meta: allocate(opts, metaBytes, "meta"), data: allocate(opts, dataBytes, "data") };
  const locks = {
    shards: Array.from({ length: shardCount }, (_, i) => new LocalMutex(`cache_${opts.name} shard ${i}`)),
    global: new LocalMutex(`cache_${opts.name}`),
  };
  return new CacheEngine(opts, regions, locks, clock, "init");
}
