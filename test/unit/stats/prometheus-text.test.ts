import { test } from "node:test";
import assert from "node:assert/strict";
import { renderPrometheusText } from "../../../src/server/observability/prometheus-text.js";
import { builtinMetricSpecs, instanceMetricSpecs } from "../../../src/server/shared-memory/builtin-metrics.js";
import { MetricsEngine } from "../../../src/engines/metrics/metrics-engine.js";
import { parseMetricOption } from "../../../src/engines/metrics/metric-options.js";
import { LocalMutex } from "../../../src/core/mutex.js";

test("regression: no HELP, counters without _total, microseconds and a worker=\"0\" total; now HELP/TYPE, _total, seconds, no totals", () => {
  const text = renderPrometheusText([
    { name: "worker.0.requests", type: "counter", oid: "", value: 7n },
    { name: "worker.1.requests", type: "counter", oid: "", value: 3n },
    { name: "worker.2.requests", type: "counter", oid: "", value: 4n },
    { name: "worker.1.avg_response_time", type: "gauge", oid: "", value: 1500n },
    { name: "worker.1.delta_requests", type: "counter", oid: "", value: 2n },
    { name: "core.busy_workers", type: "gauge", oid: "", value: 1n },
    { name: "core.total_tx", type: "counter", oid: "", value: 99n },
    { name: "app.jobs-done", type: "absolute", oid: "", value: -2n },
    { name: "app.sent", type: "counter", oid: "1.3.6.1", value: 5n },
    { name: "app.alias", type: "alias", oid: "", value: 5n },
  ]);
  assert.equal(text, [
    "# HELP uwsgi_worker_requests_total Requests completed by the worker.",
    "# TYPE uwsgi_worker_requests_total counter",
    'uwsgi_worker_requests_total{worker="1"} 3',
    'uwsgi_worker_requests_total{worker="2"} 4',
    "# HELP uwsgi_worker_avg_response_time_seconds The worker's running average response time (uWSGI's (old + new) / 2).",
    "# TYPE uwsgi_worker_avg_response_time_seconds gauge",
    'uwsgi_worker_avg_response_time_seconds{worker="1"} 0.0015',
    "# HELP uwsgi_busy_workers Workers serving a request now.",
    "# TYPE uwsgi_busy_workers gauge",
    "uwsgi_busy_workers 1",
    "# HELP uwsgi_app_jobs_done uWSGI metric app.jobs-done (absolute).",
    "# TYPE uwsgi_app_jobs_done gauge",
    "uwsgi_app_jobs_done -2",
    "# HELP uwsgi_app_sent_total uWSGI metric app.sent (counter, oid 1.3.6.1).",
    "# TYPE uwsgi_app_sent_total counter",
    "uwsgi_app_sent_total 5",
    "",
  ].join("\n"));
});

test("the Node runtime of each process: event loop delay, heap, rss, CPU and GC in base units", () => {
  const sample = { loopDelayP50: 0.01, loopDelayP99: 0.02, loopDelayMax: 0.05, heapUsed: 10, heapTotal: 20, external: 3, rss: 100, cpuUser: 1.5, cpuSystem: 0.5, gcCount: { minor: 4 }, gcSeconds: { minor: 0.002 } };
  const text = renderPrometheusText([], [{ role: "master", id: 0, sample }, { role: "worker", id: 1, sample }]);
  for (const line of [
    "# TYPE uwsgi_node_eventloop_delay_p99_seconds gauge",
    'uwsgi_node_eventloop_delay_p99_seconds{role="worker",id="1"} 0.02',
    'uwsgi_node_heap_used_bytes{role="master",id="0"} 10',
    'uwsgi_node_resident_memory_bytes{role="worker",id="1"} 100',
    'uwsgi_node_cpu_seconds_total{role="worker",id="1",mode="user"} 1.5',
    'uwsgi_node_gc_total{role="worker",id="1",kind="minor"} 4',
    'uwsgi_node_gc_duration_seconds_total{role="master",id="0",kind="minor"} 0.002',
  ]) {
    assert.ok(text.split("\n").includes(line), `missing ${line} in\n${text}`);
  }
  const families = text.split("\n").filter((l) => l.startsWith("# TYPE ")).length;
  assert.equal(text.split("\n").filter((l) => l.startsWith("# HELP ")).length, families, "every family has HELP");
});

test("built-in specs cover every worker plus the aggregate worker 0, and are read-only through the API", () => {
  const specs = builtinMetricSpecs(2);
  const names = specs.map((s) => s.name);
  for (const w of [0, 1, 2]) assert.ok(names.includes(`worker.${w}.requests`));
  assert.ok(!names.includes("worker.3.requests"));
  assert.ok(names.includes("core.busy_workers"));
  const engine = new MetricsEngine(specs, new ArrayBuffer(MetricsEngine.regionBytes(specs.length)), new LocalMutex(), "init");
  assert.equal(engine.inc("worker.1.requests"), false, "built-ins reject metric_inc like uWSGI's collected metrics");
  assert.equal(engine.incInternal("worker.1.requests", 5), true);
  assert.equal(engine.get("worker.1.requests"), 5);
});

test("a configured metric with a built-in's name wins, and appears once", () => {
  const specs = instanceMetricSpecs([parseMetricOption("core.overloaded")], 1);
  assert.equal(specs.filter((s) => s.name === "core.overloaded").length, 1);
  assert.equal(specs[0]!.collector, null);
});
