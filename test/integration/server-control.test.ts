/**
 * Operating a running instance (issue 15, item 1): --daemonize/--daemonize2, --reload/--stop
 * PIDFILE (and the error on a stale pidfile), and every master FIFO command.
 */
import { describe, it } from "node:test";
import assert from "node:assert/strict";
import { existsSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { alive, eventually, fixtureApp, httpRequest, removeDeadInstancesRegions, runCli, startServer, tempDir, type TestServer } from "./server-harness.js";

interface Info {
  pid: number;
  workers: Array<{ id: number; pid: number }>;
}
const workerPids = async (port: number): Promise<number[]> => (JSON.parse((await httpRequest(port, "/info")).body) as Info).workers.map((w) => w.pid).sort();

/** Ends a daemon the test started (by the pid in its pidfile) if it is still there. */
async function killDaemon(pid: number): Promise<void> {
  if (!alive(pid)) return;
  process.kill(pid, "SIGKILL");
  await eventually(() => !alive(pid), 5000, `daemon ${pid} to die`);
  removeDeadInstancesRegions();
}

describe("server: operating a running instance", () => {
  it("--daemonize2 returns once ready; --reload PIDFILE reloads it; --stop PIDFILE stops it; then the stale pidfile is exit code 1", async () => {
    const dir = tempDir();
    const pidfile = join(dir.path, "app.pid");
    const logFile = join(dir.path, "app.log");
    let pid = 0;
    try {
      const started = await runCli(["--http", "127.0.0.1:0", "-p", "2", "--daemonize2", logFile, "--pidfile", pidfile, "--disable-logging", fixtureApp("node-listener-app")]);
      assert.equal(started.code, 0, started.stderr);
      pid = Number(readFileSync(pidfile, "utf8"));
      assert.ok(alive(pid), "the daemon runs after the command returned");
      const log = readFileSync(logFile, "utf8");
      assert.match(log, /\*\*\* uwsgi-node is ready: 2 worker\(s\)/, "--daemonize2 returns only once the workers are ready");
      const port = Number(/bound to TCP address 127\.0\.0\.1:(\d+)/.exec(log)![1]);
      const before = await workerPids(port);

      const reload = await runCli(["--reload", pidfile]);
      assert.equal(reload.code, 0, reload.stderr);
      assert.match(reload.stdout, new RegExp(`sent SIGHUP to the master \\(pid ${pid}\\)`));
      await eventually(() => /graceful reload complete/.test(readFileSync(logFile, "utf8")), 15000, "the reload to complete");
      const after = await workerPids(port);
      assert.equal(after.filter((p) => before.includes(p)).length, 0, "every worker was replaced");

      const stop = await runCli(["--stop", pidfile]);
      assert.equal(stop.code, 0, stop.stderr);
      await eventually(() => !alive(pid), 15000, "the daemon to stop");
      assert.match(readFileSync(logFile, "utf8"), /goodbye to uWSGI/);
      for (const p of after) assert.equal(alive(p), false);

      const stale = await runCli(["--stop", pidfile]);
      assert.equal(stale.code, 1);
      assert.match(stale.stderr, new RegExp(`pidfile ${pidfile.replace(/[.]/g, "\\.")}: stale: no process has pid ${pid}`));
      const missing = await runCli(["--reload", join(dir.path, "nope.pid")]);
      assert.equal(missing.code, 1);
      assert.match(missing.stderr, /cannot read it: ENOENT/);
    } finally {
      if (pid) await killDaemon(pid);
      dir.cleanup();
    }
  });

  it("--reload refuses a pidfile whose pid is alive but not a uwsgi-node master", async () => {
    const dir = tempDir();
    try {
      const pidfile = join(dir.path, "other.pid");
      writeFileSync(pidfile, `${process.pid}\n`); // the test runner itself: alive, not a master
      const res = await runCli(["--reload", pidfile]);
      assert.equal(res.code, 1);
      assert.match(res.stderr, /stale: pid \d+ is not a uwsgi-node master/);
    } finally {
      dir.cleanup();
    }
  });

  it("--daemonize returns at once and the daemon logs startup errors to the file", async () => {
    const dir = tempDir();
    const logFile = join(dir.path, "bad.log");
    try {
      const res = await runCli(["--http", "127.0.0.1:0", "--daemonize", logFile, fixtureApp("broken-app")]);
      assert.equal(res.code, 0, "the command does not wait for the daemon");
      await eventually(() => existsSync(logFile) && /no app loaded/.test(readFileSync(logFile, "utf8")), 15000, "the daemon's failure in its log");
      const masterPid = Number(/spawned uWSGI master process \(pid: (\d+)\)/.exec(readFileSync(logFile, "utf8"))![1]);
      await eventually(() => !alive(masterPid), 10000, "the failed daemon to exit");
    } finally {
      dir.cleanup();
    }
  });

  it("--daemonize2 exits with the daemon's code when it cannot start", async () => {
    const dir = tempDir();
    try {
      const res = await runCli(["--http", "127.0.0.1:0", "--daemonize2", join(dir.path, "bad.log"), fixtureApp("broken-app")]);
      assert.equal(res.code, 22);
      assert.match(res.stderr, /the daemon exited \(code 22\) before it was ready/);
    } finally {
      dir.cleanup();
    }
  });

  describe("--master-fifo", () => {
    const send = (fifo: string, bytes: string): void => writeFileSync(fifo, bytes);

    async function replaced(server: TestServer, port: number, fifo: string, cmd: string, done: RegExp): Promise<void> {
      const before = await workerPids(port);
      const from = server.log().length;
      send(fifo, cmd);
      await server.waitForLog(done, 15000, from);
      await eventually(async () => {
        const now = await workerPids(port);
        return now.every((p) => !before.includes(p));
      }, 10000, `every worker to be replaced after ${JSON.stringify(cmd)}`);
    }

    it("r, w, c, R, W reload; s logs the stats; l/L reach the log; + and - need cheaper mode; 1 switches to the second fifo; q stops", async () => {
      const dir = tempDir();
      const fifo0 = join(dir.path, "ctl0");
      const fifo1 = join(dir.path, "ctl1");
      const server = await startServer(["--http", "127.0.0.1:0", "-p", "2", "--disable-logging", "--master-fifo", fifo0, "--master-fifo", fifo1, fixtureApp("node-listener-app")]);
      try {
        assert.ok(existsSync(fifo0) && !existsSync(fifo1), "slot 0 is created at start");
        let from = server.log().length;
        send(fifo0, "s\n");
        await server.waitForLog(new RegExp(`^\\{"version":"[^"]+".*"pid":${server.pid},`, "m"), 5000, from);

        await replaced(server, server.port, fifo0, "r", /gracefully reloading workers \(master fifo\)[\s\S]*graceful reload complete/);
        await replaced(server, server.port, fifo0, "w", /gracefully reloading workers \(master fifo\)[\s\S]*graceful reload complete/);
        await replaced(server, server.port, fifo0, "c", /chain reload starting \(master fifo\)[\s\S]*chain reload complete/);
        await replaced(server, server.port, fifo0, "R", /brutally reloading workers \(master fifo\)[\s\S]*graceful reload complete/);
        await replaced(server, server.port, fifo0, "W", /brutally reloading workers \(master fifo\)[\s\S]*graceful reload complete/);

        from = server.log().length;
        send(fifo0, "lL");
        await server.waitForLog(/master fifo l[:\s]|reopen/i, 5000, from);
        from = server.log().length;
        send(fifo0, "+-");
        await server.waitForLog(/master fifo \+: not in cheaper mode[\s\S]*master fifo -: not in cheaper mode/, 5000, from);

        from = server.log().length;
        send(fifo0, "1");
        await server.waitForLog(new RegExp(`active master fifo is now ${fifo1}`), 5000, from);
        assert.ok(existsSync(fifo1));
        const pids = await workerPids(server.port);
        send(fifo1, "q");
        const exit = await server.exited;
        assert.deepEqual(exit, { code: 0, signal: null });
        assert.match(server.log(), /graceful shutdown requested via master fifo/);
        for (const p of pids) assert.equal(alive(p), false);
        assert.ok(!existsSync(fifo0) && !existsSync(fifo1), "the fifos are removed at exit");
      } finally {
        await server.stop();
        dir.cleanup();
      }
    });

    it("Q stops at once: a request in flight is dropped", async () => {
      const dir = tempDir();
      const fifo = join(dir.path, "ctl");
      const server = await startServer(["--http", "127.0.0.1:0", "--disable-logging", "--master-fifo", fifo, fixtureApp("node-listener-app")]);
      try {
        const slow = httpRequest(server.port, "/sleep?ms=5000").then(
          () => "answered",
          () => "dropped",
        );
        await eventually(async () => (await fifoStats(server, fifo)).workers[0]!.status === "busy", 5000, "the request to be in flight");
        send(fifo, "Q");
        assert.equal((await server.exited).code, 0);
        assert.equal(await slow, "dropped");
        assert.match(server.log(), /brutal shutdown requested via master fifo/);
      } finally {
        await server.stop();
        dir.cleanup();
      }
    });
  });
});

/** Asks the master for its stats through the FIFO's `s` command and reads the document it logs. */
async function fifoStats(server: TestServer, fifo: string): Promise<{ workers: Array<{ status: string }> }> {
  const from = server.log().length;
  writeFileSync(fifo, "s");
  const [line] = await server.waitForLog(/^\{"version".*\}$/m, 5000, from);
  return JSON.parse(line) as { workers: Array<{ status: string }> };
}
