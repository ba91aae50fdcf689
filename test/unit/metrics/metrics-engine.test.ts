import { test } from "node:test";
import assert from "node:assert/strict";
import { MetricsEngine } from "../../../src/engines/metrics/metrics-engine.js";
import { defineMetric, parseMetricOption, RUNTIME_COLLECTOR, type MetricSpec } from "../../../src/engines/metrics/metric-options.js";
import { LocalMutex } from "../../../src/core/mutex.js";
import { isUwsgiError } from "../../../src/errors.js";

const INT64_MAX = 2n ** 63n - 1n;
const INT64_MIN = -(2n ** 63n);

function engine(lines: string[]): MetricsEngine {
  const specs = lines.map(parseMetricOption);
  return new MetricsEngine(specs, new ArrayBuffer(MetricsEngine.regionBytes(specs.length)), new LocalMutex("metrics"), "init");
}

test("metrics: two engines over one shared buffer (init + attach) see each other's writes", () => {
  const specs = ["a", "name=b,initial_value=7", "name=c,type=gauge"].map(parseMetricOption);
  const region = new SharedArrayBuffer(MetricsEngine.regionBytes(specs.length));
  const lock = new LocalMutex("metrics");
  const master = new MetricsEngine(specs, region, lock, "init");
  const worker = new MetricsEngine(specs, region, lock, "attach");
  assert.equal(worker.get("b"), 7);
  assert.equal(worker.inc("a", 5), true);
  assert.equal(master.get("a"), 5);
  master.set("c", 42);
  assert.equal(worker.getBig("c"), 42n);
});

test("metrics: attaching does not reset values", () => {
  const specs = ["name=a,initial_value=3"].map(parseMetricOption);
  const region = new ArrayBuffer(MetricsEngine.regionBytes(1));
  const lock = new LocalMutex();
  new MetricsEngine(specs, region, lock, "init").inc("a", 10);
  assert.equal(new MetricsEngine(specs, region, lock, "attach").get("a"), 13);
});

test("metrics: attaching to a region set up for another metric list fails", () => {
  const region = new ArrayBuffer(MetricsEngine.regionBytes(2));
  const lock = new LocalMutex();
  assert.throws(() => new MetricsEngine([parseMetricOption("a")], new ArrayBuffer(64), lock, "attach"), (e: unknown) => isUwsgiError(e, "UWSGI_ERR_SHM"));
  new MetricsEngine(["a", "b"].map(parseMetricOption), region, lock, "init");
  assert.throws(() => new MetricsEngine(["a", "x"].map(parseMetricOption), region, lock, "attach"), (e: unknown) => isUwsgiError(e, "UWSGI_ERR_SHM"));
});

test("metrics: a region that is too small is refused", () => {
  assert.throws(
    () => new MetricsEngine(["a", "b"].map(parseMetricOption), new ArrayBuffer(MetricsEngine.regionBytes(1)), new LocalMutex(), "init"),
    (e: unknown) => isUwsgiError(e, "UWSGI_ERR_SHM"),
  );
});

test("metrics: set defaults to 1, inc/dec/mul/div default operands", () => {
  const m = engine(["a"]);
  assert.equal(m.set("a"), true);
  assert.equal(m.get("a"), 1);
  m.inc("a");
  assert.equal(m.get("a"), 2);
  m.inc("a", 10);
  m.dec("a");
  assert.equal(m.get("a"), 11);
  m.dec("a", 20);
  assert.equal(m.get("a"), -9);
  m.mul("a");
  assert.equal(m.get("a"), -9);
  m.mul("a", -3);
  assert.equal(m.get("a"), 27);
  m.div("a");
  assert.equal(m.get("a"), 27);
  m.div("a", 4);
  assert.equal(m.get("a"), 6);
  m.set("a", -7);
  m.div("a", 2);
  assert.equal(m.get("a"), -3, "division truncates toward zero, like C");
});

test("metrics: division by zero fails and leaves the value unchanged", () => {
  const m = engine(["a"]);
  m.set("a", 10);
  assert.equal(m.div("a", 0), false);
  assert.equal(m.div("a", 0n), false);
  assert.equal(m.get("a"), 10);
});

test("metrics: arithmetic wraps around at 64 bits", () => {
  const m = engine(["a"]);
  m.set("a", INT64_MAX);
  m.inc("a");
  assert.equal(m.getBig("a"), INT64_MIN);
  m.dec("a");
  assert.equal(m.getBig("a"), INT64_MAX);
  m.mul("a", 2);
  assert.equal(m.getBig("a"), -2n);
  m.set("a", INT64_MIN);
  m.div("a", -1);
  assert.equal(m.getBig("a"), INT64_MIN);
});

test("metrics: bigint and number operands are both accepted; non-integers are rejected", () => {
  const m = engine(["a"]);
  m.set("a", 2n ** 60n);
  m.inc("a", 1);
  assert.equal(m.getBig("a"), 2n ** 60n + 1n);
  assert.throws(() => m.inc("a", 1.5), (e: unknown) => isUwsgiError(e, "UWSGI_ERR_INVALID_ARGUMENT"));
  assert.throws(() => m.set("a", Number.NaN), (e: unknown) => isUwsgiError(e, "UWSGI_ERR_INVALID_ARGUMENT"));
  assert.throws(() => m.set("a", 2n ** 63n), (e: unknown) => isUwsgiError(e, "UWSGI_ERR_INVALID_ARGUMENT"));
});

