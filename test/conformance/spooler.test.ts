/**
 * Spooler processes in the real server (issue 12): tasks spooled by any worker run exactly once,
 * in a spooler process, woken at once; a SIGKILLed spooler loses nothing; `at` and `priority`;
 * failing tasks back off into DIR/failed; the stats `spoolers` section; and interop with a real
 * uWSGI 2.0.21 spooler (a shared directory under load without double runs, tasks written by
 * either run in the other, remote spooling over modifier1 17).
 */
import assert from "node:assert/strict";
import { type ChildProcess, spawn } from "node:child_process";
import { existsSync, mkdirSync, readFileSync, readdirSync, realpathSync, renameSync, writeFileSync } from "node:fs";
import { request } from "node:http";
import { connect } from "node:net";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { after, before, describe, test } from "node:test";
import { encodePacket, encodeVars } from "../../src/protocol/packet.js";
import { encodeSpoolFile } from "../../src/protocol/spool-file.js";
import { freeUdpPort } from "../support/free-port.js";
import { eventually, fixtureApp, httpRequest, readUntilClose, startServer, tempDir, type TestServer } from "../integration/server-harness.js";
import { freeTcpPort as freePort } from "../support/free-port.js";
import { RECYCLE_DIR } from "../../src/protocol/spool-file-recycling.js";

const APP = fixtureApp("spooler-app");
const UWSGI_APP = fileURLToPath(new URL("../../../test/fixtures/spooler/uwsgi-spooler-app.py", import.meta.url));

interface Run {
  what: string;
  name: string;
  pid: number;
  flag: string;
  worker: number;
  at: number;
}

function runs(log: string): Run[] {
  if (!existsSync(log)) return [];
  return readFileSync(log, "utf8")
    .split("\n")
    .filter(Boolean)
    .map((line) => {
      const [what, name, pid, flag, worker, at] = line.split(" ");
      return { what: what!, name: name!, pid: Number(pid), flag: flag!, worker: Number(worker), at: Number(at) };
    });
}

const base = (p: string) => p.slice(p.lastIndexOf("/") + 1);

async function json<T>(server: TestServer, path: string): Promise<T> {
  const reply = await httpRequest(server.port, path);
  assert.equal(reply.status, 200, `${path}: ${reply.body}`);
  return JSON.parse(reply.body) as T;
}

async function spool(server: TestServer, query: string): Promise<string[]> {
  return (await json<{ paths: string[] }>(server, `/spool?${query}`)).paths;
}

async function stats(server: TestServer): Promise<{ spoolers?: Array<{ dir: string; pid: number; tasks: number; respawns: number; running: number }> }> {
  const port = Number(/Stats server enabled on 127\.0\.0\.1:(\d+)/.exec(server.log())![1]);
  return JSON.parse(await readUntilClose(port)) as Awaited<ReturnType<typeof stats>>;
}

/** Starts our server; it may take a while to be ready (spoolers, mules and workers start at once on a busy machine). */
async function ourServer(args: string[], runLog: string): Promise<TestServer> {
  const server = await startServer(["--http", "127.0.0.1:0", "--stats", "127.0.0.1:0", ...args, APP], { env: { ...process.env, SPOOL_RUN_LOG: runLog }, waitReady: false });
  try {
    await server.waitForLog(/\*\*\* uwsgi-node is ready/, 40_000);
  } catch (err) {
    await server.stop("SIGKILL");
    throw err;
  }
  return server;
}

