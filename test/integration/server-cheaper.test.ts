/**
 * Elastic workers (issue 15, item 5): --cheaper with uWSGI's spare algorithm adds workers under a
 * bounded wrk run and removes them when idle, with zero failed requests (wrk counts non-2xx and
 * socket errors); the backlog algorithm follows the listen queue; the stats show the count;
 * --cheaper-algo manual follows the master FIFO's + and -; --idle stops every worker and the next
 * connection brings them back.
 */
import { describe, it } from "node:test";
import assert from "node:assert/strict";
import { spawn } from "node:child_process";
import { writeFileSync } from "node:fs";
import { join } from "node:path";
import { eventually, fixtureApp, httpRequest, readUntilClose, START_TIMEOUT_MS, startedRequest, startServer, tempDir, type TestServer } from "./server-harness.js";

interface StatsDoc {
  workers: Array<{ id: number; pid: number; status: string; accepting: number; requests: number }>;
}

async function statsPort(server: TestServer): Promise<number> {
  const [, port] = await server.waitForLog(/Stats server enabled on 127\.0\.0\.1:(\d+)/);
  return Number(port);
}

/** Workers running now, as the stats server shows them (a cheaped worker: status "cheap", pid 0). */
async function running(port: number): Promise<number> {
  const doc = JSON.parse(await readUntilClose(port)) as StatsDoc;
  for (const w of doc.workers) if (w.status === "cheap") assert.equal(w.pid, 0);
  return doc.workers.filter((w) => w.status !== "cheap").length;
}

/** Workers serving now (app loaded, accepting requests, not being stopped), as the stats server shows them. */
async function serving(port: number): Promise<StatsDoc["workers"]> {
  const doc = JSON.parse(await readUntilClose(port)) as StatsDoc;
  return doc.workers.filter((w) => w.accepting === 1);
}

/** What a wrk run reported: completed requests and every kind of failure it counts. */
interface WrkResult {
  requests: number;
  non2xx: number;
  socketErrors: number;
  output: string;
}

/**
 * A bounded wrk run (`-d` at most `maxSeconds`) against `path`; `stop()` ends it early with SIGINT,
 * on which wrk prints its summary as at the end of its duration.
 */
function wrk(port: number, path: string, connections: number, maxSeconds = 30, headers: string[] = [], script?: string): { stop(): Promise<WrkResult>; done(): Promise<WrkResult> } {
  const args = ["-t", "1", "-c", String(connections), "-d", `${maxSeconds}s`, "--timeout", "10s", ...headers.flatMap((h) => ["-H", h]), ...(script ? ["-s", script] : []), `http://127.0.0.1:${port}${path}`];
  const child = spawn("wrk", args, { stdio: ["ignore", "pipe", "pipe"] });
  let output = "";
  child.stdout!.on("data", (c: Buffer) => (output += c.toString()));
  child.stderr!.on("data", (c: Buffer) => (output += c.toString()));
  const closed = new Promise<void>((resolve) => child.on("close", () => resolve()));
  const result = async (): Promise<WrkResult> => {
      await closed;
      const requests = Number(/(\d+) requests in/.exec(output)?.[1] ?? NaN);
      const non2xx = Number(/Non-2xx or 3xx responses: (\d+)/.exec(output)?.[1] ?? 0);
      const errs = /Socket errors: connect (\d+), read (\d+), write (\d+), timeout (\d+)/.exec(output);
      const socketErrors = errs ? errs.slice(1).reduce((a, b) => a + Number(b), 0) : 0;
      assert.ok(Number.isFinite(requests), `wrk printed a summary:\n${output}`);
      return { requests, non2xx, socketErrors, output };
  };
  return {
    stop: async () => {
      if (child.exitCode === null && child.signalCode === null) child.kill("SIGINT");
      return result();
    },
    /** Waits for the run to end by itself (after `maxSeconds`). */
    done: result,
  };
}

