/**
 * The `/metrics` endpoint (`--stats-http`): the Prometheus text exposition format (0.0.4) by its
 * naming guidelines: every family has `# HELP` and `# TYPE`, counters end in `_total`, times
 * are in seconds and sizes in bytes, and no series is a total of others (uWSGI's `worker.0.*`
 * aggregate and the `core.total_*` sums are left out: `sum()` computes them). The master renders
 * it straight from shared memory plus the Node runtime samples of each process.
 * @module
 */
import type { MetricSnapshot } from "../../engines/metrics/metrics-engine.js";
import type { RuntimeSample } from "./runtime-sample.js";

/** Content type of the exposition format. */
export const PROMETHEUS_CONTENT_TYPE = "text/plain; version=0.0.4; charset=utf-8";

type PromType = "counter" | "gauge";

/** How a built-in uWSGI metric is exposed; null: left out (a total, or a delta). */
interface Exposed {
  readonly family: string;
  readonly type: PromType;
  readonly help: string;
  /** Multiplier to base units (µs -> s). */
  readonly scale?: number;
}

const MICROS = 1e-6;

/** Per-worker built-ins (`worker.N.<name>`). */
const WORKER_METRICS: Readonly<Record<string, Exposed | null>> = {
  requests: { family: "uwsgi_worker_requests_total", type: "counter", help: "Requests completed by the worker." },
  failed_requests: { family: "uwsgi_worker_failed_requests_total", type: "counter", help: "Requests of the worker that failed (the app threw)." },
  respawns: { family: "uwsgi_worker_respawns_total", type: "counter", help: "Times the worker's slot was respawned." },
  avg_response_time: { family: "uwsgi_worker_avg_response_time_seconds", type: "gauge", help: "The worker's running average response time (uWSGI's (old + new) / 2).", scale: MICROS },
  total_tx: { family: "uwsgi_worker_transmitted_bytes_total", type: "counter", help: "Bytes the worker sent in responses." },
  running_time: { family: "uwsgi_worker_busy_seconds_total", type: "counter", help: "Seconds the worker spent serving requests.", scale: MICROS },
  // a per-interval delta: rate() of the counter says the same
  delta_requests: null,
  // 0 unless --memory-report; uwsgi_node_resident_memory_bytes always has it
  rss_size: null,
  vsz_size: null,
};

/** Instance built-ins (`core.<name>`). */
const CORE_METRICS: Readonly<Record<string, Exposed | null>> = {
  routed_signals: { family: "uwsgi_signals_routed_total", type: "counter", help: "Signals the master routed to a target." },
  unrouted_signals: { family: "uwsgi_signals_unrouted_total", type: "counter", help: "Signals with no handler to route to." },
  busy_workers: { family: "uwsgi_busy_workers", type: "gauge", help: "Workers serving a request now." },
  idle_workers: { family: "uwsgi_idle_workers", type: "gauge", help: "Workers waiting for a request." },
  overloaded: { family: "uwsgi_overloaded_total", type: "counter", help: "Times the listen queue was full." },
  avg_response_time: { family: "uwsgi_avg_response_time_seconds", type: "gauge", help: "Average response time over the workers.", scale: MICROS },
  // sums of the per-worker series
  total_tx: null,
  total_rss: null,
  total_vsz: null,
  total_running_time: null,
};

const WORKER_METRIC = /^worker\.(\d+)\.([A-Za-z0-9_.-]+)$/;
const CORE_METRIC = /^core\.([A-Za-z0-9_.-]+)$/;

/** One process's runtime sample with who it is. */
export interface ProcessRuntime {
  readonly role: "master" | "worker" | "mule" | "spooler";
  readonly id: number;
  readonly sample: RuntimeSample;
}

class Exposition {
  readonly #families = new Map<string, { type: PromType; help: string; samples: string[] }>();

  add(family: string, type: PromType, help: string, labels: Record<string, string | number> | null, value: number | bigint): void {
    let f = this.#families.get(family);
    if (!f) this.#families.set(family, (f = { type, help, samples: [] }));
    const l = labels ? `{${Object.entries(labels).map(([k, v]) => `${k}="${escapeLabel(String(v))}"`).join(",")}}` : "";
    f.samples.push(`${family}${l} ${formatValue(value)}`);
  }

  render(): string {
    let out = "";
    for (const [family, { type, help, samples }] of this.#families) {
      out += `# HELP ${family} ${escapeHelp(help)}\n# TYPE ${family} ${type}\n${samples.join("\n")}\n`;
    }
    return out;
  }
}