describe("spooler processes", () => {
  test("tasks spooled by any worker run exactly once, in a spooler process, never in a worker, woken at once", async () => {
    const tmp = tempDir();
    const dir = join(tmp.path, "spool");
    const runLog = join(tmp.path, "runs.log");
    const server = await ourServer(["--processes", "2", "--spooler-processes", "2", "--spooler", dir, "--spooler-frequency", "60"], runLog);
    try {
      const info = await json<{ pids: number[]; pid: number; spooler: boolean; worker: number }>(server, "/info");
      assert.equal(info.pids.length, 2);
      assert.ok(info.pids.every((p) => p > 0));
      assert.equal(info.pid, info.pids[0]);
      assert.equal(info.spooler, false, "a worker is not the spooler");
      const paths: string[] = [];
      for (let i = 0; i < 10; i++) paths.push(...(await spool(server, "n=5")));
      assert.equal(new Set(paths).size, 50);
      // --spooler-frequency is 60 s: only the wake-up through the master can run them this soon
      await eventually(() => runs(runLog).filter((r) => r.what === "done").length >= 50, 20_000, "50 tasks done");
      const all = runs(runLog);
      for (const p of paths) {
        assert.equal(all.filter((r) => r.what === "start" && r.name === base(p)).length, 1, `${base(p)} ran once`);
      }
      for (const r of all) {
        assert.ok(info.pids.includes(r.pid), `ran in spooler ${r.pid}, not in another process`);
        assert.equal(r.flag, "1", "i_am_the_spooler() is true there");
        assert.equal(r.worker, 0, "worker_id() is 0 there");
      }
      // the callable notes "done" before it returns, the file goes after; finished task files are
      // parked, zeroed, in the recycled folder for the next writes
      await eventually(() => readdirSync(dir).filter((name) => name !== RECYCLE_DIR).length === 0, 10_000, "every task file is gone");
      const doc = await eventually(async () => {
        const s = await stats(server);
        return s.spoolers && s.spoolers.reduce((n, e) => n + e.tasks, 0) === 50 ? s : null;
      }, 10_000, "stats tasks = 50");
      assert.deepEqual(doc.spoolers!.map((s) => [s.dir, s.pid, s.respawns, s.running]), info.pids.map((pid) => [realpathSync(dir), pid, 0, 0]));
    } finally {
      await server.stop();
      tmp.cleanup();
    }
  });

  test("a spooler SIGKILLed mid-task loses nothing: the task runs again after the respawn", async () => {
    const tmp = tempDir();
    const dir = join(tmp.path, "spool");
    const runLog = join(tmp.path, "runs.log");
    const server = await ourServer(["--spooler", dir, "--spooler-frequency", "1"], runLog);
    try {
      const [slow] = await spool(server, "action=sleep&ms=4000");
      const started = await eventually(() => runs(runLog).find((r) => r.what === "start" && r.name === base(slow!)), 15_000, "slow task started");
      const others = await spool(server, "n=3");
      process.kill(started.pid, "SIGKILL");
      await eventually(() => runs(runLog).filter((r) => r.what === "done").length >= 4, 30_000, "every task done");
      const all = runs(runLog);
      const slowRuns = all.filter((r) => r.name === base(slow!));
      assert.deepEqual(slowRuns.map((r) => r.what), ["start", "start", "done"], "run again from the start, done once");
      assert.notEqual(slowRuns[1]!.pid, started.pid, "by the respawned spooler");
      for (const p of others) assert.equal(all.filter((r) => r.what === "done" && r.name === base(p)).length, 1);
      assert.match(server.log(), /OOOPS the spooler is no more/);
      const info = await json<{ pids: number[] }>(server, "/info");
      assert.equal(info.pids[0], slowRuns[1]!.pid, "spooler_pids() names the new process");
      assert.equal((await stats(server)).spoolers![0]!.respawns, 1);
    } finally {
      await server.stop();
      tmp.cleanup();
    }
  });

  test("priority directories run lowest number first, before plain tasks; at delays a task to its time", async () => {
    const tmp = tempDir();
    const dir = join(tmp.path, "spool");
    const runLog = join(tmp.path, "runs.log");
    const server = await ourServer(["--spooler", dir, "--spooler-frequency", "30"], runLog);
    try {
      const [blocker] = await spool(server, "action=sleep&ms=1500");
      await eventually(() => runs(runLog).some((r) => r.name === base(blocker!)), 15_000, "blocker started");
      const at = Math.floor(Date.now() / 1000) + 3;
      const [later] = await spool(server, `at=${at}`);
      const [plain] = await spool(server, "");
      const [p10] = await spool(server, "priority=10");
      const [p2] = await spool(server, "priority=2");
      assert.equal(p2, join(realpathSync(dir), "2", base(p2!)), "priority tasks live in DIR/<priority>/");
      await eventually(() => runs(runLog).filter((r) => r.what === "done").length >= 5, 20_000, "all done");
      const done = runs(runLog).filter((r) => r.what === "done");
      const order = done.map((r) => r.name);
      assert.deepEqual(order.slice(0, 3), [blocker, p2, p10].map((p) => base(p!)), "priority dirs, lowest first, before plain tasks");
      const laterRun = done.find((r) => r.name === base(later!))!;
      const plainStart = runs(runLog).find((r) => r.what === "start" && r.name === base(plain!))!;
      // plain runs before the 'at' task unless the machine was so slow that both were due when
      // the spooler got to them (then their order is the directory's, as in uWSGI)
      if (plainStart.at < at * 1000) assert.ok(order.indexOf(base(plain!)) < order.indexOf(base(later!)), "a due plain task is not held behind a task waiting for its time");
      assert.ok(laterRun.at >= at * 1000, "not before at");
      assert.ok(laterRun.at < at * 1000 + 10_000, "on time, not a 30 s scan period later");
    } finally {
      await server.stop();
      tmp.cleanup();
    }
  });

  test("a task that keeps failing backs off and ends in DIR/failed after --spooler-max-retries", async () => {
    const tmp = tempDir();
    const dir = join(tmp.path, "spool");
    const runLog = join(tmp.path, "runs.log");
    const server = await ourServer(["--spooler", dir, "--spooler-frequency", "1", "--spooler-max-retries", "2"], runLog);
    try {
      const [task] = await spool(server, "action=fail");
      const failed = join(realpathSync(dir), "failed", base(task!));
      await eventually(() => existsSync(failed), 20_000, "task in the failed folder");
      const starts = runs(runLog).filter((r) => r.what === "start").map((r) => r.at);
      assert.equal(starts.length, 3, "one run and two retries");
      assert.ok(starts[1]! - starts[0]! >= 900, "first retry after the scan period (1 s)");
      assert.ok(starts[2]! - starts[1]! >= 1900, "then the backoff doubles (2 s)");
      assert.equal(existsSync(task!), false);
      assert.deepEqual((await json<{ jobs: string[] }>(server, "/info")).jobs, []);
      // the spooler logs the move after making it: the line can reach the log after the file
      await eventually(() => /moved to .*failed/.test(server.log()), 10_000, "the move logged");
    } finally {
      await server.stop();
      tmp.cleanup();
    }
  });

  test("--spooler-max-tasks recycles the spooler process; set_spooler_frequency reaches it", async () => {
    const tmp = tempDir();
    const dir = join(tmp.path, "spool");
    const runLog = join(tmp.path, "runs.log");
    const server = await ourServer(["--spooler", dir, "--spooler-max-tasks", "2", "--spooler-frequency", "60"], runLog);
    try {
      const paths = await spool(server, "n=5");
      await eventually(() => runs(runLog).filter((r) => r.what === "done").length >= 5, 30_000, "5 tasks done");
      const pids = new Set(runs(runLog).map((r) => r.pid));
      assert.ok(pids.size >= 3, `5 tasks at 2 per process need 3 processes, got ${[...pids].join(",")}`);
      for (const p of paths) assert.equal(runs(runLog).filter((r) => r.what === "start" && r.name === base(p)).length, 1);
      assert.match(server.log(), /maximum number of tasks reached/);
      // A task written behind the spooler's back (no wake-up) runs at the next periodic scan:
      // within a few seconds once set_spooler_frequency(1) replaced the configured 60 s.
      assert.equal((await json<{ ok: boolean }>(server, "/frequency?s=1")).ok, true);
      const name = "uwsgi_spoolfile_on_test_1_1_1_1_1";
      writeFileSync(join(dir, `.tmp_${name}`), encodeSpoolFile([["action", "ok"]]));
      renameSync(join(dir, `.tmp_${name}`), join(dir, name));
      await eventually(() => runs(runLog).some((r) => r.what === "done" && r.name === name), 10_000, "task found by the 1 s scan");
    } finally {
      await server.stop();
      tmp.cleanup();
    }
  });

  test("without a spooler, spool() is UWSGI_ERR_SPOOLER_NONE; a spooler key outside the spool dirs is refused", async () => {
    const tmp = tempDir();
    const runLog = join(tmp.path, "runs.log");
    const none = await ourServer([], runLog);
    try {
      const reply = await httpRequest(none.port, "/spool");
      assert.equal(reply.status, 500);
      assert.equal(JSON.parse(reply.body).code, "UWSGI_ERR_SPOOLER_NONE");
    } finally {
      await none.stop();
    }
    const dir = join(tmp.path, "spool");
    const server = await ourServer(["--spooler", dir], runLog);
    try {
      for (const outside of [tmp.path, "/etc", `${dir}/../..`]) {
        const reply = await httpRequest(server.port, `/spool?spooler=${encodeURIComponent(outside)}`);
        assert.equal(reply.status, 500);
        assert.equal(JSON.parse(reply.body).code, "UWSGI_ERR_SPOOL_FAILED", outside);
      }
      assert.deepEqual(readdirSync(tmp.path).sort(), ["runs.log", "spool"].filter((n) => existsSync(join(tmp.path, n))).sort());
    } finally {
      await server.stop();
      tmp.cleanup();
    }
  });
});

