import { test } from "node:test";
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { renderStatsJson } from "../../../src/server/stats/stats-document.js";
import type { StatsSnapshot, StatsCore } from "../../../src/server/stats/stats-snapshot.js";

// Documents captured from real uWSGI 2.0.21 (Debian) stats servers: pretty, minified, --stats-no-cores.
const fixtures = join(import.meta.dirname, "..", "..", "..", "..", "test", "fixtures", "stats");
const golden = (name: string) => readFileSync(join(fixtures, name), "utf8");

type Json = Record<string, any>;

/** Rebuilds the snapshot a uWSGI document was rendered from. */
function snapshotFrom(doc: Json): StatsSnapshot {
  const { locks, metrics, workers, ...rest } = doc;
  const snap: Json = {
    ...rest,
    locks: (locks as Json[]).map((l) => {
      const [name, pid] = Object.entries(l)[0]!;
      return { name, pid };
    }),
    workers: (workers as Json[]).map((w) => ({
      ...w,
      cores: ((w.cores ?? []) as Json[]).map((c): StatsCore => {
        const { vars, req_info, ...core } = c;
        return {
          ...(core as StatsCore),
          vars: (vars as string[]).filter((v) => v !== "").map((v) => [v.slice(0, v.indexOf("=")), v.slice(v.indexOf("=") + 1)] as const),
          ...(req_info.request_start !== undefined ? { request_start: req_info.request_start } : {}),
        };
      }),
    })),
  };
  if (metrics) snap.metrics = Object.entries(metrics as Json).map(([name, m]) => ({ name, ...m }));
  return snap as StatsSnapshot;
}

test("stats document: byte-identical to uWSGI 2.0.21 (caches, metrics, spoolers, crons, locks)", () => {
  const text = golden("uwsgi-2.0.21-full.json");
  assert.equal(renderStatsJson(snapshotFrom(JSON.parse(text))), text);
});

