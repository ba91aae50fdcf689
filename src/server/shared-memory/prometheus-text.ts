/**
 * Renders metrics in the Prometheus text exposition format (version 0.0.4), aggregated by the
 * master straight from shared memory: no per-worker scraping, no aggregator process.
 * @module
 */
import type { MetricSnapshot } from "../../engines/metrics/metrics-engine.js";

/** Content type of the exposition format. */
export const PROMETHEUS_CONTENT_TYPE = "text/plain; version=0.0.4; charset=utf-8";

const WORKER_METRIC = /^worker\.(\d+)\.([A-Za-z0-9_.-]+)$/;

function sanitize(name: string): string {
  return `uwsgi_${name.replace(/[^A-Za-z0-9_]/g, "_")}`;
}

function promType(type: MetricSnapshot["type"]): "counter" | "gauge" {
  return type === "counter" ? "counter" : "gauge";
}

/**
 * One sample per metric. Per-worker built-ins become one family with a `worker` label
 * (`uwsgi_worker_requests{worker="1"} 42`; worker "0" is the instance total); every other
 * metric is `uwsgi_<name with non-alphanumerics as _>`.
 */
export function renderPrometheusText(metrics: readonly MetricSnapshot[]): string {
  const families = new Map<string, { type: "counter" | "gauge"; samples: string[] }>();
  const add = (family: string, type: "counter" | "gauge", sample: string) => {
    let f = families.get(family);
    if (!f) families.set(family, (f = { type, samples: [] }));
    f.samples.push(sample);
  };
  for (const m of metrics) {
    const w = WORKER_METRIC.exec(m.name);
    if (w) {
      const family = sanitize(`worker.${w[2]}`);
      add(family, promType(m.type), `${family}{worker="${w[1]}"} ${m.value}`);
    } else {
      const family = sanitize(m.name);
      add(family, promType(m.type), `${family} ${m.value}`);
    }
  }
  let out = "";
  for (const [family, { type, samples }] of families) out += `# TYPE ${family} ${type}\n${samples.join("\n")}\n`;
  return out;
}