describe("spooler options and the spooler's view of the instance", () => {
  test("--spooler-harakiri kills a task past it; the run counts as a failed attempt: retried, then DIR/failed", async () => {
    const tmp = tempDir();
    const dir = join(tmp.path, "spool");
    const runLog = join(tmp.path, "runs.log");
    const server = await ourServer(["--spooler", dir, "--spooler-frequency", "1", "--spooler-harakiri", "1", "--spooler-max-retries", "1"], runLog);
    try {
      const [task] = await spool(server, "action=sleep&ms=30000");
      const failed = join(realpathSync(dir), "failed", base(task!));
      await eventually(() => existsSync(failed), 30_000, "task in the failed folder");
      const starts = runs(runLog).filter((r) => r.name === base(task!));
      assert.deepEqual(starts.map((r) => r.what), ["start", "start"], "killed twice, never done");
      assert.notEqual(starts[0]!.pid, starts[1]!.pid, "the second run is in the respawned spooler");
      assert.equal((server.log().match(/\*\*\* HARAKIRI ON THE SPOOLER/g) ?? []).length, 2);
      assert.match(server.log(), new RegExp(`died running .*${base(task!)}: it runs again \\(attempt 2\\)`));
      assert.equal(existsSync(task!), false);
    } finally {
      await server.stop();
      tmp.cleanup();
    }
  });

  test("--spooler-import: the spooler loads that module for uwsgi.spooler instead of the app; --spooler-chdir: tasks run there", async () => {
    const tmp = tempDir();
    const dir = join(tmp.path, "spool");
    const work = join(tmp.path, "work");
    mkdirSync(work);
    const runLog = join(tmp.path, "runs.log");
    const server = await ourServer(["--spooler", dir, "--spooler-frequency", "60", "--spooler-chdir", work, "--spooler-import", fixtureApp("spooler-import-module")], runLog);
    try {
      const [task] = await spool(server, "n=1");
      const line = await server.waitForLog(new RegExp(`IMPORTED-SPOOLER ${base(task!)} (\\S+)`), 15_000);
      assert.equal(line[1], realpathSync(work), "the task ran in --spooler-chdir");
      assert.equal(runs(runLog).length, 0, "the app's uwsgi.spooler never ran");
      assert.doesNotMatch(server.log(), /SPOOLER-LOADED-APP/, "the spooler did not import the app");
    } finally {
      await server.stop();
    }
    // without --spooler-import the spooler imports the app, and tasks run in the spool directory
    const plain = await ourServer(["--spooler", dir, "--spooler-frequency", "60"], runLog);
    try {
      await spool(plain, "action=report");
      const report = JSON.parse((await plain.waitForLog(/SPOOLREPORT (.*)/, 15_000))[1]!) as { cwd: string };
      assert.equal(report.cwd, realpathSync(dir));
      assert.match(plain.log(), /SPOOLER-LOADED-APP/);
    } finally {
      await plain.stop();
      tmp.cleanup();
    }
  });

  describe("with a mule, a legion and an alarm", () => {
    let server: TestServer;
    let tmp: ReturnType<typeof tempDir>;
    let runLog: string;
    before(async () => {
      tmp = tempDir();
      runLog = join(tmp.path, "runs.log");
      const udp = await freeUdpPort();
      server = await ourServer([
        "--processes", "1", "--mules", "1", "--spooler", join(tmp.path, "spool"), "--spooler-frequency", "60",
        "--alarm", "pager log:", "--alarm-freq", "0", "--legion", `solo 127.0.0.1:${udp} 7 aes-128-cbc:x`, "--legion-freq", "1", "--legion-scroll", "solo the-scroll",
      ], runLog);
    });
    after(async () => {
      await server.stop();
      tmp.cleanup();
    });

    test("regression: a task spooled from a mule waited for the next rescan; the master now wakes the spooler", async () => {
      assert.equal((await json<{ ok: boolean }>(server, "/mule?msg=spool")).ok, true);
      const path = (await server.waitForLog(/MULESPOOLED (\S+)/, 15_000))[1]!;
      // --spooler-frequency is 60 s: only the wake-up through the master runs it this soon
      await eventually(() => runs(runLog).some((r) => r.what === "done" && r.name === base(path)), 15_000, "the mule's task done");
    });

    test("uwsgi.alarm from a mule and from a spooler reaches the master's --alarm", async () => {
      assert.equal((await json<{ ok: boolean }>(server, "/mule?msg=alarm")).ok, true);
      await server.waitForLog(/ALARM: from the mule/, 15_000);
      await spool(server, "action=alarm");
      await server.waitForLog(/ALARM: from the spooler/, 15_000);
    });

    test("a spooler reads the legion: i_am_the_lord, lord_scroll and scrolls", async () => {
      await server.waitForLog(/i am now the Lord of the Legion solo/, 20_000);
      // the spooler's copy lags the master by one message: ask again until it shows the lordship
      const report = await eventually(async () => {
        const before = server.log().length;
        const [task] = await spool(server, "action=report");
        const line = await server.waitForLog(new RegExp(`SPOOLREPORT (\\{"name":"${base(task!)}".*)`), 15_000, before);
        const r = JSON.parse(line[1]!) as { lord: boolean; lordScroll: string | null; scrolls: string[] | null };
        return r.lord ? r : null;
      }, 20_000, "the spooler reads the lordship", 200);
      assert.equal(report.lordScroll, "the-scroll");
      assert.ok(Array.isArray(report.scrolls), "scrolls() is a list (null: not in the legion)");
      assert.deepEqual(report.scrolls, (await json<{ legion: { scrolls: string[] } }>(server, "/info")).legion.scrolls, "what the worker reads");
    });
  });
});

