/**
 * Signal targets beyond the workers, in a real server with 2 workers, 3 mules (farm "pair" =
 * mules 2 and 3), and 2 spooler processes: each test raises a signal K times from a worker and
 * asserts which process(es) ran the handler and how often. A `mules` + `spoolers` barrier raised
 * afterwards proves every earlier signal was handled (each child runs its signals in order), so
 * the counts are final, not a snapshot. Also `signal_wait` across processes.
 */
import { after, before, describe, it } from "node:test";
import assert from "node:assert/strict";
import { eventually, fixtureApp, httpRequest, startServer, tempDir, type TestServer } from "./server-harness.js";

interface Run {
  num: number;
  as: string;
  pid: number;
  spooler: boolean;
}

function runs(server: TestServer, from: number): Run[] {
  return [...server.log().slice(from).matchAll(/^SIG (\d+) as=(\S+) pid=(\d+) spooler=(true|false)$/gm)].map((m) => ({
    num: Number(m[1]),
    as: m[2]!,
    pid: Number(m[3]),
    spooler: m[4] === "true",
  }));
}

async function get(server: TestServer, path: string): Promise<Record<string, unknown>> {
  const r = await httpRequest(server.port, path, { timeoutMs: 20_000 });
  assert.equal(r.status, 200, r.body);
  return JSON.parse(r.body) as Record<string, unknown>;
}

function pidsOf(server: TestServer, re: RegExp): number[] {
  return [...server.log().matchAll(re)].map((m) => Number(m[1]));
}

describe("server: signals to mules, farms and spoolers", { timeout: 90_000 }, () => {
  let server: TestServer;
  const spool = tempDir();
  let mulePids: Record<string, number> = {};
  let spoolerPids: number[] = [];

  /** Raises `num` k times, then the barrier; returns the runs of `num` since `from`. */
  async function raiseAndSettle(num: number, k: number): Promise<Run[]> {
    const from = server.log().length;
    await get(server, `/raise?n=${num}&k=${k}`);
    await get(server, "/raise?n=68");
    await get(server, "/raise?n=69");
    await eventually(() => {
      const r = runs(server, from);
      return r.filter((x) => x.num === 68).length === 3 && r.filter((x) => x.num === 69).length === 2;
    }, 20_000, "the mules + spoolers barrier");
    return runs(server, from).filter((x) => x.num === num);
  }

  before(async () => {
    server = await startServer([
      "--http", "127.0.0.1:0", "--processes", "2", "--disable-logging", "--cache2", "name=default,items=100",
      "--mules", "3", "--farm", "pair:2,3", "--spooler-processes", "2", "--spooler", spool.path,
      fixtureApp("signal-targets-app"),
    ], { waitReady: false });
    await server.waitForLog(/\*\*\* uwsgi-node is ready/, 40_000);
    await server.waitForLog(/spawned uWSGI mule 3 \(pid: \d+\)/, 20_000);
    for (const [, id, pid] of server.log().matchAll(/spawned uWSGI mule (\d+) \(pid: (\d+)\)/g)) mulePids[`mule${id}`] = Number(pid);
    spoolerPids = pidsOf(server, /spawned the uWSGI spooler on dir \S+ with pid (\d+)/g);
    assert.equal(spoolerPids.length, 2);
    // every child has imported the app and takes signals: a first barrier round
    await raiseAndSettle(68, 0);
  });
  after(async () => {
    await server?.stop();
    spool.cleanup();
  });

  it("'mule': each raise runs once, in some mule", async () => {
    const r = await raiseAndSettle(60, 6);
    assert.equal(r.length, 6, JSON.stringify(r));
    for (const x of r) assert.equal(mulePids[x.as], x.pid, `${x.as} pid ${x.pid}`);
  });

  it("'mules': each raise runs once in every mule", async () => {
    const r = await raiseAndSettle(61, 3);
    const perMule = Object.fromEntries(["mule1", "mule2", "mule3"].map((m) => [m, r.filter((x) => x.as === m && x.pid === mulePids[m]).length]));
    assert.deepEqual(perMule, { mule1: 3, mule2: 3, mule3: 3 });
    assert.equal(r.length, 9);
  });

  it("'farm_pair' and 'farm1': each raise runs once, in a mule of the farm (2 or 3), never in mule 1", async () => {
    for (const num of [62, 63]) {
      const r = await raiseAndSettle(num, 6);
      assert.equal(r.length, 6, `signal ${num}: ${JSON.stringify(r)}`);
      for (const x of r) {
        assert.ok(x.as === "mule2" || x.as === "mule3", `signal ${num} ran in ${x.as}`);
        assert.equal(mulePids[x.as], x.pid);
      }
    }
  });

  it("'spooler': each raise runs once, in a spooler process, where i_am_the_spooler() is true", async () => {
    const r = await raiseAndSettle(64, 4);
    assert.equal(r.length, 4, JSON.stringify(r));
    for (const x of r) {
      assert.equal(x.as, "spooler");
      assert.equal(x.spooler, true);
      assert.ok(spoolerPids.includes(x.pid), `pid ${x.pid} is not a spooler (${spoolerPids.join(", ")})`);
    }
  });

  it("'spoolers': each raise runs once in every spooler process", async () => {
    const r = await raiseAndSettle(65, 3);
    assert.deepEqual(spoolerPids.map((pid) => r.filter((x) => x.pid === pid && x.spooler).length), [3, 3]);
    assert.equal(r.length, 6);
  });

  it("signal_wait in one worker is woken by a signal another worker raises", async () => {
    const waiting = get(server, "/wait?n=66");
    const waiter = (await eventually(() => get(server, "/waiting").then((w) => (Number(w.worker) > 0 ? w : null)), 10_000, "a worker waiting")).worker as number;
    // 67 runs in every worker; only the one not waiting raises 66, which reaches every worker
    await get(server, "/raise?n=67");
    const woken = await waiting;
    assert.equal(woken.worker, waiter);
    assert.equal(woken.received, 66);
    assert.ok(woken.raisedBy !== 0 && woken.raisedBy !== waiter, `66 raised by worker ${String(woken.raisedBy)}, the waiter is ${waiter}`);
  });

  it("signal_wait() (any signal) is woken by a timer the master runs", async () => {
    const waiting = get(server, "/wait?n=0");
    await eventually(() => get(server, "/waiting").then((w) => Number(w.worker) > 0), 10_000, "a worker waiting");
    await get(server, "/arm");
    const woken = await waiting;
    assert.equal(woken.received, 72);
  });
});
