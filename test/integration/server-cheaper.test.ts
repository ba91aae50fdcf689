/**
 * Elastic workers (issue 15, item 5): --cheaper with uWSGI's spare algorithm adds workers under a
 * bounded load and removes them when idle, with zero failed requests; the stats show the count;
 * --cheaper-algo manual follows the master FIFO's + and -; --idle stops every worker and the next
 * connection brings them back.
 */
import { describe, it } from "node:test";
import assert from "node:assert/strict";
import { writeFileSync } from "node:fs";
import { join } from "node:path";
import { eventually, fixtureApp, httpRequest, readUntilClose, startServer, tempDir, type TestServer } from "./server-harness.js";

interface StatsDoc {
  workers: Array<{ id: number; pid: number; status: string }>;
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

/** A bounded load loop: `concurrency` clients sending `path` back to back until stopped (at most `maxMs`, `maxRequests`). */
function load(port: number, path: string, concurrency: number, maxMs = 30000, maxRequests = 20000) {
  let go = true;
  let ok = 0;
  let failed = 0;
  const errors: string[] = [];
  const deadline = Date.now() + maxMs;
  const client = async (): Promise<void> => {
    while (go && Date.now() < deadline && ok + failed < maxRequests) {
      try {
        const r = await httpRequest(port, path);
        if (r.status === 200) ok++;
        else {
          failed++;
          errors.push(`status ${r.status}`);
        }
      } catch (err) {
        failed++;
        errors.push((err as Error).message);
      }
    }
  };
  const all = Promise.all(Array.from({ length: concurrency }, client));
  return {
    stop: async () => {
      go = false;
      await all;
      return { ok, failed, errors };
    },
  };
}

describe("server: cheaper mode (elastic workers)", () => {
  it("spare: adds --cheaper-step workers under load and removes them when idle, with zero failed requests", async () => {
    const server = await startServer(["--http", "127.0.0.1:0", "-p", "3", "--cheaper", "1", "--cheaper-step", "2", "--cheaper-overload", "1", "--stats", "127.0.0.1:0", "--disable-logging", fixtureApp("node-listener-app")]);
    try {
      const stats = await statsPort(server);
      assert.equal(await running(stats), 1, "--cheaper-initial defaults to --cheaper");
      // long requests keep every worker busy without loading the CPU of a shared machine
      const heavy = load(server.port, "/sleep?ms=250", 12);
      await eventually(async () => (await running(stats)) === 3, 25000, "3 workers under load");
      const up = await heavy.stop();
      assert.equal(up.failed, 0, up.errors.slice(0, 5).join("; "));
      assert.ok(up.ok > 0);
      assert.match(server.log(), /cheaper: spawning worker 2[\s\S]*cheaper: spawning worker 3/);

      const light = load(server.port, "/pid", 1);
      await eventually(async () => (await running(stats)) === 1, 25000, "back to --cheaper 1 worker when idle");
      const down = await light.stop();
      assert.equal(down.failed, 0, down.errors.slice(0, 5).join("; "));
      assert.match(server.log(), /cheaper: stopping worker \d \(1 of 3 left running\)/);
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
      const reply = await httpRequest(server.port, "/pid");
      assert.equal(reply.status, 200);
      assert.match(server.log(), /connection waiting: leaving cheap mode, spawning 2 worker\(s\)/);
    } finally {
      await server.stop();
    }
  });
});
