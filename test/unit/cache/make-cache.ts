// Factories shared by the cache engine tests (not a test file itself).
import { ManualClock } from "../../../src/core/clock.js";
import { LocalMutex, type Mutex } from "../../../src/core/mutex.js";
import { CacheEngine, type CacheLocks, type CacheMode } from "../../../src/engines/cache/cache-engine.js";
import { cacheRegionSizes } from "../../../src/engines/cache/cache-layout.js";
import { parseCache2Option, type CacheOptions } from "../../../src/engines/cache/cache-options.js";
import { createLocalCache } from "../../../src/engines/cache/cache-registry.js";

/** 2024-01-01T00:00:00Z: a whole second, so relative expiries land on exact seconds. */
export const START_MS = Date.UTC(2024, 0, 1);

/** Bytes of a string. */
export const B = (s: string): Buffer => Buffer.from(s);

/** A fresh private cache from a `--cache2` string, on a manual clock. */
export function cacheOf(spec: string, clock = new ManualClock(START_MS)): { cache: CacheEngine; clock: ManualClock } {
  return { cache: createLocalCache(parseCache2Option(spec), clock as ManualClock), clock };
}

/** Regions and LocalMutex locks for `opts`, to build several engines over the same memory. */
export function sharedSetup(opts: CacheOptions, makeMutex: (label: string) => Mutex = (l) => new LocalMutex(l)): {
  regions: { meta: ArrayBuffer; data: ArrayBuffer };
  locks: CacheLocks;
} {
  const { metaBytes, dataBytes, shardCount } = cacheRegionSizes(opts);
  return {
    regions: { meta: new ArrayBuffer(metaBytes), data: new ArrayBuffer(dataBytes) },
    locks: { shards: Array.from({ length: shardCount }, (_, i) => makeMutex(`shard ${i}`)), global: makeMutex("global") },
  };
}

/** An engine over given regions and locks. */
export function engineOver(opts: CacheOptions, setup: ReturnType<typeof sharedSetup>, clock: ManualClock, mode: CacheMode): CacheEngine {
  return new CacheEngine(opts, setup.regions, setup.locks, clock, mode);
}

/** Sorted string forms of the cache's keys. */
export function keyNames(cache: CacheEngine): string[] {
  return cache.keys().map(String).sort();
}

/** Stores keys until the cache refuses one; returns how many it took. */
export function fill(cache: CacheEngine, prefix = "k", limit = 100_000): number {
  let n = 0;
  while (n < limit && cache.set(B(`${prefix}${n}`), B(`v${n}`))) n++;
  return n;
}
