/**
 * Signals routed by the master (behaviour spec §4.2/§4.3) in a real server. Regression for
 * "add_timer(17, 1) at import fires in every worker": every worker (and mule) imports the app, so
 * the same register_signal, add_timer and add_cron arrive from each of them; the master keeps one
 * registration and one timer/cron, so a `worker` target runs once per tick for the whole
 * instance, `workers` once in each worker per tick, and a per-minute cron once per minute.
 */
import { after, before, describe, it } from "node:test";
import assert from "node:assert/strict";
import { existsSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { eventually, fixtureApp, httpRequest, startServer, tempDir, type TestServer } from "./server-harness.js";

interface Counts {
  s17: number;
  s20: number;
  s18: Record<string, number>;
  signals: number[];
}

async function counts(port: number): Promise<Counts> {
  const r = await httpRequest(port, "/counts");
  assert.equal(r.status, 200, r.body);
  return JSON.parse(r.body) as Counts;
}

interface Run {
  num: number;
  who: string;
  pid: number;
  at: number;
}

function readRuns(file: string): Run[] {
  if (!existsSync(file)) return [];
  return readFileSync(file, "utf8").split("\n").filter(Boolean).map((line) => {
    const [num, who, pid, at] = line.split(" ");
    return { num: Number(num), who: who!, pid: Number(pid), at: Number(at) };
  });
}

describe("server: timers and a cron added at import by 4 workers and 2 mules fire once for the instance", { timeout: 90_000 }, () => {
  let server: TestServer;
  const dir = tempDir();
  const runLog = join(dir.path, "runs.txt");
  before(async () => {
    server = await startServer(["--http", "127.0.0.1:0", "--processes", "4", "--mules", "2", "--cache2", "name=default,items=100", fixtureApp("signal-app")], {
      waitReady: false,
      // the master's signal clock reads 00:00:57 when the first timer is added: the cron's minute
      // 00:00 fires at once, 00:01 three seconds later (test-only clock, src/server/signals/test-clock.ts)
      env: { ...process.env, SIGNAL_RUN_LOG: runLog, UWSGI_NODE_TEST_CLOCK_START: "2030-01-01T00:00:57Z" },
    });
    await server.waitForLog(/\*\*\* uwsgi-node is ready/, 40_000);
  });
  after(async () => {
    await server?.stop();
    dir.cleanup();
  });

  it("register_signal(17, 'worker') + add_timer(17, 1) in every process: one run per tick (a 6 s run counts 5 to 7); 'workers' runs in each worker once per tick", async () => {
    const first = (await eventually(() => readRuns(runLog).find((r) => r.num === 17), 20_000, "a first tick of 17")).at;
    // the runs are timestamped where they happen: wait until one lies past the 6 s window, then count inside it
    await eventually(() => readRuns(runLog).some((r) => r.num === 17 && r.at >= first + 6_000), 20_000, "a tick of 17 after the 6 s window");
    const runs = readRuns(runLog).filter((r) => r.at >= first && r.at < first + 6_000);
    const s17 = runs.filter((r) => r.num === 17);
    assert.ok(s17.length >= 5 && s17.length <= 7, `17 ran ${s17.length} times in 6 s: ${JSON.stringify(s17)}`);
    assert.ok(s17.every((r) => r.who.startsWith("worker")), "a 'worker' target never runs in a mule");
    const workers = new Set(readRuns(runLog).filter((r) => r.num === 18).map((r) => r.who));
    assert.deepEqual([...workers].sort(), ["worker1", "worker2", "worker3", "worker4"]);
    for (const w of workers) {
      const n = runs.filter((r) => r.num === 18 && r.who === w).length;
      assert.ok(n >= 5 && n <= 7, `${w} ran the 'workers' handler of 18 ${n} times in 6 s while 17 ran ${s17.length} times`);
    }
    // the per-worker signals counters of workers() count handled signals
    await eventually(() => counts(server.port).then((c) => (c.signals.every((n) => n > 0) ? c : null)), 10_000, "signals counted per worker");
  });

  it("add_cron(30, -1, -1, -1, -1, -1) in every process: one run per minute (the test clock crosses a minute boundary)", async () => {
    const two = await eventually(() => {
      const r = readRuns(runLog).filter((x) => x.num === 30);
      return r.length >= 2 ? r : null;
    }, 30_000, "the cron's runs in minutes 00:00 and 00:01");
    // every signal the master routed before the 00:01 run reached each worker before the ticks of
    // 18 it sent later: once each worker ran 18 well after that run, no duplicate is still on its way
    await eventually(() => {
      const late = readRuns(runLog).filter((r) => r.num === 18 && r.at >= two[1]!.at + 2_500);
      return new Set(late.map((r) => r.who)).size === 4;
    }, 20_000, "each worker past the second cron run");
    const cron = readRuns(runLog).filter((x) => x.num === 30);
    assert.equal(cron.length, 2, `the cron ran ${cron.length} times: ${JSON.stringify(cron)}`);
    assert.ok(cron[1]!.at - cron[0]!.at >= 1_000, `the two runs are one minute apart on the test clock (3 s of real time), not a duplicate: ${JSON.stringify(cron)}`);
    assert.ok(cron.every((r) => r.who.startsWith("worker")));
  });
});

describe("server: --timer run by the master", { timeout: 60_000 }, () => {
  let server: TestServer;
  before(async () => {
    server = await startServer(["--http", "127.0.0.1:0", "--processes", "2", "--cache2", "name=default,items=100", "--timer", "20 1", fixtureApp("signal-app")]);
  });
  after(async () => {
    await server?.stop();
  });

  it("--timer '20 1' raises 20 once per second for the instance", async () => {
    const first = await eventually(() => counts(server.port).then((c) => (c.s20 > 0 ? c : null)), 20_000, "a first tick of 20");
    const t0 = Date.now();
    await eventually(() => counts(server.port).then((c) => (c.s20 >= first.s20 + 3 ? c : null)), 20_000, "three more ticks");
    // one run per tick, not one per worker: three more runs take about 3 s (with 2 workers each timing it, 1.5 s)
    assert.ok(Date.now() - t0 >= 2_000, `three runs of --timer's signal came in ${Date.now() - t0} ms`);
  });
});

describe("server: a signal for a busy worker waits and runs when it frees", { timeout: 60_000 }, () => {
  let server: TestServer;
  before(async () => {
    server = await startServer(["--http", "127.0.0.1:0", "--processes", "1", "--cache2", "name=default,items=100", fixtureApp("signal-app")]);
  });
  after(async () => {
    await server?.stop();
  });

  it("signal(19) raised by worker 1, which then blocks its event loop for 1 s: the handler runs after it frees", async () => {
    assert.equal((await httpRequest(server.port, "/busy?ms=1000")).status, 200);
    const h = await eventually(() => httpRequest(server.port, "/h19").then((r) => {
      const v = JSON.parse(r.body) as { at: number; busyEnd: number };
      return v.at > 0 ? v : null;
    }), 10_000, "the handler of signal 19 ran");
    assert.ok(h.at >= h.busyEnd, `handler at ${h.at}, busy until ${h.busyEnd}`);
  });
});
