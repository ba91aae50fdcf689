/**
 * Reloads without failed requests: SIGHUP while clients keep sending requests (over keep-alive
 * connections and over new ones), chain reload by --touch-chain-reload, and uwsgi.reload().
 */
import { describe, it } from "node:test";
import assert from "node:assert/strict";
import { utimesSync, writeFileSync } from "node:fs";
import { Agent } from "node:http";
import { join } from "node:path";
import { eventually, fixtureApp, httpRequest, startServer, tempDir } from "./server-harness.js";

/** Sends requests in a loop until `stop()`; counts answers and failures, collects worker pids. */
function loadLoop(port: number, agent: Agent | undefined): { readonly progress: { ok: number; pids: Set<string> }; stop(): Promise<{ ok: number; failed: string[]; pids: Set<string> }> } {
  let running = true;
  const result = { ok: 0, failed: [] as string[], pids: new Set<string>() };
  const loop = (async () => {
    while (running) {
      try {
        const reply = await httpRequest(port, "/pid", { agent, timeoutMs: 5000 });
        if (reply.status === 200) {
          result.ok++;
          result.pids.add(reply.body);
        } else {
          result.failed.push(`status ${reply.status}`);
        }
      } catch (err) {
        result.failed.push((err as Error).message);
      }
    }
  })();
  return {
    progress: result,
    async stop() {
      running = false;
      await loop;
      return result;
    },
  };
}

/** A reload that never completes fails the test instead of stalling the suite (seen once under full-suite load). */
const TEST_TIMEOUT_MS = 90_000;

interface Info {
  is_a_reload: boolean;
  workers: Array<{ pid: number }>;
}

describe("server: graceful reload", () => {
  it("SIGHUP under load replaces every worker with zero failed requests (keep-alive and new connections)", { timeout: TEST_TIMEOUT_MS }, async () => {
    const server = await startServer(["--http", "127.0.0.1:0", "--master", "-p", "2", "--disable-logging", fixtureApp("node-listener-app")]);
    const agent = new Agent({ keepAlive: true, maxSockets: 1 });
    try {
      const before = (JSON.parse((await httpRequest(server.port, "/info")).body) as Info).workers.map((w) => String(w.pid));
      const keepAlive = loadLoop(server.port, agent);
      const fresh = loadLoop(server.port, undefined);
      await eventually(() => keepAlive.progress.ok >= 10 && fresh.progress.ok >= 10, 15000, "both clients answered before the reload");
      const mark = server.log().length;
      process.kill(server.pid, "SIGHUP");
      await server.waitForLog(/graceful reload complete/, 15000, mark);
      await eventually(() => before.every((pid) => server.log().slice(mark).includes(`worker ${before.indexOf(pid) + 1} buried`)), 10000, "the old workers to exit");
      // both clients keep going until each has been answered by a new worker
      const answeredByNew = (l: { progress: { pids: Set<string> } }): boolean => [...l.progress.pids].some((pid) => !before.includes(pid));
      await eventually(() => answeredByNew(keepAlive) && answeredByNew(fresh), 15000, "both clients answered by the new workers");
      const [a, b] = await Promise.all([keepAlive.stop(), fresh.stop()]);
      assert.deepEqual(a.failed, [], "keep-alive client saw failures");
      assert.deepEqual(b.failed, [], "new-connection client saw failures");
      assert.ok(a.ok > 10 && b.ok > 10, `requests answered: ${a.ok} keep-alive, ${b.ok} new`);
      const served = new Set([...a.pids, ...b.pids]);
      assert.ok([...served].some((pid) => !before.includes(pid)), "new workers answered after the reload");
      const now = JSON.parse((await httpRequest(server.port, "/info")).body) as Info;
      assert.equal(now.is_a_reload, true);
      for (const w of now.workers) assert.ok(!before.includes(String(w.pid)), `worker ${w.pid} should be new`);
    } finally {
      agent.destroy();
      await server.stop();
    }
  });

  it("--touch-chain-reload replaces the workers one at a time", { timeout: TEST_TIMEOUT_MS }, async () => {
    const dir = tempDir();
    const touch = join(dir.path, "reload.touch");
    writeFileSync(touch, "");
    const server = await startServer(["--http", "127.0.0.1:0", "-p", "2", "--touch-chain-reload", touch, fixtureApp("node-listener-app")]);
    try {
      const before = (JSON.parse((await httpRequest(server.port, "/info")).body) as Info).workers.map((w) => w.pid);
      const load = loadLoop(server.port, undefined);
      const later = new Date(Date.now() + 5000);
      utimesSync(touch, later, later);
      await server.waitForLog(/has been touched\.\.\. chain reload/, 5000);
      await server.waitForLog(/chain reload complete/, 15000);
      const log = server.log();
      // one at a time: worker 1's old process is told to stop before worker 2's replacement is spawned
      const stop1 = log.indexOf(`Gracefully killing worker 1 (pid: ${before[0]})`);
      const spawn2 = log.indexOf("spawned uWSGI worker 2", log.indexOf("chain reload"));
      assert.ok(stop1 > 0 && spawn2 > stop1, "worker 2 is replaced after worker 1");
      const result = await load.stop();
      assert.deepEqual(result.failed, []);
      const after = (JSON.parse((await httpRequest(server.port, "/info")).body) as Info).workers.map((w) => w.pid);
      assert.ok(after.every((pid) => !before.includes(pid)));
    } finally {
      await server.stop();
      dir.cleanup();
    }
  });

  it("uwsgi.reload() from app code reloads the instance; uwsgi.stop() stops it", { timeout: TEST_TIMEOUT_MS }, async () => {
    const server = await startServer(["--http", "127.0.0.1:0", "--disable-logging", fixtureApp("node-listener-app")]);
    try {
      const oldPid = (await httpRequest(server.port, "/pid")).body;
      assert.equal((await httpRequest(server.port, "/reload")).body, "true");
      await server.waitForLog(/graceful reload complete/);
      const info = await eventually(async () => {
        const i = JSON.parse((await httpRequest(server.port, "/info")).body) as Info & { pid: number };
        return String(i.pid) !== oldPid ? i : null;
      }, 5000, "a new worker");
      assert.equal(info.is_a_reload, true);
      assert.equal((await httpRequest(server.port, "/stop").catch(() => ({ body: "dropped" }))).body.length > 0, true);
      assert.equal((await server.exited).code, 0);
    } finally {
      await server.stop();
    }
  });
});
