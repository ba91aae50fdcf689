/**
 * Differential: the metric API in a real uWSGI 2.0.21 worker vs our stub, same options, same ops.
 */
import assert from "node:assert/strict";
import { test } from "node:test";
import { both, pairWithUwsgi, sideBySide } from "./compare.js";
import { type Op, table } from "./scenario-ops.js";

/** Each scenario has its own metrics, so the scenarios do not depend on each other. */
const OPTIONS = [
  "--enable-metrics",
  "--metric", "name=m_get,initial_value=7",
  "--metric", "name=m_set",
  "--metric", "name=m_math,initial_value=10",
  "--metric", "name=m_div0,initial_value=10",
  "--metric", "name=m_max,initial_value=5",
  "--metric", "name=m_min,initial_value=100",
  "--metric", "name=m_min0",
  "--metric", "name=m_quirk,initial_value=100",
  "--metric", "name=m_gauge,type=gauge,initial_value=3",
];

const uwsgiInstance = pairWithUwsgi(OPTIONS);

const run = (ops: Op[]) => both(uwsgiInstance(), ops);

test("metrics: metric_get of a known metric is its value, of an unknown one 0", async () => {
  const { theirs } = await run([
    ["metric_get", "m_get"],
    ["metric_get", "nosuchmetric"],
    ["metric_get", "m_gauge"],
  ]);
  assert.deepEqual(theirs, [7, 0, 3]);
});

test("metrics: metric_set without a value sets 1", async () => {
  const { theirs } = await run([
    ["metric_set", "m_set"],
    ["metric_get", "m_set"],
    ["metric_set", "m_set", 42],
    ["metric_get", "m_set"],
    ["metric_set", "m_set", -5],
    ["metric_get", "m_set"],
  ]);
  assert.deepEqual(theirs.slice(0, 2), [true, 1]);
});

test("metrics: inc/dec/mul/div with and without an operand", async () => {
  const { theirs } = await run([
    ["metric_inc", "m_math"], ["metric_get", "m_math"],
    ["metric_inc", "m_math", 5], ["metric_get", "m_math"],
    ["metric_dec", "m_math"], ["metric_get", "m_math"],
    ["metric_dec", "m_math", 3], ["metric_get", "m_math"],
    ["metric_mul", "m_math"], ["metric_get", "m_math"],
    ["metric_mul", "m_math", 3], ["metric_get", "m_math"],
    ["metric_div", "m_math", 4], ["metric_get", "m_math"],
    ["metric_div", "m_math"], ["metric_get", "m_math"],
    ["metric_dec", "m_math", 20], ["metric_div", "m_math", 2], ["metric_get", "m_math"],
  ]);
  assert.deepEqual(theirs.slice(0, 4), [true, 11, true, 16]);
});

test("metrics: metric_div by 0 fails and keeps the value", async () => {
  const { theirs } = await run([
    ["metric_div", "m_div0", 0],
    ["metric_get", "m_div0"],
  ]);
  assert.deepEqual(theirs, [null, 10]);
});

test("metrics: metric_set_max raises to the maximum only", async () => {
  await run([
    ["metric_set_max", "m_max", 3], ["metric_get", "m_max"],
    ["metric_set_max", "m_max", 8], ["metric_get", "m_max"],
    ["metric_set_max", "m_max"], ["metric_get", "m_max"],
  ]);
});

test("metrics: metric_set_min agrees where the quirk does not bite", async () => {
  await run([
    ["metric_set", "m_min", 150],
    ["metric_set_min", "m_min", 120], ["metric_get", "m_min"],
    ["metric_set_min", "m_min", 130], ["metric_get", "m_min"],
    ["metric_set_min", "m_min0", 5], ["metric_get", "m_min0"],
  ]);
});

test("metrics: writes to unknown metrics fail, reads give 0", async () => {
  const { theirs } = await run([
    ["metric_set", "nosuchmetric", 5],
    ["metric_inc", "nosuchmetric"],
    ["metric_dec", "nosuchmetric"],
    ["metric_mul", "nosuchmetric", 2],
    ["metric_div", "nosuchmetric", 2],
    ["metric_set_max", "nosuchmetric", 2],
    ["metric_set_min", "nosuchmetric", 2],
    ["metric_get", "nosuchmetric"],
  ]);
  assert.deepEqual(theirs, [null, null, null, null, null, null, null, 0]);
});

test("metrics: built-in metrics with collectors are read-only", async () => {
  await run([
    ["metric_inc", "worker.1.requests"],
    ["metric_set", "core.busy_workers", 5],
    ["metric_get", "core.busy_workers"],
  ]);
});

// ---------------------------------------------------------------- deliberate differences -----

test("metrics: metric_set_min lowers to min(current, v) (uWSGI set_min quirk: only when v > initial_value)", async () => {
  const ops: Op[] = [
    ["metric_set", "m_quirk", 150],
    ["metric_set_min", "m_quirk", 90],
    ["metric_get", "m_quirk"],
  ];
  const { theirs, ours } = await sideBySide(uwsgiInstance(), ops);
  const why = table(ops, theirs, ours);
  assert.deepEqual(theirs, [true, true, 150], why);
  assert.deepEqual(ours, [true, true, 90], why);
});
