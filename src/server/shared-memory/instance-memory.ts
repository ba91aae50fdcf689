/**
 * The master's side of the instance's shared memory: it claims a random instance id (whose
 * owner record it keeps locked, see `InstanceOwner`), creates the regions before forking (after
 * removing regions left by dead instances), preloads the configured cache items, sweeps expired cache items, writes store
 * files back, writes the `--metrics-dir` files, keeps the built-in metrics from its worker table (on the master's tick), feeds the stats document and
 * the Prometheus endpoint, and removes the regions when the instance stops.
 * @module
 */
import { systemClock } from "../../core/clock.js";
import type { InstanceConfig } from "../../config/instance-config.js";
import { resolve } from "node:path";
import { optionBool, optionInt, optionString } from "../../config/option-values.js";
import type { MetricSpec } from "../../engines/metrics/metric-options.js";
import { metricTypeCode, RUNTIME_COLLECTOR } from "../../engines/metrics/metric-options.js";
import { MetricsCollector } from "../../engines/metrics/metric-collectors.js";
import { LockTable } from "../../engines/locks/lock-table.js";
import { cleanupStaleRegions } from "../../native/shared-region.js";
import { InstanceOwner } from "../../native/instance-owner.js";
import type { StatsCache, StatsLock, StatsMetric, StatsRedisCache, StatsWorker } from "../stats/stats-snapshot.js";
import { redisCacheStats } from "../stats/redis-cache-stats.js";
import { instanceMetricSpecs, workerMetricName } from "./builtin-metrics.js";
import { renderPrometheusText, type ProcessRuntime } from "../observability/prometheus-text.js";
import { createSharedEngines, type SharedEngines } from "./shared-engines.js";
import { preloadCaches } from "./cache-preload.js";
import { NearCacheInvalidator } from "../../cluster/near-cache-invalidator.js";
import { MetricsDirWriter } from "./metrics-dir.js";

/** The metric specs every process of an instance uses, in the same order. */
export function instanceMetrics(config: InstanceConfig): MetricSpec[] {
  return config.metricsEnabled ? instanceMetricSpecs(config.metrics, config.processes) : [];
}

/** Shared memory owned by the master. */
export class InstanceMemory {
  readonly #timers: NodeJS.Timeout[] = [];
  /** Keep the near copies of Redis-backed caches coherent (one per `near=N` cache). */
  readonly #invalidators: NearCacheInvalidator[] = [];
  #closed = false;

  private constructor(
    readonly config: InstanceConfig,
    readonly engines: SharedEngines,
    readonly owner: InstanceOwner,
  ) {}

  /** The instance id children attach with (`UWSGI_NODE_INSTANCE`). */
  get instance(): string {
    return this.owner.id;
  }

