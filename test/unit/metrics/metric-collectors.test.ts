import { test } from "node:test";
import assert from "node:assert/strict";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { collectMetrics, fileMetricValue, MetricsCollector } from "../../../src/engines/metrics/metric-collectors.js";
import { MetricsEngine } from "../../../src/engines/metrics/metrics-engine.js";
import { parseMetricOption, type MetricSpec } from "../../../src/engines/metrics/metric-options.js";
import { LocalMutex } from "../../../src/core/mutex.js";
import { ManualClock } from "../../../src/core/clock.js";

function setup(lines: string[]): { specs: MetricSpec[]; m: MetricsEngine } {
  const specs = lines.map(parseMetricOption);
  return { specs, m: new MetricsEngine(specs, new ArrayBuffer(MetricsEngine.regionBytes(specs.length)), new LocalMutex(), "init") };
}

test("collectors: file reads the whitespace-separated number at arg1n (probe: \"42 7\" -> 42)", (t) => {
  const dir = mkdtempSync(join(tmpdir(), "uwsgi-node-metrics-"));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  const path = join(dir, "value");
  writeFileSync(path, "42 7\n");
  const { specs, m } = setup([
    `name=first,collector=file,arg1=${path}`,
    `name=second,collector=file,arg1=${path},arg1n=1,initial_value=100`,
    `name=third,collector=file,arg1=${path},arg1n=2`,
    `name=missing,collector=file,arg1=${join(dir, "nope")}`,
  ]);
  assert.deepEqual(collectMetrics(m, specs), ["first", "second"]);
  assert.equal(m.get("first"), 42);
  assert.equal(m.get("second"), 107, "initial_value + collected value");
  assert.equal(m.get("third"), 0);
  assert.equal(m.get("missing"), 0);
  writeFileSync(path, "43\t8");
  collectMetrics(m, specs);
  assert.equal(m.get("first"), 43);
  assert.equal(m.get("second"), 108);
});

test("collectors: fileMetricValue parses like strtoll", () => {
  assert.equal(fileMetricValue("  -12abc 5", 0), -12n);
  assert.equal(fileMetricValue("x 5", 0), 0n);
  assert.equal(fileMetricValue("1\0 2\r\n3", 2), 3n);
  assert.equal(fileMetricValue("1 2", -1), 0n);
  assert.equal(fileMetricValue("99999999999999999999", 0), 2n ** 63n - 1n);
});

test("collectors: sum, avg, adder, multiplier over children", () => {
  const { specs, m } = setup([
    "a", "b", "c",
    "name=sum,collector=sum,children=a;b;c",
    "name=avg,collector=avg,children=a;b;c",
    "name=add,collector=adder,children=a;b,arg1n=100",
    "name=mul,collector=multiplier,children=a;b,arg1n=3",
    "name=empty,collector=avg",
  ]);
  m.set("a", 1);
  m.set("b", 2);
  m.set("c", 4);
  collectMetrics(m, specs);
  assert.equal(m.get("sum"), 7);
  assert.equal(m.get("avg"), 2, "integer average");
  assert.equal(m.get("add"), 103);
  assert.equal(m.get("mul"), 9);
  assert.equal(m.get("empty"), 0);
});

test("collectors: accumulator adds the children on every collection", () => {
  const { specs, m } = setup(["a", "name=acc,collector=accumulator,children=a"]);
  m.set("a", 5);
  collectMetrics(m, specs);
  collectMetrics(m, specs);
  assert.equal(m.get("acc"), 10);
});

test("collectors: a parent declared after a collected child sees the child's fresh value", () => {
  const { specs, m } = setup(["a", "name=s1,collector=sum,children=a", "name=s2,collector=sum,children=s1"]);
  m.set("a", 3);
  collectMetrics(m, specs);
  assert.equal(m.get("s2"), 3);
});

test("collectors: a failing reader counts as 0; the reader is pluggable", () => {
  const { specs, m } = setup(["name=f,collector=file,arg1=/x,initial_value=1", "name=g,collector=file,arg1=/y"]);
  collectMetrics(m, specs, (path) => {
    if (path === "/x") throw new Error("EACCES");
    return "9 9";
  });
  assert.equal(m.get("f"), 1);
  assert.equal(m.get("g"), 9);
});

test("collectors: MetricsCollector honours freq on its clock", () => {
  const { specs, m } = setup(["a", "name=fast,collector=sum,children=a", "name=slow,collector=sum,children=a,freq=5"]);
  const clock = new ManualClock(1_000_000);
  const c = new MetricsCollector(m, specs, clock);
  m.set("a", 1);
  c.tick();
  assert.deepEqual([m.get("fast"), m.get("slow")], [1, 1], "the first tick collects everything");
  m.set("a", 2);
  clock.advance(1000);
  c.tick();
  assert.deepEqual([m.get("fast"), m.get("slow")], [2, 1]);
  clock.advance(4000);
  assert.deepEqual(c.tick(), ["slow"]);
  assert.equal(m.get("slow"), 2);
});
