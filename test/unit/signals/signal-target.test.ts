import { test } from "node:test";
import assert from "node:assert/strict";
import { formatSignalTarget, parseSignalTarget } from "../../../src/engines/signals/signal-target.js";

test("signal target: every convention of uWSGI's router", () => {
  const cases: Array<[string, unknown]> = [
    ["", { kind: "worker-any" }],
    ["worker", { kind: "worker-any" }],
    ["worker0", { kind: "worker-any" }],
    ["workers", { kind: "workers" }],
    ["active-workers", { kind: "active-workers" }],
    ["worker3", { kind: "worker", id: 3 }],
    ["mules", { kind: "mules" }],
    ["mule", { kind: "mule-any" }],
    ["mule0", { kind: "mule-any" }],
    ["mule2", { kind: "mule", id: 2 }],
    ["spooler", { kind: "spooler" }],
    ["spoolers", { kind: "spoolers" }],
    ["farm_jobs", { kind: "farm", name: "jobs" }],
    ["farm_", null],
    ["farm1", { kind: "farm-index", index: 1 }],
    ["farm0", null],
    ["subscribed", { kind: "subscribed" }],
  ];
  for (const [text, expected] of cases) assert.deepEqual(parseSignalTarget(text), expected, JSON.stringify(text));
});

test("signal target: unknown targets are null (uWSGI accepts them and drops the signal with a log)", () => {
  for (const text of ["everyone", "workerx", "Workers", " workers", "worker-1", "mule 1", "spooler1", "toString", "__proto__"]) {
    assert.equal(parseSignalTarget(text), null, text);
  }
});

test("signal target: format round-trips", () => {
  for (const text of ["", "workers", "active-workers", "worker3", "mules", "mule", "mule2", "spooler", "spoolers", "farm_jobs", "farm1", "subscribed"]) {
    assert.equal(formatSignalTarget(parseSignalTarget(text)!), text);
  }
  assert.equal(formatSignalTarget(parseSignalTarget("worker0")!), "");
});
