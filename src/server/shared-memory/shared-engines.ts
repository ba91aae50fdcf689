/**
 * The engines of one server instance over shared memory: every cache, the metrics and the user
 * locks live in named POSIX shared-memory regions (a cache with `store=` keeps its items in a
 * file mapped MAP_SHARED instead), guarded by robust process-shared mutexes. The master creates
 * the regions before forking; workers, mules and spoolers attach to them by name.
 * @module
 */
import { existsSync, statSync, unlinkSync } from "node:fs";
import type { Clock } from "../../core/clock.js";
import type { Mutex } from "../../core/mutex.js";
import { UwsgiError } from "../../errors.js";
import type { InstanceConfig } from "../../config/instance-config.js";
import type { CacheOptions } from "../../engines/cache/cache-options.js";
import { cacheRegionSizes } from "../../engines/cache/cache-layout.js";
import { CacheEngine } from "../../engines/cache/cache-engine.js";
import { CacheRegistry } from "../../engines/cache/cache-registry.js";
import { MetricsEngine } from "../../engines/metrics/metrics-engine.js";
import type { MetricSpec } from "../../engines/metrics/metric-options.js";
import { SharedRegion, regionName } from "../../native/shared-region.js";
import { FileRegion } from "../../native/file-region.js";
import { MutexArea } from "../../native/mutex-area.js";
import { NEAR_CONTROL_BYTES, NearCache, nearEngineOptions } from "../../cluster/near-cache.js";

/** Whether this process creates the regions (the master) or attaches to them (its children). */
export type SharedEnginesMode = "create" | "attach";

/** The shared engines plus what it takes to release them. */
export interface SharedEngines {
  readonly caches: CacheRegistry;
  /** The near copies of Redis-backed caches with `near=N`, by cache name. */
  readonly nearCaches: ReadonlyMap<string, NearCache>;
  /** Null when metrics are disabled. */
  readonly metrics: MetricsEngine | null;
  /** The metric specs in region order (configured ones, then built-ins). */
  readonly metricSpecs: readonly MetricSpec[];
  /** User locks 0..N. */
  readonly lockMutexes: readonly Mutex[];
  /** Writes store-backed caches back to their files (`async`: schedule only). */
  sync(async?: boolean): void;
  /**
   * Marks every lock (cache shards, metrics, user locks) held by the exited process `pid` as held
   * by a dead owner, so that the next locker recovers it at once (the master, on a child's exit).
   * @returns how many locks were marked.
   */
  releaseLocksOf(pid: number): number;
  /** Removes the region names (the master, at shutdown). Mapped memory stays valid until released. */
  unlink(): void;
}

function region(instance: string, what: string, size: number, mode: SharedEnginesMode): SharedRegion {
  const name = regionName(instance, what);
  return mode === "create" ? SharedRegion.create(name, Math.max(size, 8), { replace: true }) : SharedRegion.attach(name);
}

function mutexes(instance: string, what: string, count: number, mode: SharedEnginesMode, label: string): { region: SharedRegion; area: MutexArea } {
  const r = region(instance, what, MutexArea.bytesFor(count), mode);
  const area = mode === "create" ? MutexArea.init(r.buffer, 0, count, label) : new MutexArea(r.buffer, 0, count, label);
  return { region: r, area };
}

/** Maps a cache's data area from its store file, deciding whether the file's items are restored. */
function storeRegion(opts: CacheOptions, dataBytes: number, mode: SharedEnginesMode): { file: FileRegion; restore: boolean } {
  const path = opts.store!;
  if (mode === "attach") return { file: FileRegion.open(path, dataBytes, { create: false }), restore: false };
  const existed = existsSync(path) && statSync(path).size > 0;
  if (existed && statSync(path).size !== dataBytes) {
    if (!opts.storeDelete) {
      throw new UwsgiError("UWSGI_ERR_CACHE_OPTION", "store", `invalid cache store file ${path}: it has ${statSync(path).size} bytes, cache "${opts.name}" needs ${dataBytes} (set store_delete=1 to replace it)`);
    }
    unlinkSync(path);
    return { file: FileRegion.open(path, dataBytes, { create: true }), restore: false };
  }
  return { file: FileRegion.open(path, dataBytes, { create: true }), restore: existed };
}