// ------------------------------------------------------------------ real uWSGI --------------


interface Uwsgi {
  child: ChildProcess;
  http: number;
  socket: number;
  log(): string;
  stop(): Promise<void>;
}

async function startUwsgi(args: string[], runLog: string, cwd: string): Promise<Uwsgi> {
  const http = await freePort();
  const socket = await freePort();
  const child = spawn(
    "uwsgi",
    ["--plugin", "python3,spooler", "--master", "--die-on-term", "--processes", "1", "--http-socket", `127.0.0.1:${http}`, "--socket", `127.0.0.1:${socket}`, "--wsgi-file", UWSGI_APP, ...args],
    { cwd, stdio: ["ignore", "pipe", "pipe"], env: { ...process.env, SPOOL_RUN_LOG: runLog } },
  );
  let text = "";
  child.stdout!.on("data", (c: Buffer) => (text += c.toString()));
  child.stderr!.on("data", (c: Buffer) => (text += c.toString()));
  const exited = new Promise<void>((resolve) => child.once("exit", () => resolve()));
  const stop = async () => {
    if (child.exitCode === null && child.signalCode === null) child.kill("SIGTERM");
    const t = setTimeout(() => child.kill("SIGKILL"), 10_000);
    await exited;
    clearTimeout(t);
  };
  try {
    await eventually(() => /spawned uWSGI worker 1/.test(text) && /spawned the uWSGI spooler/.test(text) ? httpGet(http, "/none").then(() => true) : false, 20_000, `uwsgi up:\n${text}`);
  } catch (err) {
    await stop();
    throw err;
  }
  return { child, http, socket, log: () => text, stop };
}

