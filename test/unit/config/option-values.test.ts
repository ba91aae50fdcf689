import { test } from "node:test";
import assert from "node:assert/strict";
import { OptionSet } from "../../../src/config/option-set.js";
import {
  masterEnabled,
  metricsEnabled,
  optionBool,
  optionInt,
  optionsImplyingMaster,
  optionSocketMode,
  optionString,
  optionStrings,
} from "../../../src/config/option-values.js";
import { parseArgv } from "../../../src/config/argv-parser.js";
import { isUwsgiError } from "../../../src/errors.js";

const set = (...entries: [string, string | true, string?][]) => new OptionSet(entries.map(([name, value, origin]) => ({ name, value, origin })));

test("values: optionInt reads the last value, defaults when absent, counts a bare flag as 1", () => {
  const s = set(["processes", "2"], ["processes", "8"], ["mule-msg-size", true]);
  assert.equal(optionInt(s, "processes", 1), 8);
  assert.equal(optionInt(s, "workers", 1), 8, "aliases are accepted");
  assert.equal(optionInt(s, "threads", 1), 1);
  assert.equal(optionInt(s, "mule-msg-size", 0), 1);
});

test("values: bad values name the option and where it was given", () => {
  const s = set(["processes", "x", "/etc/a.ini line 3"], ["master", "maybe"]);
  assert.throws(() => optionInt(s, "processes", 1), (e: unknown) => isUwsgiError(e, "UWSGI_ERR_OPTION_VALUE") && /processes.*"x".*\/etc\/a\.ini line 3/.test(e.message));
  assert.throws(() => optionBool(s, "master"), (e: unknown) => isUwsgiError(e, "UWSGI_ERR_OPTION_VALUE") && e.message.includes("master"));
  assert.throws(() => optionInt(s, "procesess", 1), (e: unknown) => isUwsgiError(e, "UWSGI_ERR_OPTION_UNKNOWN") && e.message.includes("procesess"));
});

test("values: optionBool follows uWSGI's false words", () => {
  for (const [v, want] of [[true, true], ["", true], ["1", true], ["TRUE", true], ["yes", true], ["on", true], ["0", false], ["False", false], ["no", false], ["OFF", false]] as const) {
    assert.equal(optionBool(set(["vacuum", v]), "vacuum"), want, String(v));
  }
  assert.equal(optionBool(set(), "vacuum"), false);
  assert.equal(optionBool(set(), "vacuum", true), true);
});

test("values: optionString and optionStrings", () => {
  const s = set(["socket", ":1"], ["socket", ":2"], ["mule", true], ["mule", "m.js"]);
  assert.equal(optionString(s, "socket"), ":2");
  assert.equal(optionString(s, "chdir"), undefined);
  assert.equal(optionString(s, "chdir", "/"), "/");
  assert.deepEqual(optionStrings(s, "socket"), [":1", ":2"]);
  assert.deepEqual(optionStrings(s, "mule"), ["1", "m.js"]);
});

test("values: optionSocketMode", () => {
  assert.equal(optionSocketMode(set()), null);
  assert.equal(optionSocketMode(set(["chmod-socket", true])), 0o666);
  assert.equal(optionSocketMode(set(["chmod-socket", "1"])), 0o666);
  assert.equal(optionSocketMode(set(["chmod-socket", "660"])), 0o660);
});

test("values: options implying the master and metrics", () => {
  const parsed = parseArgv(["--spooler", "/tmp/s", "--mule", "--stats", ":1", "--mule", "--processes", "2"], { env: {} }).options;
  assert.deepEqual(optionsImplyingMaster(parsed), ["spooler", "mule", "stats"]);
  assert.equal(masterEnabled(parsed), true);
  assert.equal(masterEnabled(set(["processes", "2"])), false);
  assert.equal(masterEnabled(set(["master", true])), true);
  assert.equal(masterEnabled(set(["master", "false"], ["cron", "-1 -1 -1 -1 -1 ls"])), true, "uWSGI turns the master on anyway");
  assert.equal(metricsEnabled(set(["metric", "mymetric"])), true);
  assert.equal(metricsEnabled(set(["enable-metrics", true])), true);
  assert.equal(metricsEnabled(set(["stats", ":1"])), false);
});