describe("server: cheaper mode (elastic workers)", () => {
  it("spare: adds --cheaper-step workers under load and removes them when idle, with zero failed requests", async () => {
    const dir = tempDir();
    const server = await startServer(["--http", "127.0.0.1:0", "-p", "3", "--cheaper", "1", "--cheaper-step", "2", "--cheaper-overload", "1", "--stats", "127.0.0.1:0", "--disable-logging", fixtureApp("node-listener-app")]);
    try {
      const stats = await statsPort(server);
      assert.equal(await running(stats), 1, "--cheaper-initial defaults to --cheaper");
      // long requests keep every worker busy without loading the CPU of a shared machine; a new
      // connection per request reaches the added workers too (kept connections would all stay on
      // worker 1, leaving the others idle: spare ones, removed again); the run lasts until the
      // added workers serve (its bound only ends it if they never do)
      const heavy = wrk(server.port, "/sleep?ms=250", 12, 120, ["Connection: close"]);
      await eventually(async () => (await serving(stats)).length === 3, START_TIMEOUT_MS, "3 workers serving under load");
      const up = await heavy.stop();
      assert.equal(up.non2xx + up.socketErrors, 0, up.output);
      assert.ok(up.requests > 0, up.output);
      assert.match(server.log(), /cheaper: spawning worker 2 \(2 of 3 running\)[\s\S]*cheaper: spawning worker 3 \(3 of 3 running\)/);

      // a light load while the spare workers are found idle and stopped; it lasts until the one
      // worker left has answered it (each request on its one connection follows the previous reply
      // after a pause of 100 ms: back to back, the worker serving it was busy at nearly every check,
      // and with one busy worker and one idle the spare algorithm keeps both, uWSGI's stable state
      // of one spare worker; the last one was removed only when a check fell between two requests,
      // which on a loaded machine took longer than the test waited)
      const paced = join(dir.path, "paced.lua");
      writeFileSync(paced, "function delay()\n  return 100\nend\n");
      const light = wrk(server.port, "/sleep?ms=20", 1, 120, [], paced);
      const left = await eventually(async () => {
        const doc = JSON.parse(await readUntilClose(stats)) as StatsDoc;
        const running = doc.workers.filter((w) => w.status !== "cheap");
        return running.length === 1 && running[0]!.accepting === 1 ? running[0]! : null;
      }, START_TIMEOUT_MS, "back to --cheaper 1 worker when idle");
      await eventually(async () => ((await serving(stats)).find((w) => w.id === left.id)?.requests ?? 0) >= left.requests + 2, START_TIMEOUT_MS, "the light load answered by the worker left");
      const down = await light.stop();
      assert.equal(down.non2xx + down.socketErrors, 0, down.output);
      assert.ok(down.requests > 0, down.output);
      assert.match(server.log(), /cheaper: stopping worker \d \(1 of 3 left running\)/);
    } finally {
      await server.stop();
      dir.cleanup();
    }
  });

  it("backlog: adds workers while connections wait in the listen queue beyond --cheaper-overload, removes them once it drains; every queued request is answered", async () => {
    const server = await startServer(["--http", "127.0.0.1:0", "-p", "3", "--cheaper", "1", "--cheaper-algo", "backlog", "--cheaper-overload", "2", "--stats", "127.0.0.1:0", "--disable-logging", fixtureApp("node-listener-app")]);
    try {
      const stats = await statsPort(server);
      assert.equal(await running(stats), 1);
      // the only worker blocks its event loop: later connections wait in the kernel's accept queue
      const blocked = await startedRequest(server.port, "/busy?ms=5000");
      const queued = Array.from({ length: 6 }, () => httpRequest(server.port, "/pid"));
      await server.waitForLog(/cheaper: spawning worker 2/, START_TIMEOUT_MS);
      const replies = await Promise.all(queued);
      for (const r of replies) assert.equal(r.status, 200);
      assert.match((await blocked.done).body, /^blocking\nbusy \d+$/);
      // (the added worker may already be gone again: the queue drained, so the algorithm removes it)
      assert.match(server.log(), /spawned uWSGI worker 2 \(pid: \d+/);
      await eventually(async () => (await running(stats)) === 1, START_TIMEOUT_MS, "back to --cheaper 1 worker once the queue is empty");
      assert.equal((await httpRequest(server.port, "/pid")).status, 200);
    } finally {
      await server.stop();
    }
  });

  it("manual: the master fifo's + and - change the count within --cheaper..--processes", async () => {
    const dir = tempDir();
    const fifo = join(dir.path, "ctl");
    const server = await startServer(["--http", "127.0.0.1:0", "-p", "3", "--cheaper", "1", "--cheaper-algo", "manual", "--master-fifo", fifo, "--stats", "127.0.0.1:0", "--disable-logging", fixtureApp("node-listener-app")]);
    try {
      const stats = await statsPort(server);
      assert.equal(await running(stats), 1);
      writeFileSync(fifo, "+");
      await eventually(async () => (await running(stats)) === 2, 10000, "2 workers after +");
      writeFileSync(fifo, "+");
      await eventually(async () => (await running(stats)) === 3, 10000, "3 workers after ++");
      let from = server.log().length;
      writeFileSync(fifo, "+");
      await server.waitForLog(/cheaper: every worker is already running/, 5000, from);
      writeFileSync(fifo, "-");
      await eventually(async () => (await running(stats)) === 2, 10000, "2 workers after -");
      writeFileSync(fifo, "-");
      await eventually(async () => (await running(stats)) === 1, 10000, "1 worker after --");
      from = server.log().length;
      writeFileSync(fifo, "-");
      await server.waitForLog(/cheaper: already at --cheaper 1 worker\(s\)/, 5000, from);
      assert.equal((await httpRequest(server.port, "/pid")).status, 200);
    } finally {
      await server.stop();
      dir.cleanup();
    }
  });

  it("--idle stops every worker after the idle time; the next connection starts them again and is answered", async () => {
    const server = await startServer(["--http", "127.0.0.1:0", "-p", "2", "--idle", "1", "--stats", "127.0.0.1:0", "--disable-logging", fixtureApp("node-listener-app")]);
    try {
      const stats = await statsPort(server);
      await server.waitForLog(/inactive for more than 1 seconds: cheap mode/, 10000);
      await eventually(async () => (await running(stats)) === 0, 10000, "every worker stopped");
      // answered once a worker has started again, however long that takes on a loaded machine
      const reply = await httpRequest(server.port, "/pid", { timeoutMs: START_TIMEOUT_MS });
      assert.equal(reply.status, 200);
      assert.match(server.log(), /connection waiting: leaving cheap mode, spawning 2 worker\(s\)/);
    } finally {
      await server.stop();
    }
  });
});
