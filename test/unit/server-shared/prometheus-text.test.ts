import { test } from "node:test";
import assert from "node:assert/strict";
import { renderPrometheusText } from "../../../src/server/shared-memory/prometheus-text.js";
import { builtinMetricSpecs, instanceMetricSpecs } from "../../../src/server/shared-memory/builtin-metrics.js";
import { MetricsEngine } from "../../../src/engines/metrics/metrics-engine.js";
import { parseMetricOption } from "../../../src/engines/metrics/metric-options.js";
import { LocalMutex } from "../../../src/core/mutex.js";

test("per-worker built-ins become one labelled family; other names are sanitised", () => {
  const text = renderPrometheusText([
    { name: "worker.1.requests", type: "counter", oid: "", value: 3n },
    { name: "worker.2.requests", type: "counter", oid: "", value: 4n },
    { name: "core.busy_workers", type: "gauge", oid: "", value: 1n },
    { name: "app.jobs-done", type: "absolute", oid: "", value: -2n },
  ]);
  assert.equal(text, [
    "# TYPE uwsgi_worker_requests counter",
    'uwsgi_worker_requests{worker="1"} 3',
    'uwsgi_worker_requests{worker="2"} 4',
    "# TYPE uwsgi_core_busy_workers gauge",
    "uwsgi_core_busy_workers 1",
    "# TYPE uwsgi_app_jobs_done gauge",
    "uwsgi_app_jobs_done -2",
    "",
  ].join("\n"));
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