  /**
   * Claims an instance id and creates the instance's regions from the resolved configuration.
   * @param log where stale-region removal and cache events are reported.
   * @throws UwsgiError when the memory cannot be had or a cache option is wrong.
   */
  static create(config: InstanceConfig, log: (line: string) => void): InstanceMemory {
    for (const name of cleanupStaleRegions()) log(`removed shared memory region ${name} left by a dead instance`);
    const options = config.options;
    const owner = InstanceOwner.claim();
    let engines: SharedEngines;
    try {
      engines = createSharedEngines(config, owner.id, systemClock, "create", instanceMetrics(config));
    } catch (err) {
      owner.release();
      throw err;
    }
    const memory = new InstanceMemory(config, engines, owner);
    log(`shared memory of this instance: ${owner.path.replace(/owner$/, "*")} (instance id ${owner.id})`);
    for (const cache of engines.caches.all()) {
      cache.onLog = log;
      if (cache.restored > 0) log(`[uwsgi-cache] restored ${cache.restored} items of cache "${cache.options.name}"`);
    }
    for (const o of config.redisCaches ?? []) {
      const near = engines.nearCaches.get(o.name);
      if (!near) continue;
      const invalidator = new NearCacheInvalidator(o, near, log);
      memory.#invalidators.push(invalidator);
      void invalidator.start();
    }
    // --load-file-in-cache(-gzip) / --add-cache-item: once, here, never again on a reload
    preloadCaches(engines.caches.all(), options, log);
    const sweepSeconds = optionInt(options, "cache-expire-freq", 3);
    const reportFreed = optionBool(options, "cache-report-freed-items");
    if (engines.caches.all().length > 0 && !options.has("cache-no-expire") && sweepSeconds > 0) {
      memory.#every(sweepSeconds * 1000, () => {
        for (const cache of engines.caches.all()) {
          const freed = cache.sweep();
          if (reportFreed && freed > 0) log(`freed ${freed} items for cache "${cache.options.name}"`);
        }
      });
    }
    const syncSeconds = optionInt(options, "cache-store-sync", 0);
    if (config.caches.some((c) => c.store)) {
      engines.sync(true);
      if (syncSeconds > 0) memory.#every(syncSeconds * 1000, () => engines.sync(true));
    }
    // metric collectors (collector=file|sum|avg|accumulator|adder|multiplier) run here, in the
    // master, each every `freq` seconds; the first tick collects them all
    const metrics = engines.metrics;
    if (metrics && engines.metricSpecs.some((m) => m.collector !== null && m.collector !== RUNTIME_COLLECTOR && m.type !== "alias")) {
      const collector = new MetricsCollector(metrics, engines.metricSpecs, systemClock);
      collector.tick();
      memory.#every(1000, () => collector.tick());
    }
    // --metrics-dir: a file per metric, rewritten on change
    const metricsDir = optionString(options, "metrics-dir");
    if (metrics && metricsDir !== undefined) {
      let writer: MetricsDirWriter;
      try {
        writer = new MetricsDirWriter(resolve(metricsDir), metrics);
        writer.tick();
      } catch (err) {
        memory.close();
        throw err;
      }
      memory.#every(1000, () => writer.tick());
    }
    return memory;
  }

  #every(ms: number, fn: () => void): void {
    const t = setInterval(fn, ms);
    t.unref();
    this.#timers.push(t);
  }

  /** Copies the worker table into the built-in metrics (worker.N.*, worker.0.* totals, core.*). */
  updateBuiltins(workers: readonly StatsWorker[]): void {
    const m = this.engines.metrics;
    if (!m) return;
    const total = { requests: 0, delta_requests: 0, failed_requests: 0, respawns: 0, total_tx: 0, rss_size: 0, vsz_size: 0, running_time: 0 };
    let busy = 0;
    let rtSum = 0;
    for (const w of workers) {
      const row = {
        requests: w.requests, delta_requests: w.delta_requests, failed_requests: w.exceptions, respawns: Math.max(0, w.respawn_count - 1),
        total_tx: w.tx, rss_size: w.rss, vsz_size: w.vsz, running_time: w.running_time,
      };
      for (const [k, v] of Object.entries(row)) {
        m.setInternal(workerMetricName(w.id, k as keyof typeof row), v);
        total[k as keyof typeof total] += v;
      }
      m.setInternal(workerMetricName(w.id, "avg_response_time"), w.avg_rt);
      rtSum += w.avg_rt;
      if (w.status === "busy") busy++;
    }
    for (const [k, v] of Object.entries(total)) m.setInternal(workerMetricName(0, k as keyof typeof total), v);
    const avg = workers.length ? Math.round(rtSum / workers.length) : 0;
    m.setInternal(workerMetricName(0, "avg_response_time"), avg);
    m.setInternal("core.busy_workers", busy);
    m.setInternal("core.idle_workers", workers.length - busy);
    m.setInternal("core.total_tx", total.total_tx);
    m.setInternal("core.total_rss", total.rss_size);
    m.setInternal("core.total_vsz", total.vsz_size);
    m.setInternal("core.avg_response_time", avg);
    m.setInternal("core.total_running_time", total.running_time);
  }

  /** The stats document's `locks` list: user locks, then one per cache. */
  statsLocks(): StatsLock[] {
    const users = new LockTable(this.engines.lockMutexes, { isSpooler: false }).owners();
    const caches = this.engines.caches.all().map((c) => ({ name: `cache_${c.options.name}`, pid: 0 }));
    return [...users, ...caches];
  }

  /** The stats document's `caches` list, or undefined without caches. */
  statsCaches(): Array<StatsCache | StatsRedisCache> | undefined {
    const all: Array<StatsCache | StatsRedisCache> = this.engines.caches.all().map((c) => ({ ...c.stats() }));
    for (const o of this.config.redisCaches ?? []) all.push(redisCacheStats(o, this.engines.nearCaches.get(o.name)?.engine.stats() ?? null));
    return all.length ? all : undefined;
  }

  /** The stats document's `metrics`, or undefined with metrics disabled. */
  statsMetrics(): StatsMetric[] | undefined {
    const m = this.engines.metrics;
    if (!m) return undefined;
    return m.snapshot().map((s) => ({ name: s.name, type: metricTypeCode(s.type), oid: s.oid, value: Number(s.value) }));
  }

  /** Every metric (none with metrics disabled) and the processes' Node runtime, in Prometheus text format. */
  prometheus(processes: readonly ProcessRuntime[] = []): string {
    return renderPrometheusText(this.engines.metrics?.snapshot() ?? [], processes);
  }

  /** Stops the timers, writes store files back and removes the region names. */
  close(): void {
    if (this.#closed) return;
    this.#closed = true;
    for (const t of this.#timers) clearInterval(t);
    for (const i of this.#invalidators) i.stop();
    if (this.config.caches.some((c) => c.store)) this.engines.sync(false);
    this.engines.unlink();
    this.owner.release();
  }
}
