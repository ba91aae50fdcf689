/**
 * App lifecycle (issue 15, item 4): before a worker exits on a reload, on recycling
 * (--max-requests) and on a graceful stop, once its requests are done, the app's SIGTERM
 * listeners, Fastify's onClose hooks (closing a "DB pool") and uwsgi.atexit run and are awaited.
 */
import { describe, it } from "node:test";
import assert from "node:assert/strict";
import { existsSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { eventually, fixtureApp, httpRequest, START_TIMEOUT_MS, startServer, tempDir } from "./server-harness.js";

/** The shutdown steps every exiting worker must log, in order, each after its async work. */
const SHUTDOWN = ["sigterm-listener", "pool-ended", "fastify-onClose", "atexit pool-open=false"];

function eventsOf(logFile: string, pid: number): string[] {
  if (!existsSync(logFile)) return [];
  return readFileSync(logFile, "utf8")
    .split("\n")
    .filter((l) => l.startsWith(`${pid} `))
    .map((l) => l.slice(String(pid).length + 1));
}

describe("server: the app's shutdown hooks", () => {
  it("run and are awaited on reload, on --max-requests recycling and on stop (after the request in flight)", async () => {
    const dir = tempDir();
    const logFile = join(dir.path, "lifecycle.log");
    const server = await startServer(["--http", "127.0.0.1:0", "-p", "1", "--max-requests", "2", "--disable-logging", fixtureApp("fastify-app")], {
      env: { ...process.env, LIFECYCLE_LOG: logFile },
    });
    try {
      // reload: the old worker's hooks run once its replacement serves (however long it takes to start)
      const first = Number((await httpRequest(server.port, "/pid")).body);
      process.kill(server.pid, "SIGHUP");
      await eventually(() => eventsOf(logFile, first).length >= SHUTDOWN.length, START_TIMEOUT_MS, "the reloaded worker's shutdown hooks");
      assert.deepEqual(eventsOf(logFile, first), SHUTDOWN);

      // --max-requests 2: the second request recycles the worker
      const second = Number((await httpRequest(server.port, "/pid")).body);
      assert.notEqual(second, first);
      const from = server.log().length;
      assert.equal(Number((await httpRequest(server.port, "/pid")).body), second);
      // the master spawns the successor once the recycled worker stopped accepting
      const [, successor] = await server.waitForLog(new RegExp(`worker 1 \\(pid: ${second}\\) is recycled[\\s\\S]*Respawned uWSGI worker 1 \\(new pid: (\\d+)\\)`), START_TIMEOUT_MS, from);
      await eventually(() => eventsOf(logFile, second).length >= SHUTDOWN.length, START_TIMEOUT_MS, "the recycled worker's shutdown hooks");
      assert.deepEqual(eventsOf(logFile, second), SHUTDOWN);

      // stop with a request in flight: it completes with the pool still open, then the hooks run;
      // the successor answers once it has started (the request waits in the listen queue until then)
      const third = Number((await httpRequest(server.port, "/pid", { timeoutMs: START_TIMEOUT_MS })).body);
      assert.equal(third, Number(successor));
      const slow = httpRequest(server.port, "/slow", { timeoutMs: START_TIMEOUT_MS });
      await eventually(() => eventsOf(logFile, third).includes("slow-request-start"), START_TIMEOUT_MS, "the slow request to start");
      const exit = server.stop("SIGTERM", START_TIMEOUT_MS);
      const reply = await slow;
      assert.equal(reply.status, 200);
      assert.equal(reply.body, `slow ${third} pool-open=true`);
      assert.deepEqual(await exit, { code: 0, signal: null });
      const events = eventsOf(logFile, third).filter((e) => !e.startsWith("slow-request-start"));
      // /slow is also this worker's second request (--max-requests 2): recycling or the stop, the hooks run once, after it
      assert.deepEqual(events, ["slow-request-done", ...SHUTDOWN]);
    } finally {
      await server.stop();
      dir.cleanup();
    }
  });
});
