// What an idle server keeps armed: nothing polls for a feature that has nothing to do (the
// worker's reports, the connection sweep, touch files, the --log-maxsize size check).
import { test } from "node:test";
import assert from "node:assert/strict";
import { EventEmitter } from "node:events";
import type { Socket } from "node:net";
import { appendFileSync, closeSync, mkdtempSync, openSync, rmSync, symlinkSync, utimesSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { WorkerState } from "../../../src/server/worker-state.js";
import { heartbeatMs, WorkerReportSchedule } from "../../../src/server/stats/worker-report-schedule.js";
import { countersChanged } from "../../../src/server/stats/counter-change.js";
import { ConnectionDrain } from "../../../src/server/connection-drain.js";
import { ConnectionWatch } from "../../../src/server/limits/connection-watch.js";
import { TouchWatcher } from "../../../src/server/touch-watcher.js";
import { LogGrowth } from "../../../src/server/logging/log-growth.js";
import { RequestHarakiri } from "../../../src/server/harakiri/request-harakiri.js";
import type { Flight } from "../../../src/server/worker-state.js";
import type { WorkerCounters } from "../../../src/server/ipc-messages.js";
import type { RateLimitedLog } from "../../../src/core/rate-limited-log.js";
import { eventually } from "../../support/eventually.js";

function workerState(): WorkerState {
  return new WorkerState({} as ConstructorParameters<typeof WorkerState>[0], {} as ConstructorParameters<typeof WorkerState>[1]);
}

test("worker reports: nothing is sent and no timer fires while the counters stay unchanged; a change is reported once after the coalescing delay", (t) => {
  t.mock.timers.enable({ apis: ["setTimeout", "setInterval"] });
  const state = workerState();
  state.dirty = false;
  const sent: boolean[] = [];
  const schedule = new WorkerReportSchedule(state, (heartbeat) => {
    sent.push(heartbeat);
    state.dirty = false;
  }, { coalesceMs: 200, heartbeatMs: 0 });
  schedule.start();
  t.mock.timers.tick(60_000);
  assert.deepEqual(sent, [], "an idle worker without harakiri or memory figures sends nothing");
  state.dirty = true;
  state.dirty = true; // a second change before the report rides along
  t.mock.timers.tick(199);
  assert.deepEqual(sent, []);
  t.mock.timers.tick(1);
  assert.deepEqual(sent, [false]);
  t.mock.timers.tick(60_000);
  assert.deepEqual(sent, [false], "no report after it until the next change");
  schedule.stop();
});

test("worker reports: the heartbeat runs only for harakiri (500 ms) and figures that move by themselves (1 s)", (t) => {
  assert.equal(heartbeatMs({ harakiri: 0, memoryReport: false, runtimeMetrics: false }), 0);
  assert.equal(heartbeatMs({ harakiri: 30, memoryReport: false, runtimeMetrics: false }), 500);
  assert.equal(heartbeatMs({ harakiri: 0, memoryReport: true, runtimeMetrics: false }), 1000);
  assert.equal(heartbeatMs({ harakiri: 0, memoryReport: false, runtimeMetrics: true }), 1000);
  t.mock.timers.enable({ apis: ["setTimeout", "setInterval"] });
  const state = workerState();
  state.dirty = false;
  let beats = 0;
  const schedule = new WorkerReportSchedule(state, (heartbeat) => void (heartbeat && beats++), { coalesceMs: 200, heartbeatMs: 500 });
  schedule.start();
  t.mock.timers.tick(2_000);
  assert.equal(beats, 4);
  schedule.stop();
});

test("master: a heartbeat that changes no counter (only the runtime sample) does not make the worker table stale", () => {
  const base: WorkerCounters = { requests: 1, exceptions: 0, tx: 10, runningTime: 5, avgRt: 5, inFlight: 0, oldestStart: 0, accepting: true, rss: 0, vsz: 0, remoteRefused: 0, harakiri: 0 };
  const runtime = { loopDelayP50: 0, loopDelayP99: 0, loopDelayMax: 0, heapUsed: 1, heapTotal: 2, external: 0, rss: 3, cpuUser: 0.1, cpuSystem: 0, gcCount: {}, gcSeconds: {} };
  assert.equal(countersChanged(base, { ...base, runtime }), false);
  assert.equal(countersChanged({ ...base, runtime }, { ...base, runtime: { ...runtime, cpuUser: 0.2 } }), false);
  assert.equal(countersChanged(base, { ...base, requests: 2 }), true);
  assert.equal(countersChanged(base, { ...base, accepting: false }), true);
  assert.equal(countersChanged(undefined, base), true);
});

test("--harakiri: the worker's check runs only while requests are in flight", (t) => {
  t.mock.timers.enable({ apis: ["setTimeout", "setInterval", "Date"] });
  const state = workerState();
  const lines: string[] = [];
  const harakiri = new RequestHarakiri(state, 2, (line) => lines.push(line));
  harakiri.start();
  assert.equal(harakiri.armed, false, "idle: no check timer");
  let aborted = 0;
  // a real abort ends the request (504), which takes it out of the flights
  const flight: Flight = { prev: null, next: null, startMs: Date.now(), abort: () => (aborted++, state.end(flight, 1, 0, true), "GET /slow") };
  state.begin(flight);
  assert.equal(harakiri.armed, true, "the first request arms it");
  t.mock.timers.tick(2_500);
  assert.equal(aborted, 1, "and it still ends a request past the limit");
  assert.equal(lines.length, 2, "with uWSGI's two harakiri lines");
  assert.equal(harakiri.armed, false, "a check that leaves nothing in flight disarms it");
  const next: Flight = { prev: null, next: null, startMs: Date.now(), abort: () => "GET /next" };
  state.begin(next);
  assert.equal(harakiri.armed, true, "the next request arms it again");
  harakiri.stop();
});

class FakeSocket extends EventEmitter {
  destroyed = false;
  bytesRead = 0;
  destroy(): this {
    if (!this.destroyed) {
      this.destroyed = true;
      process.nextTick(() => this.emit("close"));
    }
    return this;
  }
}

test("connection sweep: armed only while connections are open", async () => {
  const drain = new ConnectionDrain();
  const log = { line: () => undefined } as unknown as RateLimitedLog;
  const watch = new ConnectionWatch(drain, 4000, log);
  watch.start();
  assert.equal(watch.armed, false, "no connection: no sweep timer");
  const s = new FakeSocket();
  drain.track(s as unknown as Socket);
  assert.equal(watch.armed, true, "the first connection arms it");
  s.destroy();
  await new Promise((r) => setImmediate(r));
  watch.sweep();
  assert.equal(watch.armed, false, "the sweep that finds no connection disarms it");
  const s2 = new FakeSocket();
  drain.track(s2 as unknown as Socket);
  assert.equal(watch.armed, true, "and the next connection arms it again");
  watch.stop();
  assert.equal(watch.armed, false);
});

test("touch files in a watchable directory are not polled, and a touch is still seen", async () => {
  const dir = mkdtempSync(join(tmpdir(), "uwsgi-node-touch-"));
  try {
    const file = join(dir, "reload");
    const absent = join(dir, "appears-later");
    writeFileSync(file, "");
    const touched: string[] = [];
    const w = new TouchWatcher([file, absent], (p) => touched.push(p));
    try {
      assert.equal(w.polling, false, "inotify watches the directory: no polling timer");
      const t = Date.now() / 1000 + 10;
      utimesSync(file, t, t);
      await eventually(() => touched.includes(file), 10000, "the touch");
      writeFileSync(absent, "x");
      await eventually(() => touched.includes(absent), 10000, "the file appearing");
      assert.deepEqual(touched, [file, absent], "one call per change");
    } finally {
      w.close();
    }
    // a symbolic link may point anywhere: polled, as uWSGI does
    symlinkSync(file, join(dir, "link"));
    const linked = new TouchWatcher([join(dir, "link")], () => undefined);
    assert.equal(linked.polling, true);
    linked.close();
    // a missing directory cannot be watched: polled
    const missing = new TouchWatcher([join(dir, "no-such-dir", "file")], () => undefined);
    assert.equal(missing.polling, true);
    missing.close();
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test("--log-maxsize: the size is read again only after the log was written to", async () => {
  const dir = mkdtempSync(join(tmpdir(), "uwsgi-node-growth-"));
  const path = join(dir, "app.log");
  const fd = openSync(path, "a");
  const growth = new LogGrowth(fd);
  try {
    assert.equal(growth.due(), true, "the first check reads the size (and arms the watch)");
    assert.equal(growth.watching, true);
    assert.equal(growth.due(), false, "nothing written since: no fstat");
    assert.equal(growth.due(), false);
    appendFileSync(path, "a line from another process\n");
    await eventually(() => growth.due(), 10000, "the write to be noticed");
    assert.equal(growth.due(), false);
  } finally {
    growth.close();
    closeSync(fd);
    rmSync(dir, { recursive: true, force: true });
  }
});
