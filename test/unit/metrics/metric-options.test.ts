import { test } from "node:test";
import assert from "node:assert/strict";
import { defineMetric, metricTypeCode, parseMetricOption, RUNTIME_COLLECTOR } from "../../../src/engines/metrics/metric-options.js";
import { parseKeyValList } from "../../../src/engines/metrics/keyval-list.js";
import { isUwsgiError } from "../../../src/errors.js";

const rejects = (fn: () => unknown, code: Parameters<typeof isUwsgiError>[1], mention: string) =>
  assert.throws(fn, (e: unknown) => isUwsgiError(e, code) && e.message.includes(mention));

test("metric option: a bare name gives a counter with defaults", () => {
  const m = parseMetricOption("jobs.done");
  assert.equal(m.name, "jobs.done");
  assert.equal(m.type, "counter");
  assert.equal(m.oid, "");
  assert.equal(m.initialValue, 0n);
  assert.equal(m.collector, null);
  assert.equal(m.freq, 1);
  assert.deepEqual(m.children, []);
  assert.equal(m.alias, null);
  assert.equal(m.resetAfterPush, false);
});

test("metric option: every key of the keyval form", () => {
  const m = parseMetricOption(
    "name=load,oid=100.1,type=gauge,initial_value=-5,collector=file,freq=3,arg1=/proc/loadavg,arg2=x,arg3=y,arg1n=2,arg2n=-3,arg3n=4,children=a;b,reset_after_push=1",
  );
  assert.equal(m.name, "load");
  assert.equal(m.oid, "100.1");
  assert.equal(m.type, "gauge");
  assert.equal(m.initialValue, -5n);
  assert.equal(m.collector, "file");
  assert.equal(m.freq, 3);
  assert.deepEqual([m.arg1, m.arg2, m.arg3], ["/proc/loadavg", "x", "y"]);
  assert.deepEqual([m.arg1n, m.arg2n, m.arg3n], [2n, -3n, 4n]);
  assert.deepEqual(m.children, ["a", "b"]);
  assert.equal(m.resetAfterPush, true);
});

test("metric option: alias type needs an alias target", () => {
  assert.equal(parseMetricOption("name=rss,type=alias,alias=worker.1.rss").alias, "worker.1.rss");
  rejects(() => parseMetricOption("name=rss,type=alias"), "UWSGI_ERR_METRIC_OPTION", "alias");
});

test("metric option: freq 0 means every second, as in uWSGI", () => {
  assert.equal(parseMetricOption("name=a,freq=0").freq, 1);
});

test("metric option: names and oids are restricted to uWSGI's characters", () => {
  rejects(() => parseMetricOption("bad name"), "UWSGI_ERR_METRIC_OPTION", "name");
  rejects(() => parseMetricOption("name=a/b"), "UWSGI_ERR_METRIC_OPTION", "name");
  rejects(() => parseMetricOption(""), "UWSGI_ERR_METRIC_OPTION", "name");
  rejects(() => parseMetricOption("name=a,oid=1.x"), "UWSGI_ERR_METRIC_OPTION", "oid");
});

test("metric option: a keyval line without a name is an error", () => {
  rejects(() => parseMetricOption("type=gauge"), "UWSGI_ERR_METRIC_OPTION", "name");
});

test("metric option: an unknown type is an error (uWSGI silently makes it a counter)", () => {
  rejects(() => parseMetricOption("name=a,type=histogram"), "UWSGI_ERR_METRIC_OPTION", "type");
});

test("metric option: C-only and unknown collectors are rejected with the reason", () => {
  rejects(() => parseMetricOption("name=a,collector=ptr"), "UWSGI_ERR_METRIC_OPTION", "C memory");
  rejects(() => parseMetricOption("name=a,collector=func,arg1=sym"), "UWSGI_ERR_METRIC_OPTION", "C memory");
  rejects(() => parseMetricOption("name=a,collector=magic"), "UWSGI_ERR_METRIC_OPTION", "collector");
  rejects(() => parseMetricOption(`name=a,collector=${RUNTIME_COLLECTOR}`), "UWSGI_ERR_METRIC_OPTION", "collector");
});

test("metric option: numbers and flags are checked, naming the key", () => {
  rejects(() => parseMetricOption("name=a,initial_value=ten"), "UWSGI_ERR_METRIC_OPTION", "initial_value");
  rejects(() => parseMetricOption("name=a,initial_value=9223372036854775808"), "UWSGI_ERR_METRIC_OPTION", "initial_value");
  rejects(() => parseMetricOption("name=a,freq=-1"), "UWSGI_ERR_METRIC_OPTION", "freq");
  rejects(() => parseMetricOption("name=a,arg1n=1.5"), "UWSGI_ERR_METRIC_OPTION", "arg1n");
  rejects(() => parseMetricOption("name=a,reset_after_push=maybe"), "UWSGI_ERR_METRIC_OPTION", "reset_after_push");
  assert.equal(parseMetricOption("name=a,reset_after_push=0").resetAfterPush, false);
});

test("metric option: unknown keys are errors (uWSGI ignores them)", () => {
  rejects(() => parseMetricOption("name=a,colour=red"), "UWSGI_ERR_METRIC_OPTION", "colour");
});

test("keyval list: backslash escapes separators; last repeated key wins", () => {
  const kv = parseKeyValList("arg1=a\\,b\\=c,name=x,name=y", "metric", ["arg1", "name"]);
  assert.equal(kv.get("arg1"), "a,b=c");
  assert.equal(kv.get("name"), "y");
  assert.throws(() => parseKeyValList("novalue", "metric", ["name"]), (e: unknown) => isUwsgiError(e, "UWSGI_ERR_OPTION_VALUE"));
});

test("defineMetric: builds built-in specs and validates them", () => {
  const m = defineMetric("core.routed_signals", { oid: "5.1", collector: RUNTIME_COLLECTOR });
  assert.equal(m.collector, RUNTIME_COLLECTOR);
  rejects(() => defineMetric("x", { freq: 0 }), "UWSGI_ERR_METRIC_OPTION", "freq");
  rejects(() => defineMetric("x", { type: "alias", alias: "x" }), "UWSGI_ERR_METRIC_OPTION", "alias");
});

test("metric type codes match uWSGI's stats", () => {
  assert.deepEqual((["counter", "gauge", "absolute", "alias"] as const).map(metricTypeCode), [0, 1, 2, 3]);
});
