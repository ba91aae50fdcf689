/**
 * The fault suite, part 1: SIGKILL of a worker, a spooler, a mule and the master while requests,
 * spool tasks and mule messages are in flight, and what each loses. Nothing acknowledged may be
 * lost: a request that started on a surviving worker succeeds (only those in flight on the
 * killed one may fail), a cache write answered `true` is visible afterwards, a spooled task
 * (its file written) runs, a message `mule_msg` accepted is taken by a mule (the one a killed
 * mule had just taken excepted); after the master's SIGKILL its children exit, and a new
 * instance on the same port starts and removes the dead one's shared memory.
 */
import assert from "node:assert/strict";
import { readdirSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { after, before, describe, it } from "node:test";
import { alive, eventually, fixtureApp, httpRequest, readUntilClose, startServer, tempDir, type TestServer } from "./server-harness.js";

const APP = fixtureApp("fault-app");

interface Stats {
  workers: Array<{ id: number; pid: number }>;
  spoolers?: Array<{ pid: number }>;
}

async function stats(server: TestServer): Promise<Stats> {
  const port = Number(/Stats server enabled on 127\.0\.0\.1:(\d+)/.exec(server.log())![1]);
  return JSON.parse(await readUntilClose(port)) as Stats;
}

function lines(file: string): string[] {
  try {
    return readFileSync(file, "utf8").split("\n").filter(Boolean);
  } catch {
    return [];
  }
}

function mulePid(server: TestServer, from = 0): number | null {
  const all = [...server.log().slice(from).matchAll(/FAULT-MULE 1 (\d+)/g)];
  return all.length === 0 ? null : Number(all[all.length - 1]![1]);
}

/** Sends 300 mule messages, SIGKILLs the mule while it works through them; what no mule took. */
async function killMuleUnderLoad(server: TestServer, muleLog: string): Promise<string[]> {
  const from = server.log().length;
  const victim = mulePid(server)!;
  const accepted = Number((await httpRequest(server.port, "/mule?n=300&tag=m")).body);
  assert.equal(accepted, 300);
  await eventually(() => lines(muleLog).length >= 20, 20_000, "the mule to be busy");
  process.kill(victim, "SIGKILL");
  await eventually(() => mulePid(server, from) !== null, 30_000, "a new mule");
  // the queue is FIFO and read by one mule: once a message sent now is taken, whatever was
  // waiting before it (the rest, and what the killed mule had not taken) has been taken too
  assert.equal((await httpRequest(server.port, "/mule?n=1&tag=end")).body, "1");
  await eventually(() => lines(muleLog).some((l) => l.startsWith("end-0 ")), 60_000, "the new mule to take what is left");
  const taken = new Set(lines(muleLog).map((l) => l.split(" ")[0]));
  return Array.from({ length: 300 }, (_, i) => `m-${i}`).filter((m) => !taken.has(m));
}

describe("fault suite: SIGKILL of a worker, a spooler and a mule under load", { timeout: 120_000 }, () => {
  const dir = tempDir();
  const spoolLog = join(dir.path, "spool.log");
  const muleLog = join(dir.path, "mule.log");
  let server: TestServer;
  before(async () => {
    for (const f of [spoolLog, muleLog]) writeFileSync(f, "");
    server = await startServer(
      ["--http", "127.0.0.1:0", "--stats", "127.0.0.1:0", "--processes", "2", "--cache2", "name=default,items=200,blocksize=64",
        "--spooler", join(dir.path, "spool"), "--spooler-frequency", "1", "--mules", "1", APP],
      { env: { ...process.env, FAULT_SPOOL_LOG: spoolLog, FAULT_MULE_LOG: muleLog } },
    );
    await eventually(() => mulePid(server) !== null, 20_000, "the mule to load the app");
  });
  after(async () => {
    await server?.stop();
    dir.cleanup();
  });

  it("worker SIGKILL: only requests in flight on it fail, acknowledged cache writes stay visible, the worker comes back", async (t) => {
    const acked: string[] = [];
    for (let i = 0; i < 20; i++) if ((await httpRequest(server.port, `/cache-set?key=k${i}&value=v${i}`)).body === "true") acked.push(`k${i}`);
    assert.equal(acked.length, 20, "the cache took every write");
    const before = (await stats(server)).workers.map((w) => w.pid);
    const victim = before[0]!;
    const from = server.log().length;
    const requests = Array.from({ length: 30 }, (_, i) => httpRequest(server.port, `/slow?id=${i}&ms=1500`, { timeoutMs: 20_000 }));
    await eventually(() => (server.log().slice(from).match(/FAULT-START \d+ /g) ?? []).length >= 10, 20_000, "requests in flight");
    process.kill(victim, "SIGKILL");
    const results = await Promise.allSettled(requests);
    const startedOn = new Map([...server.log().slice(from).matchAll(/FAULT-START (\d+) (\d+)/g)].map((m) => [Number(m[1]), Number(m[2])]));
    const failed = results.flatMap((r, i) => (r.status === "rejected" || r.value.status !== 200 ? [i] : []));
    for (const i of failed) assert.notEqual(startedOn.get(i) !== undefined && startedOn.get(i) !== victim, true, `request ${i} failed although it ran on surviving worker ${startedOn.get(i)}`);
    for (const [i, pid] of startedOn) if (pid !== victim) assert.ok(!failed.includes(i), `request ${i} on a surviving worker succeeded`);
    t.diagnostic(`worker SIGKILL: ${failed.length} of 30 requests lost, all in flight on the killed worker ${victim}`);
    await eventually(async () => {
      const pids = (await stats(server)).workers.map((w) => w.pid);
      return pids.length === 2 && !pids.includes(victim) && pids.every((p) => p > 0);
    }, 30_000, "the killed worker to be respawned");
    for (const key of acked) {
      const i = key.slice(1);
      await eventually(async () => (await httpRequest(server.port, `/cache-get?key=${key}`)).body === `v${i}`, 5000, `${key} to read back`);
    }
  });

  it("spooler SIGKILL: every acknowledged task runs", async (t) => {
    const spooled = JSON.parse((await httpRequest(server.port, "/spool?n=20&ms=100&tag=s")).body) as string[];
    assert.equal(spooled.length, 20);
    const victim = (await stats(server)).spoolers![0]!.pid;
    await eventually(() => lines(spoolLog).length >= 2, 20_000, "the spooler to be busy");
    process.kill(victim, "SIGKILL");
    const want = Array.from({ length: 20 }, (_, i) => `s-${i}`);
    await eventually(() => want.every((tag) => lines(spoolLog).some((l) => l.startsWith(`${tag} `))), 60_000, "every acknowledged task to run");
    const runs = lines(spoolLog).filter((l) => l.startsWith("s-"));
    t.diagnostic(`spooler SIGKILL: 0 of 20 tasks lost, ${runs.length - 20} run again after the kill`);
    assert.ok(!(await stats(server)).spoolers!.some((s) => s.pid === victim), "a new spooler replaced the killed one");
  });

  it("regression: an async mule_msg_hook's first batch acknowledged 256 messages at once, so a mule SIGKILLed during it lost them; now at most the one it handles", async (t) => {
    const missing = await killMuleUnderLoad(server, muleLog);
    t.diagnostic(`mule SIGKILL: ${missing.length} of 300 accepted messages lost (${missing.join(",") || "none"})`);
    assert.ok(missing.length <= 1, `${missing.length} lost`);
  });
});

describe("fault suite: SIGKILL of a mule with a synchronous mule_msg_hook", { timeout: 90_000 }, () => {
  it(
    "regression: a synchronous mule_msg_hook's loop acknowledged up to 256 messages at once (LOOP_BATCH), so a mule SIGKILLed mid-batch lost the rest of the batch (232 of 300 in CI); now at most the one it handles",
    async (t) => {
      const dir = tempDir();
      const muleLog = join(dir.path, "mule.log");
      writeFileSync(muleLog, "");
      const server = await startServer(["--http", "127.0.0.1:0", "--processes", "1", "--mules", "1", APP], {
        env: { ...process.env, FAULT_MULE_LOG: muleLog, FAULT_SPOOL_LOG: join(dir.path, "s.log"), FAULT_MULE_HOOK: "sync" },
      });
      try {
        await eventually(() => mulePid(server) !== null, 20_000, "the mule to load the app");
        const missing = await killMuleUnderLoad(server, muleLog);
        t.diagnostic(`mule SIGKILL, synchronous hook: ${missing.length} of 300 accepted messages lost`);
        assert.ok(missing.length <= 1, `${missing.length} lost`);
      } finally {
        await server.stop();
        dir.cleanup();
      }
    },
  );
});

describe("fault suite: SIGKILL of the master", { timeout: 90_000 }, () => {
  it("its workers, mule and spooler exit; a new instance starts on the same port and removes the dead one's shared memory", async () => {
    const dir = tempDir();
    const args = ["--stats", "127.0.0.1:0", "--processes", "2", "--cache2", "name=default,items=50", "--spooler", join(dir.path, "spool"), "--mules", "1", APP];
    const env = { ...process.env, FAULT_SPOOL_LOG: join(dir.path, "s.log"), FAULT_MULE_LOG: join(dir.path, "m.log") };
    const first = await startServer(["--http", "127.0.0.1:0", ...args], { env });
    let second: TestServer | null = null;
    try {
      const id = (await first.waitForLog(/\(instance id ([0-9a-f]{16})\)/))[1]!;
      await eventually(() => mulePid(first) !== null, 20_000, "the mule");
      const s = await stats(first);
      const children = [...s.workers.map((w) => w.pid), ...(s.spoolers ?? []).map((p) => p.pid), mulePid(first)!];
      const regions = () => readdirSync("/dev/shm").filter((n) => n.startsWith(`uwsgi-node.${id}.`));
      assert.ok(regions().length > 0, "the instance has shared memory");
      assert.equal((await httpRequest(first.port, "/cache-set?key=a&value=1")).body, "true");
      process.kill(first.pid, "SIGKILL");
      await first.exited;
      await eventually(() => children.every((pid) => !alive(pid)), 15_000, `the children ${children.join(",")} to exit`);
      second = await startServer(["--http", `127.0.0.1:${first.port}`, ...args], { env });
      assert.equal((await httpRequest(second.port, "/cache-get?key=a")).body, "null", "the new instance has its own cache");
      assert.deepEqual(regions(), [], "the dead instance's regions are gone");
    } finally {
      await second?.stop();
      if (alive(first.pid)) await first.stop("SIGKILL");
      dir.cleanup();
    }
  });
});
