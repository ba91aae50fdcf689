import { test } from "node:test";
import assert from "node:assert/strict";
import { IGNORED_UWSGI_OPTIONS, OPTIONS } from "../../../src/config/option-table.js";
import { findOption, findShortOption, suggestOption } from "../../../src/config/option-lookup.js";
import { isUwsgiError } from "../../../src/errors.js";

test("option table: every name and alias is unique, and no ignored option shadows one", () => {
  const seen = new Map<string, string>();
  for (const def of OPTIONS) {
    for (const n of [def.name, ...(def.aliases ?? [])]) {
      assert.ok(!seen.has(n), `${n} is used by both ${seen.get(n)} and ${def.name}`);
      assert.match(n, /^[a-z0-9][a-z0-9-]*$/, `${n} is not a plain option name`);
      seen.set(n, def.name);
    }
  }
  for (const n of IGNORED_UWSGI_OPTIONS.keys()) assert.ok(!seen.has(n), `${n} is both implemented and ignored`);
});

test("option table: short flags are unique single letters", () => {
  const shorts = OPTIONS.filter((d) => d.short !== undefined).map((d) => d.short!);
  assert.equal(new Set(shorts).size, shorts.length);
  for (const s of shorts) assert.match(s, /^[A-Za-z]$/);
});

test("option table: every option has a category and help text", () => {
  for (const def of OPTIONS) {
    assert.ok(def.category.length > 0, def.name);
    assert.ok(def.help.length > 10, def.name);
  }
});

test("option table: holds the uWSGI options the server needs, with uWSGI's aliases and short flags", () => {
  const expected: Record<string, { aliases?: string[]; short?: string; arg?: string }> = {
    http: {}, "http-socket": {}, socket: { short: "s" }, "uwsgi-socket": {}, processes: { aliases: ["workers"], short: "p" },
    master: { short: "M", arg: "none" }, module: { aliases: ["wsgi"], short: "w" }, callable: {}, "wsgi-file": { aliases: ["file"] },
    "buffer-size": { short: "b" }, harakiri: { short: "t" }, "max-requests": { short: "R" }, "reload-on-rss": {},
    "touch-reload": {}, "touch-chain-reload": {}, stats: { aliases: ["stats-server"] }, "stats-http": {},
    "stats-minified": { aliases: ["stats-min"] }, pidfile: {}, logto: {}, "disable-logging": { short: "L" }, env: {}, chdir: {},
    "die-on-term": {}, ini: {}, json: { short: "j" }, yaml: { aliases: ["yml"], short: "y" }, set: { short: "S" }, "declare-option": {},
    plugin: { aliases: ["plugins"] }, "need-app": {}, "lazy-apps": {}, "socket-timeout": { short: "z" }, listen: { short: "l" },
    "chmod-socket": { short: "C", arg: "optional" }, vacuum: {}, "enable-threads": { short: "T" }, threads: {},
    cache2: {}, cache: {}, "cache-blocksize": {}, "cache-store": {}, "cache-store-sync": {}, "cache-expire-freq": {},
    "cache-no-expire": {}, "cache-report-freed-items": {}, "add-cache-item": {}, "load-file-in-cache": {}, locks: {}, "lock-engine": {},
    "enable-metrics": {}, metric: {}, "metrics-dir": {}, "metrics-no-cores": {}, "metric-threshold": { aliases: ["metric-alarm"] },
    spooler: { short: "Q" }, "spooler-external": {}, "spooler-processes": {}, "spooler-frequency": { aliases: ["spooler-freq"] },
    "spooler-ordered": {}, "spooler-chdir": {}, "spooler-max-tasks": {}, "spooler-harakiri": {}, "spooler-quiet": {},
    "spooler-import": { aliases: ["spooler-python-import"] }, mule: { arg: "optional" }, mules: {}, farm: {}, "mule-harakiri": {},
    "mule-msg-size": { arg: "optional" }, timer: { aliases: ["signal-timer"] }, rbtimer: { aliases: ["signal-rbtimer"] }, cron: {},
    cron2: {}, "unique-cron": {}, "cron-harakiri": {}, "touch-signal": {}, "fs-signal": {}, "rpc-max": {}, "signal-bufsize": {},
    "memory-report": { short: "m" }, "websockets-ping-freq": { aliases: ["websocket-ping-freq"] },
    "websockets-pong-tolerance": { aliases: ["websocket-pong-tolerance"] }, "websockets-max-size": { aliases: ["websocket-max-size"] },
  };
  for (const [name, want] of Object.entries(expected)) {
    const def = findOption(name);
    assert.ok(def, `missing option ${name}`);
    assert.equal(def.name, name);
    for (const a of want.aliases ?? []) assert.equal(findOption(a)?.name, name, `alias ${a}`);
    if (want.short) assert.equal(findShortOption(want.short)?.name, name, `-${want.short}`);
    if (want.arg) assert.equal(def.arg, want.arg, `${name} arg`);
  }
});

test("option table: exactly uWSGI's UWSGI_OPT_MASTER options imply the master", () => {
  const implied = OPTIONS.filter((d) => d.impliesMaster).map((d) => d.name).sort();
  assert.deepEqual(implied, [
    "cache-store", "cron", "cron2", "enable-metrics", "farm", "fs-signal", "metric", "metric-threshold", "metrics-dir",
    "metrics-no-cores", "mule", "mule-msg-size", "mules", "rbtimer", "spooler", "spooler-external", "stats", "stats-http",
    "stats-minified", "timer", "touch-chain-reload", "touch-reload", "touch-signal", "unique-cron",
  ]);
});

test("option table: validators reject bad values with UWSGI_ERR_OPTION_VALUE naming the option", () => {
  const cases: [string, string][] = [
    ["processes", "four"], ["processes", "-1"], ["buffer-size", "70000"], ["master", "maybe"], ["chmod-socket", "0660"],
    ["timer", "30"], ["timer", "300 5"], ["farm", "nofarm"], ["touch-signal", "/tmp/x"], ["set", "novalue"],
  ];
  for (const [name, value] of cases) {
    const def = findOption(name)!;
    assert.throws(
      () => def.validate!(value, def.name),
      (e: unknown) => isUwsgiError(e, "UWSGI_ERR_OPTION_VALUE") && e.message.includes(name),
      `${name}=${value}`,
    );
  }
  const good: [string, string | true][] = [
    ["processes", "4"], ["processes", " 8 "], ["master", "True"], ["master", "off"], ["master", true], ["chmod-socket", "660"],
    ["chmod-socket", true], ["timer", "17 30"], ["farm", "pool:1,2"], ["touch-signal", "/tmp/x 3"], ["set", "a=b"], ["buffer-size", "65535"],
  ];
  for (const [name, value] of good) findOption(name)!.validate!(value, name);
});

test("option table: suggestions find the closest name", () => {
  assert.equal(suggestOption("proceses"), "processes");
  assert.equal(suggestOption("mastr"), "master");
  assert.equal(suggestOption("spooler-proc"), "spooler-processes");
  assert.equal(suggestOption("cache3"), "cache2");
  assert.equal(suggestOption("zzzzzzzzzz"), undefined);
});