function httpGet(port: number, path: string): Promise<string> {
  return new Promise((resolve, reject) => {
    const req = request({ host: "127.0.0.1", port, path, agent: false }, (res) => {
      const chunks: Buffer[] = [];
      res.on("data", (c: Buffer) => chunks.push(c));
      res.on("end", () => resolve(Buffer.concat(chunks).toString()));
      res.on("error", reject);
    });
    req.setTimeout(10_000, () => req.destroy(new Error(`${path} timed out`)));
    req.on("error", reject);
    req.end();
  });
}

/** Sends one remote spool packet (modifier1 17) and returns the raw reply. */
function remoteSpool(port: number, vars: Record<string, string>): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const socket = connect(port, "127.0.0.1");
    const chunks: Buffer[] = [];
    socket.on("data", (c: Buffer) => chunks.push(c));
    socket.on("end", () => resolve(Buffer.concat(chunks)));
    socket.on("error", reject);
    socket.setTimeout(10_000, () => socket.destroy(new Error("no reply")));
    socket.write(encodePacket(17, 0, encodeVars(vars)));
  });
}

describe("spooler interop with uWSGI 2.0.21", () => {
  const tmp = tempDir();
  after(() => tmp.cleanup());

  test("a uWSGI spooler and ours share one directory under load and no task runs twice", async () => {
    const dir = join(tmp.path, "shared");
    mkdirSync(dir);
    const runLog = join(tmp.path, "shared.log");
    const uw = await startUwsgi(["--spooler-processes", "2", "--spooler", dir, "--spooler-frequency", "1", "--spooler-quiet"], runLog, tmp.path);
    let ours: TestServer | null = null;
    try {
      ours = await ourServer(["--processes", "2", "--spooler-processes", "2", "--spooler", dir, "--spooler-frequency", "1", "--spooler-quiet"], runLog);
      const writes: Array<Promise<string[]>> = [];
      for (let i = 0; i < 4; i++) {
        writes.push(spool(ours, "n=25"));
        writes.push(httpGet(uw.http, "/spool?n=25").then((t) => t.split("\n").filter(Boolean)));
      }
      const paths = (await Promise.all(writes)).flat();
      assert.equal(new Set(paths).size, 200);
      await eventually(() => runs(runLog).filter((r) => r.what === "done").length >= 200, 120_000, "200 tasks done");
      const all = runs(runLog);
      const byName = new Map<string, number>();
      for (const r of all) if (r.what === "start") byName.set(r.name, (byName.get(r.name) ?? 0) + 1);
      assert.equal(byName.size, 200);
      assert.deepEqual([...byName.values()].filter((n) => n !== 1), [], "no task started twice");
      assert.ok(all.some((r) => r.flag === "uwsgi"), "uWSGI's spooler ran some");
      assert.ok(all.some((r) => r.flag === "1"), "ours ran some");
    } finally {
      await ours?.stop();
      await uw.stop();
    }
  });

  test("a task written by either runs in the other (spool with a spooler key into the other's directory)", async () => {
    const theirs = join(tmp.path, "theirs");
    const mine = join(tmp.path, "mine");
    mkdirSync(theirs);
    mkdirSync(mine);
    const runLog = join(tmp.path, "cross.log");
    const uw = await startUwsgi(["--spooler", theirs, "--spooler-external", mine, "--spooler-frequency", "1"], runLog, tmp.path);
    let ours: TestServer | null = null;
    try {
      ours = await ourServer(["--spooler", mine, "--spooler-external", theirs, "--spooler-frequency", "1"], runLog);
      const [fromUs] = await spool(ours, `spooler=${encodeURIComponent(realpathSync(theirs))}`);
      const [fromThem] = (await httpGet(uw.http, `/spool?spooler=${encodeURIComponent(realpathSync(mine))}`)).split("\n");
      await eventually(() => runs(runLog).filter((r) => r.what === "done").length >= 2, 20_000, "both done");
      const all = runs(runLog).filter((r) => r.what === "done");
      assert.equal(all.find((r) => r.name === base(fromUs!))?.flag, "uwsgi", "ours → uWSGI's spooler");
      assert.equal(all.find((r) => r.name === base(fromThem!))?.flag, "1", "uWSGI's → our spooler");
    } finally {
      await ours?.stop();
      await uw.stop();
    }
  });

  test("the stats locks list a 'spooler on DIR' entry per spooler process, as uWSGI's do; ours shows the pid running a task", async () => {
    const dirs = ["locks-a", "locks-b"].map((d) => join(tmp.path, d));
    for (const d of dirs) mkdirSync(d);
    const runLog = join(tmp.path, "locks.log");
    const statsPort = await freePort();
    const spoolerArgs = [...dirs.flatMap((d) => ["--spooler", d]), "--spooler-processes", "2", "--spooler-frequency", "60"];
    const uw = await startUwsgi([...spoolerArgs, "--stats", `127.0.0.1:${statsPort}`], runLog, tmp.path);
    let ours: TestServer | null = null;
    try {
      type Locks = { locks: Array<Record<string, number>> };
      const spoolerLocks = (doc: Locks) => doc.locks.filter((l) => Object.keys(l)[0]!.startsWith("spooler"));
      const theirs = spoolerLocks(JSON.parse(await readUntilClose(statsPort)) as Locks);
      const real = dirs.map((d) => realpathSync(d));
      const expected = real.flatMap((d) => [{ [`spooler on ${d}`]: 0 }, { [`spooler on ${d}`]: 0 }]);
      assert.deepEqual(theirs, expected, "uWSGI 2.0.21: one entry per spooler process, after the others");
      ours = await ourServer(spoolerArgs, runLog);
      const doc = (await stats(ours)) as unknown as Locks;
      assert.deepEqual(spoolerLocks(doc), expected, "ours: the same entries");
      assert.equal(Object.keys(doc.locks.at(-1)!)[0], `spooler on ${real[1]}`, "last in the list, as in uWSGI");
      // a spooler running a task holds its file's lock: its entry shows that spooler's pid
      const [slow] = await spool(ours, "action=sleep&ms=3000");
      const running = await eventually(() => runs(runLog).find((r) => r.what === "start" && r.name === base(slow!)), 15_000, "slow task started");
      const held = await eventually(async () => {
        const entries = spoolerLocks((await stats(ours!)) as unknown as Locks).map((l) => Object.values(l)[0]);
        return entries.includes(running.pid) ? entries : null;
      }, 5_000, "the running spooler's pid in its lock entry");
      assert.equal(held.filter((v) => v !== 0).length, 1, "only that entry is held");
    } finally {
      await ours?.stop();
      await uw.stop();
    }
  });

  test("remote spooling (modifier1 17): the same packet gets the same reply from uWSGI and from us, and runs", async () => {
    const theirs = join(tmp.path, "remote-theirs");
    const mine = join(tmp.path, "remote-mine");
    const runLog = join(tmp.path, "remote.log");
    const uw = await startUwsgi(["--spooler", theirs, "--spooler-frequency", "1"], runLog, tmp.path);
    let ours: TestServer | null = null;
    try {
      const socketPort = await freePort();
      ours = await startServer(["--http", "127.0.0.1:0", "--socket", `127.0.0.1:${socketPort}`, "--plugin", "spooler", "--spooler", mine, "--spooler-frequency", "1", APP], {
        env: { ...process.env, SPOOL_RUN_LOG: runLog },
      });
      for (const port of [uw.socket, socketPort]) {
        assert.deepEqual([...(await remoteSpool(port, { action: "ok", via: "m17" }))], [255, 0, 0, 1]);
        assert.deepEqual([...(await remoteSpool(port, { action: "ok", spooler: "/nonexistent" }))], [255, 0, 0, 0]);
      }
      await eventually(() => runs(runLog).filter((r) => r.what === "done").length >= 2, 20_000, "both remote tasks done");
      const flags = runs(runLog).filter((r) => r.what === "done").map((r) => r.flag).sort();
      assert.deepEqual(flags, ["1", "uwsgi"]);
    } finally {
      await ours?.stop();
      await uw.stop();
    }
  });
});