function escapeLabel(v: string): string {
  return v.replace(/\\/g, "\\\\").replace(/\n/g, "\\n").replace(/"/g, '\\"');
}

function escapeHelp(v: string): string {
  return v.replace(/\\/g, "\\\\").replace(/\n/g, "\\n");
}

function formatValue(v: number | bigint): string {
  if (typeof v === "bigint") return v.toString();
  if (Number.isNaN(v)) return "NaN";
  if (!Number.isFinite(v)) return v > 0 ? "+Inf" : "-Inf";
  return String(v);
}

/** A metric name as a Prometheus name: `uwsgi_` + non-alphanumerics as `_`. */
function sanitize(name: string): string {
  return `uwsgi_${name.replace(/[^A-Za-z0-9_]/g, "_")}`;
}

function scaled(value: bigint, scale: number | undefined): number | bigint {
  return scale === undefined ? value : Number(value) * scale;
}

/** uWSGI's metrics (built-ins and `--metric`s). */
function addMetrics(out: Exposition, metrics: readonly MetricSnapshot[]): void {
  for (const m of metrics) {
    if (m.type === "alias") continue; // the target's own series carries the value
    const w = WORKER_METRIC.exec(m.name);
    if (w) {
      if (w[1] === "0") continue; // the instance total: sum() of the workers
      const known = WORKER_METRICS[w[2]!];
      if (known === null) continue;
      if (known) {
        out.add(known.family, known.type, known.help, { worker: w[1]! }, scaled(m.value, known.scale));
        continue;
      }
    }
    const c = CORE_METRIC.exec(m.name);
    if (c && !w) {
      const known = CORE_METRICS[c[1]!];
      if (known === null) continue;
      if (known) {
        out.add(known.family, known.type, known.help, null, scaled(m.value, known.scale));
        continue;
      }
    }
    const counter = m.type === "counter";
    const base = w ? sanitize(`worker.${w[2]}`) : sanitize(m.name);
    const family = counter && !base.endsWith("_total") ? `${base}_total` : base;
    const help = `uWSGI metric ${m.name.replace(/^worker\.\d+\./, "worker.N.")} (${m.type}${m.oid ? `, oid ${m.oid}` : ""}).`;
    out.add(family, counter ? "counter" : "gauge", help, w ? { worker: w[1]! } : null, m.value);
  }
}

/** The Node runtime of each process. */
function addRuntime(out: Exposition, processes: readonly ProcessRuntime[]): void {
  const gauges: Array<[keyof RuntimeSample, string, string]> = [
    ["loopDelayP50", "uwsgi_node_eventloop_delay_p50_seconds", "Median event loop delay since the previous sample."],
    ["loopDelayP99", "uwsgi_node_eventloop_delay_p99_seconds", "99th percentile event loop delay since the previous sample."],
    ["loopDelayMax", "uwsgi_node_eventloop_delay_max_seconds", "Largest event loop delay since the previous sample."],
    ["heapUsed", "uwsgi_node_heap_used_bytes", "V8 heap in use."],
    ["heapTotal", "uwsgi_node_heap_size_bytes", "V8 heap allocated."],
    ["external", "uwsgi_node_external_memory_bytes", "Memory of C++ objects bound to JavaScript objects (Buffers ...)."],
    ["rss", "uwsgi_node_resident_memory_bytes", "Resident set size of the process."],
  ];
  for (const [key, family, help] of gauges) {
    for (const p of processes) out.add(family, "gauge", help, { role: p.role, id: p.id }, p.sample[key] as number);
  }
  for (const p of processes) {
    out.add("uwsgi_node_cpu_seconds_total", "counter", "CPU time of the process since it started.", { role: p.role, id: p.id, mode: "user" }, p.sample.cpuUser);
    out.add("uwsgi_node_cpu_seconds_total", "counter", "CPU time of the process since it started.", { role: p.role, id: p.id, mode: "system" }, p.sample.cpuSystem);
  }
  for (const p of processes) {
    for (const [kind, n] of Object.entries(p.sample.gcCount)) out.add("uwsgi_node_gc_total", "counter", "Garbage collections by kind.", { role: p.role, id: p.id, kind }, n);
  }
  for (const p of processes) {
    for (const [kind, s] of Object.entries(p.sample.gcSeconds)) out.add("uwsgi_node_gc_duration_seconds_total", "counter", "Seconds spent in garbage collection by kind.", { role: p.role, id: p.id, kind }, s);
  }
}

/**
 * Renders uWSGI's metrics and the processes' Node runtime figures.
 * @example
 * ```ts
 * renderPrometheusText([{ name: "worker.1.requests", type: "counter", oid: "", value: 3n }]);
 * // # HELP uwsgi_worker_requests_total Requests completed by the worker.
 * // # TYPE uwsgi_worker_requests_total counter
 * // uwsgi_worker_requests_total{worker="1"} 3
 * ```
 */
export function renderPrometheusText(metrics: readonly MetricSnapshot[], processes: readonly ProcessRuntime[] = []): string {
  const out = new Exposition();
  addMetrics(out, metrics);
  addRuntime(out, processes);
  return out.render();
}
