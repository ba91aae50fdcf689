/**
 * The master keeping an instance up: requests that hang past --harakiri, workers recycled on
 * memory, crash loops slowed by backoff, a reload to broken code that leaves the old workers
 * serving, and workers that leave when their master dies.
 */
import { describe, it } from "node:test";
import assert from "node:assert/strict";
import { writeFileSync } from "node:fs";
import { join } from "node:path";
import { alive, eventually, fixtureApp, httpRequest, startServer, tempDir } from "./server-harness.js";

describe("server: resilience", () => {
  it("harakiri also ends a request that never answers (an async hang): 504, the worker lives on", async () => {
    const server = await startServer(["--http", "127.0.0.1:0", "--harakiri", "1", "--disable-logging", fixtureApp("node-listener-app")]);
    try {
      const pid = Number((await httpRequest(server.port, "/pid")).body);
      const hung = await httpRequest(server.port, "/sleep?ms=20000");
      assert.equal(hung.status, 504);
      await server.waitForLog(new RegExp(`HARAKIRI ON WORKER 1 \\(pid: ${pid}, try: 1\\)`));
      await server.waitForLog(new RegExp(`HARAKIRI: --- uWSGI worker 1 \\(pid: ${pid}\\) WAS managing request GET /sleep\\?ms=20000 since`));
      assert.equal(Number((await httpRequest(server.port, "/pid")).body), pid, "the same worker serves on");
      assert.doesNotMatch(server.log(), /HARAKIRI !!!/, "the master killed nothing");
    } finally {
      await server.stop();
    }
  });

  it("--reload-on-rss recycles a worker above the limit after a request", async () => {
    const server = await startServer(["--http", "127.0.0.1:0", "--reload-on-rss", "1", "--disable-logging", fixtureApp("node-listener-app")]);
    try {
      const pid = (await httpRequest(server.port, "/pid")).body;
      await server.waitForLog(new RegExp(`The work of process ${pid} is done \\(rss \\d+ MB above reload-on-rss 1 MB\\)`));
      const next = await httpRequest(server.port, "/pid");
      assert.equal(next.status, 200);
      assert.notEqual(next.body, pid);
    } finally {
      await server.stop();
    }
  });

  it("slows down the respawns of a worker that keeps dying", async () => {
    const server = await startServer(["--http", "127.0.0.1:0", fixtureApp("crash-loop-app")]);
    try {
      await server.waitForLog(/worker 1 respawning too fast !!! waiting 0\.25 seconds/, 15000);
      await server.waitForLog(/worker 1 respawning too fast !!! waiting 0\.50 seconds/, 15000);
      assert.ok(alive(server.pid), "the master survives the crash loop");
    } finally {
      await server.stop();
    }
  });

  it("a reload to code that cannot load keeps the old workers serving until the code is fixed", async () => {
    const dir = tempDir();
    const app = join(dir.path, "app.mjs");
    writeFileSync(app, 'export default (req, res) => res.end("v1");\n');
    const server = await startServer(["--http", "127.0.0.1:0", "--disable-logging", app]);
    try {
      assert.equal((await httpRequest(server.port, "/")).body, "v1");
      writeFileSync(app, 'throw new Error("v2 is broken");\n');
      const mark = server.log().length;
      process.kill(server.pid, "SIGHUP");
      await server.waitForLog(/could not load the app: v2 is broken/, 10000, mark);
      for (let i = 0; i < 5; i++) assert.equal((await httpRequest(server.port, "/")).body, "v1");
      writeFileSync(app, 'export default (req, res) => res.end("v3");\n');
      await server.waitForLog(/graceful reload complete/, 20000, mark);
      await eventually(async () => (await httpRequest(server.port, "/")).body === "v3", 5000, "v3 to answer");
    } finally {
      await server.stop();
      dir.cleanup();
    }
  });

  it("workers leave when their master is killed", async () => {
    const server = await startServer(["--http", "127.0.0.1:0", "-p", "2", "--disable-logging", fixtureApp("node-listener-app")]);
    const info = JSON.parse((await httpRequest(server.port, "/info")).body) as { workers: Array<{ pid: number }> };
    const pids = info.workers.map((w) => w.pid);
    try {
      process.kill(server.pid, "SIGKILL");
      await server.exited;
      await eventually(() => pids.every((pid) => !alive(pid)), 10000, "the orphaned workers to exit");
    } finally {
      for (const pid of pids) if (alive(pid)) process.kill(pid, "SIGKILL");
    }
  });
});