test("stats document: byte-identical to uWSGI 2.0.21 during a request (daemons, vars, req_info)", () => {
  const text = golden("uwsgi-2.0.21-in-request.json");
  const out = renderStatsJson(snapshotFrom(JSON.parse(text)));
  assert.equal(out, text);
  assert.match(out, /\n"REQUEST_URI=\/x\?a=\\"b",\n/);
});

test("stats document: minified output is byte-identical to uWSGI's --stats-minified", () => {
  const text = golden("uwsgi-2.0.21-minified.json");
  assert.equal(renderStatsJson(snapshotFrom(JSON.parse(text)), { minified: true }), text);
  assert.ok(!/[\t\n]/.test(text));
});

test("stats document: --stats-no-cores drops cores; --stats-no-metrics drops metrics", () => {
  const text = golden("uwsgi-2.0.21-no-cores.json");
  const snap = snapshotFrom(JSON.parse(text));
  assert.equal(renderStatsJson(snap, { noCores: true }), text);
  const full = snapshotFrom(JSON.parse(golden("uwsgi-2.0.21-full.json")));
  const parsed = JSON.parse(renderStatsJson(full, { noMetrics: true, noCores: true }));
  assert.equal(parsed.metrics, undefined);
  assert.equal(parsed.workers[0].cores, undefined);
  assert.deepEqual(Object.keys(parsed), ["version", "listen_queue", "listen_queue_errors", "signal_queue", "load", "pid", "uid", "gid", "cwd", "locks", "caches", "sockets", "workers", "spoolers", "crons"]);
});

function sample(): StatsSnapshot {
  const core: StatsCore = {
    id: 0, requests: 3, static_requests: 0, routed_requests: 0, offloaded_requests: 0,
    write_errors: 0, read_errors: 0, in_request: 1, vars: [["HTTP_X", 'a"b\\c\n']], request_start: 1700000000,
  };
  return {
    version: "2.0.21-uwsgi-node", listen_queue: 0, listen_queue_errors: 0, signal_queue: 0, load: 0,
    pid: 10, uid: 0, gid: 0, cwd: '/tmp/we"ird\\dir\n\u0001',
    locks: [{ name: 'spooler on /tmp/"q"', pid: 0 }],
    sockets: [{ name: "127.0.0.1:1", proto: "uwsgi", queue: 0, max_queue: 100, shared: 0, can_offload: 0 }],
    workers: [{
      id: 1, pid: 11, accepting: 1, requests: 3, delta_requests: 3, exceptions: 0, harakiri_count: 0, signals: 0,
      signal_queue: 0, status: "busy", rss: 0, vsz: 0, running_time: 5, last_spawn: 1700000000, respawn_count: 1,
      tx: 9, avg_rt: 2, apps: [{ id: 0, modifier1: 0, mountpoint: "", startup_time: 0, requests: 3, exceptions: 0, chdir: "" }],
      cores: [core],
    }],
    daemons: [{ cmd: 'sh -c "echo \\"hi\\""', pid: 0, respawns: 2 }],
    metrics: [{ name: 'my"metric', type: 0, oid: "", value: -5 }],
    crons: [{ minute: -1, hour: -1, day: -1, month: -1, week: -1, command: "echo '\"'", unique: 0, legion: "", pid: -1, started_at: 0 }],
    legions: [{
      legion: "l1", addr: "127.0.0.1:1", uuid: "u", valor: 1, checksum: 0, quorum: 1, i_am_the_lord: 0, lord_valor: 0,
      lord_uuid: "", lord_scroll: 'the "scroll"', nodes: ['n"1', "n2"], members: [{ name: "m", uuid: "u2", valor: 1, checksum: 0, last_seen: 5 }],
    }],
  };
}

test("stats document: every string is JSON-escaped (uWSGI unescaped-strings bug)", () => {
  const snap = sample();
  for (const minified of [false, true]) {
    const doc = JSON.parse(renderStatsJson(snap, { minified }));
    assert.equal(doc.cwd, snap.cwd);
    assert.deepEqual(doc.locks, [{ 'spooler on /tmp/"q"': 0 }]);
    assert.deepEqual(doc.workers[0].cores[0].vars, ['HTTP_X=a"b\\c\n', ""]);
    assert.deepEqual(doc.workers[0].cores[0].req_info, { request_start: 1700000000 });
    assert.deepEqual(doc.metrics, { 'my"metric': { type: 0, oid: "", value: -5 } });
    assert.equal(doc.daemons[0].cmd, snap.daemons![0]!.cmd);
    assert.equal(doc.crons[0].command, "echo '\"'");
    assert.deepEqual(doc.legions[0].nodes, ['n"1', "n2"]);
    assert.equal(doc.legions[0].members[0].last_seen, 5);
    assert.equal(doc.legions[0].lord_scroll, 'the "scroll"');
  }
});

test("stats document: attached daemons show their real respawn count (uWSGI always-0 respawns bug)", () => {
  const doc = JSON.parse(renderStatsJson(sample()));
  assert.equal(doc.daemons[0].respawns, 2);
});

test("stats document: key order of every section follows uWSGI", () => {
  const doc = JSON.parse(renderStatsJson(sample()));
  assert.deepEqual(Object.keys(doc), ["version", "listen_queue", "listen_queue_errors", "signal_queue", "load", "pid", "uid", "gid", "cwd", "daemons", "locks", "metrics", "sockets", "workers", "crons", "legions"]);
  assert.deepEqual(Object.keys(doc.workers[0]), ["id", "pid", "accepting", "requests", "delta_requests", "exceptions", "harakiri_count", "signals", "signal_queue", "status", "rss", "vsz", "running_time", "last_spawn", "respawn_count", "tx", "avg_rt", "apps", "cores"]);
  assert.deepEqual(Object.keys(doc.workers[0].cores[0]), ["id", "requests", "static_requests", "routed_requests", "offloaded_requests", "write_errors", "read_errors", "in_request", "vars", "req_info"]);
  assert.deepEqual(Object.keys(doc.legions[0]), ["legion", "addr", "uuid", "valor", "checksum", "quorum", "i_am_the_lord", "lord_valor", "lord_uuid", "nodes", "members", "lord_scroll"]);
});

test("stats document: a core not in a request shows no vars even if some are left over", () => {
  const snap = sample();
  snap.workers[0]!.cores[0]!.in_request = 0;
  const doc = JSON.parse(renderStatsJson(snap));
  assert.deepEqual(doc.workers[0].cores[0].vars, []);
  assert.deepEqual(doc.workers[0].cores[0].req_info, {});
});

test("stats document: non-finite and fractional numbers never break the JSON", () => {
  const snap = sample();
  snap.workers[0]!.avg_rt = Number.NaN;
  snap.workers[0]!.running_time = 12.7;
  const doc = JSON.parse(renderStatsJson(snap));
  assert.equal(doc.workers[0].avg_rt, 0);
  assert.equal(doc.workers[0].running_time, 12);
});
