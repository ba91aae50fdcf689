import { test } from "node:test";
import assert from "node:assert/strict";
import { resolve } from "node:path";
import { OptionSet, type OptionEntry } from "../../../src/config/option-set.js";
import { buildInstanceConfig } from "../../../src/config/instance-config.js";
import { isUwsgiError } from "../../../src/errors.js";

const opts = (...pairs: Array<[string, string | true]>) => new OptionSet(pairs.map(([name, value]): OptionEntry => ({ name, value })));

test("defaults: one process, 4096-byte buffer, lock 0 only, no caches, metrics off, 30 s spooler frequency", () => {
  const c = buildInstanceConfig(opts());
  assert.equal(c.processes, 1);
  assert.equal(c.bufferSize, 4096);
  assert.equal(c.locks, 0);
  assert.deepEqual(c.caches, []);
  assert.equal(c.metricsEnabled, false);
  assert.equal(c.spoolerFrequency, 30);
  assert.equal(c.rpcMax, 64);
  assert.equal(c.socketTimeout, 4);
});

test("the legacy --cache is the first (default) cache, before every --cache2", () => {
  const c = buildInstanceConfig(opts(["cache2", "name=c1,items=10"], ["cache", "5"], ["cache-blocksize", "128"]));
  assert.deepEqual(c.caches.map((x) => x.name), ["default", "c1"]);
  assert.equal(c.caches[0]!.items, 5);
  assert.equal(c.caches[0]!.blocksize, 128);
});

test("a cache name declared twice is an error naming the option", () => {
  assert.throws(() => buildInstanceConfig(opts(["cache2", "name=a,items=2"], ["cache2", "name=a,items=3"])), (e) => isUwsgiError(e, "UWSGI_ERR_OPTION_VALUE") && /cache2/.test(e.message) && /"a"/.test(e.message));
});

test("regression: --spooler-processes applied only to the --spooler lines after it; the last one applies to all, as in uWSGI 2.0.21; paths are resolved", () => {
  const c = buildInstanceConfig(opts(["spooler", "a"], ["spooler-processes", "3"], ["spooler", "/b"], ["spooler-external", "/c"]), "/srv");
  assert.deepEqual(c.spoolers, [
    { dir: resolve("/srv/a"), processes: 3, external: false },
    { dir: "/b", processes: 3, external: false },
    { dir: "/c", processes: 3, external: true },
  ]);
  const last = buildInstanceConfig(opts(["spooler-processes", "3"], ["spooler", "/a"], ["spooler-processes", "1"], ["spooler", "/b"]), "/srv");
  assert.deepEqual(last.spoolers.map((s) => s.processes), [1, 1]);
});

test("mules get ids in option order; programmed mules keep their program; farms name existing mules", () => {
  const c = buildInstanceConfig(opts(["mules", "2"], ["mule", "worker.js"], ["mule", true], ["farm", "img:1,3"], ["farm", "all:1,2,3,4"]));
  assert.deepEqual(c.mules, [{ id: 1, program: null }, { id: 2, program: null }, { id: 3, program: "worker.js" }, { id: 4, program: null }]);
  assert.deepEqual(c.farms, [{ index: 1, name: "img", mules: [1, 3] }, { index: 2, name: "all", mules: [1, 2, 3, 4] }]);
});

test("a farm naming an unknown mule, or malformed, is an error naming --farm", () => {
  assert.throws(() => buildInstanceConfig(opts(["mules", "1"], ["farm", "x:2"])), (e) => isUwsgiError(e, "UWSGI_ERR_OPTION_VALUE") && /farm/.test(e.message) && /mule 2/.test(e.message));
  assert.throws(() => buildInstanceConfig(opts(["farm", "nocolon"])), (e) => isUwsgiError(e, "UWSGI_ERR_OPTION_VALUE") && /NAME:ID/.test(e.message));
});

test("a --metric line enables metrics; --enable-metrics alone enables them without custom ones", () => {
  assert.equal(buildInstanceConfig(opts(["metric", "jobs"])).metricsEnabled, true);
  assert.equal(buildInstanceConfig(opts(["enable-metrics", true])).metricsEnabled, true);
  assert.deepEqual(buildInstanceConfig(opts(["metric", "jobs"])).metrics.map((m) => m.name), ["jobs"]);
});

test("numeric options reject non-numbers and values below their minimum, naming the option", () => {
  for (const [name, value] of [["processes", "0"], ["processes", "x"], ["buffer-size", "-1"], ["spooler-frequency", "1.5"], ["mules", "two"]] as const) {
    assert.throws(() => buildInstanceConfig(opts([name, value])), (e) => isUwsgiError(e, "UWSGI_ERR_OPTION_VALUE") && e.message.includes(name), `${name}=${value}`);
  }
});
