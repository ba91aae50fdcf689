/**
 * Signals routed by the master (behaviour spec §4.2/§4.3) in a real server. Regression for
 * "add_timer(17, 1) at import fires in every worker": every worker imports the app, so the same
 * register_signal and add_timer arrive from each of them; the master keeps one registration and
 * one timer, so a `worker` target runs once per tick for the whole instance, and `workers` once in
 * each worker per tick.
 */
import { after, before, describe, it } from "node:test";
import assert from "node:assert/strict";
import { eventually, fixtureApp, httpRequest, startServer, type TestServer } from "./server-harness.js";

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

describe("server: signals routed by the master", { timeout: 90_000 }, () => {
  let server: TestServer;
  before(async () => {
    server = await startServer(["--http", "127.0.0.1:0", "--processes", "4", "--cache2", "name=default,items=100", "--timer", "20 1", fixtureApp("signal-app")]);
  });
  after(async () => {
    await server?.stop();
  });

  it("add_timer(17, 1) from every worker's import: the 'worker' handler runs once per tick, 'workers' once in each worker", async () => {
    const first = await eventually(() => counts(server.port).then((c) => (c.s17 > 0 ? c : null)), 20_000, "a first tick");
    const t0 = Date.now();
    const later = await eventually(() => counts(server.port).then((c) => (c.s17 >= first.s17 + 5 ? c : null)), 20_000, "five more ticks");
    const elapsed = Date.now() - t0;
    // one run per 1 s tick: five more runs take about 5 s (with 4 workers each timing it, 1.25 s)
    assert.ok(elapsed >= 3_500, `five runs of the 'worker' handler came in ${elapsed} ms`);
    for (const w of ["1", "2", "3", "4"]) {
      const delta = later.s18[w]! - first.s18[w]!;
      assert.ok(delta >= 3 && delta <= 8, `worker ${w} ran the 'workers' handler ${delta} times while 'worker' ran ${later.s17 - first.s17}`);
    }
    // --timer "20 1" (run by the master) raises 20 once per tick too
    const s20 = later.s20 - first.s20;
    assert.ok(s20 >= 3 && s20 <= 8, `--timer ran the handler of signal 20 ${s20} times while add_timer ran 17 ${later.s17 - first.s17} times`);
    // the per-worker signals counters of workers() count handled signals
    await eventually(() => counts(server.port).then((c) => (c.signals.every((n) => n > 0) ? c : null)), 10_000, "signals counted per worker");
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