test("metrics: setMax raises only", () => {
  const m = engine(["a"]);
  m.set("a", 10);
  assert.equal(m.setMax("a", 5), true);
  assert.equal(m.get("a"), 10);
  m.setMax("a", 15);
  assert.equal(m.get("a"), 15);
  m.set("a", -5);
  m.setMax("a");
  assert.equal(m.get("a"), 1, "default operand is 1");
});

test("metrics: setMin lowers to any smaller value (uWSGI set_min initial_value bug)", () => {
  // uWSGI only lowers when v > initial_value: with initial 0, set_min(5) on 0 and set_min(-3) are no-ops.
  const m = engine(["a", "name=b,initial_value=100"]);
  m.set("a", 10);
  assert.equal(m.setMin("a", 5), true);
  assert.equal(m.get("a"), 5);
  m.setMin("a", -3);
  assert.equal(m.get("a"), -3);
  m.setMin("a", 0);
  assert.equal(m.get("a"), -3);
  m.set("b", 150);
  m.setMin("b", 90);
  assert.equal(m.get("b"), 90, "values below the initial value are taken too");
  m.set("a", 7);
  m.setMin("a");
  assert.equal(m.get("a"), 1, "default operand is 1");
});

test("metrics: unknown names read 0 and every write fails", () => {
  const m = engine(["a"]);
  assert.equal(m.get("nope"), 0);
  assert.equal(m.getBig("nope"), 0n);
  assert.equal(m.has("nope"), false);
  assert.equal(m.isWritable("nope"), false);
  for (const op of [m.set, m.inc, m.dec, m.mul, m.div, m.setMax, m.setMin]) assert.equal(op.call(m, "nope", 2), false);
});

test("metrics: collected and alias metrics are read-only to the API", () => {
  const m = engine(["a", "name=s,collector=sum,children=a", "name=al,type=alias,alias=a"]);
  m.set("a", 4);
  assert.equal(m.isWritable("a"), true);
  assert.equal(m.isWritable("s"), false);
  assert.equal(m.isWritable("al"), false);
  for (const op of [m.set, m.inc, m.dec, m.mul, m.div, m.setMax, m.setMin]) {
    assert.equal(op.call(m, "s", 2), false);
    assert.equal(op.call(m, "al", 2), false);
  }
  assert.equal(m.get("al"), 4, "an alias reads its target");
  assert.equal(m.get("s"), 0);
});

test("metrics: setInternal/incInternal write runtime-maintained metrics but not aliases", () => {
  const specs: MetricSpec[] = [
    defineMetric("core.routed_signals", { oid: "5.1", collector: RUNTIME_COLLECTOR }),
    defineMetric("routed", { type: "alias", alias: "core.routed_signals" }),
  ];
  const m = new MetricsEngine(specs, new ArrayBuffer(MetricsEngine.regionBytes(2)), new LocalMutex(), "init");
  assert.equal(m.inc("core.routed_signals"), false);
  assert.equal(m.setInternal("core.routed_signals", 5n), true);
  assert.equal(m.incInternal("core.routed_signals"), true);
  assert.equal(m.get("core.routed_signals"), 6);
  assert.equal(m.setInternal("routed", 1), false);
  assert.equal(m.setInternal("nope", 1), false);
  assert.equal(m.get("routed"), 6);
});

test("metrics: snapshot lists every metric in order with type, oid and value (aliases show the target's oid)", () => {
  const m = engine(["name=a,oid=1.2,initial_value=3", "name=g,type=gauge", "name=al,type=alias,alias=a"]);
  assert.deepEqual(m.names(), ["a", "g", "al"]);
  assert.deepEqual(m.snapshot(), [
    { name: "a", type: "counter", oid: "1.2", value: 3n },
    { name: "g", type: "gauge", oid: "", value: 0n },
    { name: "al", type: "alias", oid: "1.2", value: 3n },
  ]);
});

test("metrics: bad metric lists are refused (duplicates, unknown children and alias targets, alias loops)", () => {
  const build = (lines: string[]) => () => engine(lines);
  const code = (e: unknown) => isUwsgiError(e, "UWSGI_ERR_METRIC_OPTION");
  assert.throws(build(["a", "a"]), code);
  assert.throws(build(["name=s,collector=sum,children=x"]), code);
  assert.throws(build(["name=al,type=alias,alias=x"]), code);
  assert.throws(build(["name=x,type=alias,alias=y", "name=y,type=alias,alias=x"]), code);
});

test("metrics: writes go through the given lock", () => {
  let locks = 0;
  const inner = new LocalMutex();
  const counting = { lock: () => (locks++, inner.lock()), unlock: () => inner.unlock(), tryLock: () => inner.tryLock(), ownerPid: () => inner.ownerPid() };
  const specs = [parseMetricOption("a")];
  const m = new MetricsEngine(specs, new ArrayBuffer(MetricsEngine.regionBytes(1)), counting, "init");
  const before = locks;
  m.inc("a");
  m.get("a");
  assert.equal(locks, before + 1);
  assert.equal(inner.ownerPid(), 0, "the lock is released afterwards");
});