/**
 * Creates (master) or attaches to (children) the shared engines of `instance`.
 * @param metricSpecs configured metrics followed by the runtime's built-ins, in the same order in every process.
 * @throws UwsgiError UWSGI_ERR_SHM / UWSGI_ERR_NATIVE_UNAVAILABLE when shared memory cannot be had,
 *   UWSGI_ERR_CACHE_OPTION for a store file of the wrong size.
 */
export function createSharedEngines(
  config: InstanceConfig,
  instance: string,
  clock: Clock,
  mode: SharedEnginesMode,
  metricSpecs: readonly MetricSpec[] = config.metrics,
): SharedEngines {
  const regions: SharedRegion[] = [];
  const files: FileRegion[] = [];
  try {
    return build();
  } catch (err) {
    // Do not leave half an instance behind in /dev/shm.
    if (mode === "create") for (const r of regions) r.unlink();
    throw err;
  }

  function build(): SharedEngines {
    const areas: MutexArea[] = [];
    const cacheEngine = (opts: CacheOptions, tag: string): CacheEngine => {
      const sizes = cacheRegionSizes(opts);
      const meta = region(instance, `cache.${tag}.meta`, sizes.metaBytes, mode);
      regions.push(meta);
      let data: ArrayBuffer;
      let cacheMode: "init" | "attach" | "restore" = mode === "create" ? "init" : "attach";
      if (opts.store) {
        const { file, restore } = storeRegion(opts, sizes.dataBytes, mode);
        files.push(file);
        data = file.buffer;
        if (restore) cacheMode = "restore";
      } else {
        const d = region(instance, `cache.${tag}.data`, sizes.dataBytes, mode);
        regions.push(d);
        data = d.buffer;
      }
      const locks = mutexes(instance, `cache.${tag}.locks`, sizes.shardCount + 1, mode, `cache_${opts.name} `);
      regions.push(locks.region);
      areas.push(locks.area);
      const shards = Array.from({ length: sizes.shardCount }, (_, s) => locks.area.get(s));
      return new CacheEngine(opts, { meta: meta.buffer, data }, { shards, global: locks.area.get(sizes.shardCount) }, clock, cacheMode);
    };
    const caches = config.caches.map((opts, i) => cacheEngine(opts, String(i)));
    const nearCaches = new Map<string, NearCache>();
    (config.redisCaches ?? []).forEach((o, i) => {
      if (o.near <= 0) return;
      const control = region(instance, `cache.near${i}.control`, NEAR_CONTROL_BYTES, mode);
      regions.push(control);
      nearCaches.set(o.name, new NearCache(cacheEngine(nearEngineOptions(o), `near${i}`), control.buffer));
    });

    let metrics: MetricsEngine | null = null;
    if (config.metricsEnabled) {
      const values = region(instance, "metrics", MetricsEngine.regionBytes(metricSpecs.length), mode);
      const lock = mutexes(instance, "metrics.lock", 1, mode, "metrics ");
      regions.push(values, lock.region);
      areas.push(lock.area);
      metrics = new MetricsEngine(metricSpecs, values.buffer, lock.area.get(0), mode === "create" ? "init" : "attach");
    }

    const userLocks = mutexes(instance, "locks", config.locks + 1, mode, "user ");
    regions.push(userLocks.region);
    areas.push(userLocks.area);

    return {
      caches: new CacheRegistry(caches),
      nearCaches,
      metrics,
      metricSpecs,
      lockMutexes: Array.from({ length: config.locks + 1 }, (_, n) => userLocks.area.get(n)),
      sync(async = true) {
        for (const f of files) f.sync(async);
      },
      releaseLocksOf(pid: number) {
        let marked = 0;
        for (const a of areas) marked += a.releaseLocksOf(pid);
        return marked;
      },
      unlink() {
        for (const r of regions) r.unlink();
      },
    };
  }
}
