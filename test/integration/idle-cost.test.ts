/**
 * What an idle instance costs: an idle worker used to wake about 8 times a second (a 200 ms
 * report poll, a connection sweep with no connection open, the worker table pushed back after
 * every unchanged heartbeat) and the master to fstat the log 4 times a second for --log-maxsize
 * and stat every touch file once a second. The wake-ups are counted, not timed: the voluntary
 * context switches of each process's main thread (one per return from an idle epoll wait), with
 * the master's own count as the clock (its tick wakes it 4 times a second, so a worker that
 * wakes on a timer of its own shows up as a count of the same order). They are counted in
 * windows of one second of the master's ticks and compared by the median window: V8's memory
 * reducer runs a few GC steps about 8 s after a process starts, a one-off burst of wake-ups in
 * master and workers alike that a single long window may or may not catch (CI caught it once).
 */
import { test } from "node:test";
import assert from "node:assert/strict";
import { readFileSync, writeFileSync, utimesSync } from "node:fs";
import { join } from "node:path";
import { eventually, startServer, tempDir, fixtureApp } from "./server-harness.js";

/** Voluntary context switches of the main thread of `pid`. */
function wakeups(pid: number): number {
  const m = /^voluntary_ctxt_switches:\s+(\d+)$/m.exec(readFileSync(`/proc/${pid}/task/${pid}/status`, "utf8"));
  if (!m) throw new Error(`no voluntary_ctxt_switches for ${pid}`);
  return Number(m[1]);
}

function childrenOf(pid: number): number[] {
  return readFileSync(`/proc/${pid}/task/${pid}/children`, "utf8").trim().split(/\s+/).filter(Boolean).map(Number);
}

test("regression: an idle worker woke up about 8 times a second (report poll, empty connection sweep, unchanged table pushes); it now sleeps between the master's ticks", async () => {
  const dir = tempDir();
  const touch = join(dir.path, "reload");
  const log = join(dir.path, "app.log");
  writeFileSync(touch, "");
  // touch-reload and log-maxsize are on: their checks are event-driven now and cost the workers nothing
  const server = await startServer(["--http", "127.0.0.1:0", "--master", "--processes", "2", "--touch-reload", touch, "--logto", log, "--log-maxsize", "1000000", fixtureApp("node-listener-app")], { logFile: log });
  try {
    const workers = childrenOf(server.pid);
    assert.equal(workers.length, 2, `two workers under the master (${workers.join(",")})`);
    // about 7 s of the master's 250 ms tick, in windows of 4 of its wake-ups (one second)
    const WINDOWS = 7;
    const PER_WINDOW = 4;
    const masterDeltas: number[] = [];
    const workerDeltas: number[][] = workers.map(() => []);
    for (let n = 0; n < WINDOWS; n++) {
      const master0 = wakeups(server.pid);
      const before = workers.map(wakeups);
      await eventually(() => wakeups(server.pid) - master0 >= PER_WINDOW, 60000, `${PER_WINDOW} wake-ups of the master`, 50);
      masterDeltas.push(wakeups(server.pid) - master0);
      workers.forEach((pid, i) => workerDeltas[i]!.push(wakeups(pid) - before[i]!));
    }
    const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;
    // Left in a worker: Node's own HTTP connection checker (once per --socket-timeout / 4 = 1 s)
    // and the odd V8 housekeeping task: about a quarter of the master's count. Before the fix
    // every worker woke more often than the master in every window.
    for (const [i, ds] of workerDeltas.entries()) {
      assert.ok(median(ds) * 2 <= median(masterDeltas), `worker ${i + 1} woke ${ds.join(",")} times in windows where the master woke ${masterDeltas.join(",")} times`);
    }
    // the touch file still reloads the workers, without polling it
    const t = Date.now() / 1000 + 5;
    utimesSync(touch, t, t);
    await server.waitForLog(/has been touched\.\.\. grace them all/, 20000);
  } finally {
    await server.stop();
    dir.cleanup();
  }
});
