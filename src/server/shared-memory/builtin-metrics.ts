/**
 * The metrics the runtime keeps itself (uWSGI's built-ins, §6.2): per-worker request counters,
 * response times and traffic, and instance totals. They are read-only to the API (`metric_inc`
 * on them fails, as in uWSGI); workers and the master update them in shared memory.
 * @module
 */
import { defineMetric, RUNTIME_COLLECTOR, type MetricSpec } from "../../engines/metrics/metric-options.js";

/** Per-worker built-ins; `worker.0.*` holds the instance aggregate. */
export const WORKER_METRICS = [
  "requests", "delta_requests", "failed_requests", "respawns", "avg_response_time", "total_tx", "rss_size", "vsz_size", "running_time",
] as const;

/** Instance-wide built-ins. */
export const CORE_METRICS = [
  ["core.routed_signals", "counter"],
  ["core.unrouted_signals", "counter"],
  ["core.busy_workers", "gauge"],
  ["core.idle_workers", "gauge"],
  ["core.overloaded", "counter"],
  ["core.total_tx", "counter"],
  ["core.total_rss", "gauge"],
  ["core.total_vsz", "gauge"],
  ["core.avg_response_time", "gauge"],
  ["core.total_running_time", "counter"],
] as const;

const GAUGES = new Set<string>(["avg_response_time", "rss_size", "vsz_size"]);

/** Name of worker `w`'s built-in `what`, e.g. `worker.2.requests`. */
export function workerMetricName(worker: number, what: (typeof WORKER_METRICS)[number]): string {
  return `worker.${worker}.${what}`;
}

/** The built-in specs for `processes` workers, in a fixed order (every process builds the same list). */
export function builtinMetricSpecs(processes: number): MetricSpec[] {
  const specs = CORE_METRICS.map(([name, type]) => defineMetric(name, { type, collector: RUNTIME_COLLECTOR }));
  for (let w = 0; w <= processes; w++) {
    for (const what of WORKER_METRICS) {
      specs.push(defineMetric(workerMetricName(w, what), { type: GAUGES.has(what) ? "gauge" : "counter", collector: RUNTIME_COLLECTOR }));
    }
  }
  return specs;
}

/** Configured metrics plus the built-ins whose names are not taken by a configured one. */
export function instanceMetricSpecs(configured: readonly MetricSpec[], processes: number): MetricSpec[] {
  const taken = new Set(configured.map((s) => s.name));
  return [...configured, ...builtinMetricSpecs(processes).filter((s) => !taken.has(s.name))];
}
