/**
 * The stub's signal functions through the public facade (§4): registering and raising,
 * timers/ms timers/rb timers/crons on the manual clock, file monitors on real files,
 * signal_wait/signal_received inside a request, remote signals and the coded errors.
 */
import { afterEach, beforeEach, describe, test } from "node:test";
import assert from "node:assert/strict";
import { appendFileSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { createServer, type Server } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { uwsgi } from "../../../src/index.js";
import { advance, configure, deliverSignal, logLines, now, runAs, withRequest } from "../../../src/testing.js";
import { isUwsgiError, type ErrorCode } from "../../../src/errors.js";
import { closedPort } from "./closed-port.js";

const code = (c: ErrorCode) => (e: unknown) => isUwsgiError(e, c);
const T0 = Date.UTC(2024, 0, 15, 12, 0, 0);

/**
 * Records handler calls; `wait()` resolves when `count` calls were recorded, or rejects after `ms`
 * (so a missing signal fails instead of hanging). Its timer keeps the event loop alive meanwhile:
 * the stub's file watchers and real-clock timers do not.
 */
function recorder(count: number, ms = 5_000) {
  const calls: number[] = [];
  let done!: () => void;
  const reached = new Promise<void>((resolve) => (done = resolve));
  return {
    calls,
    handler: (n: number) => {
      calls.push(n);
      if (calls.length === count) done();
    },
    async wait() {
      let timer: NodeJS.Timeout | undefined;
      const timeout = new Promise<never>((_, reject) => {
        timer = setTimeout(() => reject(new Error(`only ${calls.length} of ${count} signals arrived within ${ms} ms`)), ms);
      });
      try {
        await Promise.race([reached, timeout]);
      } finally {
        clearTimeout(timer);
      }
    },
  };
}

beforeEach(() => {
  configure([], { startMs: T0 });
});

describe("stub signals: register and raise", () => {
  test("signal() runs the handler asynchronously, with the signal number", async (t) => {
    t.plan(6); // 4 checks here and one in each of the 2 handler runs: a third run breaks the plan
    const got: number[] = [];
    t.assert.equal(uwsgi.register_signal(17, "workers", (n) => {
      t.assert.equal(n, 17);
      got.push(n);
    }), undefined);
    const raised = uwsgi.signal(17);
    t.assert.deepEqual(got, [], "not run synchronously inside signal()");
    await raised;
    t.assert.deepEqual(got, [17]);
    await uwsgi.signal(17);
    t.assert.deepEqual(got, [17, 17]);
  });

  test("an async handler is awaited", async () => {
    const got: string[] = [];
    uwsgi.register_signal(3, "worker", async () => {
      await new Promise((r) => setImmediate(r));
      got.push("done");
    });
    await uwsgi.signal(3);
    assert.deepEqual(got, ["done"]);
  });

  test("every target form is accepted", () => {
    const targets = ["", "workers", "worker", "worker0", "worker2", "active-workers", "mules", "mule", "mule0", "mule1", "spooler", "farm1", "farm_images"];
    targets.forEach((t, i) => uwsgi.register_signal(i, t, () => undefined));
    for (let i = 0; i < targets.length; i++) assert.equal(uwsgi.signal_registered(i), true, targets[i]);
  });

  test("signal_registered is false for a number without a handler", () => {
    uwsgi.register_signal(1, "workers", () => undefined);
    assert.equal(uwsgi.signal_registered(1), true);
    assert.equal(uwsgi.signal_registered(2), false);
  });

  test("deliverSignal runs the handler as if routed by the master", async () => {
    const got: number[] = [];
    uwsgi.register_signal(30, "mules", (n) => got.push(n));
    await deliverSignal(30);
    assert.deepEqual(got, [30]);
  });

  test("a handler runs as the process its target names (worker N, mule N, spooler, farm)", async () => {
    configure(["--mules", "3", "--farm", "f:2,3"], { startMs: T0 });
    const seen: Record<number, unknown[]> = {};
    const who = (n: number) => {
      seen[n] = [uwsgi.worker_id(), uwsgi.mule_id(), uwsgi.i_am_the_spooler()];
    };
    const targets: Array<[number, string]> = [[1, "workers"], [2, "worker3"], [3, "mules"], [4, "mule2"], [5, "spooler"], [6, "farm_f"], [7, "farm1"], [8, ""]];
    for (const [n, t] of targets) uwsgi.register_signal(n, t, who);
    for (const [n] of targets) await uwsgi.signal(n);
    assert.deepEqual(seen, {
      1: [1, 0, false],
      2: [3, 0, false],
      3: [0, 1, false],
      4: [0, 2, false],
      5: [0, 0, true],
      6: [0, 2, false],
      7: [0, 2, false],
      8: [1, 0, false],
    });
  });

  test("timer signals and deliverSignal are routed the same way; a spooler-targeted handler may not lock", async () => {
    const seen: unknown[] = [];
    uwsgi.register_signal(1, "mule1", () => seen.push(["timer", uwsgi.mule_id()]));
    uwsgi.register_signal(2, "spooler", () => {
      seen.push(["spooler", uwsgi.i_am_the_spooler()]);
      uwsgi.lock();
    });
    uwsgi.add_timer(1, 1);
    await advance(1_000);
    await deliverSignal(2);
    assert.deepEqual(seen, [["timer", 1], ["spooler", true]]);
    assert.ok(logLines().some((l) => l.startsWith("error managing signal 2") && l.includes("spooler cannot lock")), logLines().join("\n"));
    assert.equal(uwsgi.is_locked(), false);
  });

  test("a handler that throws is logged as \"error managing signal\"; later signals still run", async (t) => {
    t.plan(4); // one check in each of the 2 handler runs, 2 here
    let calls = 0;
    uwsgi.register_signal(9, "workers", (n) => {
      t.assert.equal(n, 9);
      calls++;
      throw new Error("boom");
    });
    await uwsgi.signal(9);
    await uwsgi.signal(9);
    t.assert.equal(calls, 2);
    t.assert.equal(logLines().some((l) => l.startsWith("error managing signal 9") && l.includes("boom")), true, logLines().join("\n"));
  });

  test("a signal nobody handles is logged, not thrown", async () => {
    await uwsgi.signal(44);
    assert.ok(logLines().some((l) => l.includes("error managing signal 44")));
  });

  test("a worker may register and re-register (replacing its handler); the master may not re-register", async () => {
    const got: string[] = [];
    runAs({ kind: "worker", id: 2 }, () => {
      uwsgi.register_signal(5, "worker2", () => got.push("first"));
      uwsgi.register_signal(5, "worker2", () => got.push("second"));
    });
    await uwsgi.signal(5);
    assert.deepEqual(got, ["second"]);
    uwsgi.register_signal(6, "workers", () => undefined);
    assert.throws(() => uwsgi.register_signal(6, "workers", () => undefined), code("UWSGI_ERR_SIGNAL_REGISTER"));
  });

  test("mules and spoolers may not register", () => {
    for (const kind of ["mule", "spooler"] as const) {
      runAs({ kind, id: 1 }, () => {
        assert.throws(() => uwsgi.register_signal(7, "workers", () => undefined), code("UWSGI_ERR_SIGNAL_REGISTER"), kind);
      });
    }
    assert.equal(uwsgi.signal_registered(7), false);
  });

  test("bad numbers, targets and handlers are coded errors", async () => {
    for (const n of [256, -1, 1.5, Number.NaN]) {
      assert.throws(() => uwsgi.register_signal(n, "workers", () => undefined), code("UWSGI_ERR_SIGNAL_INVALID"), `register ${n}`);
      await assert.rejects(uwsgi.signal(n), code("UWSGI_ERR_SIGNAL_INVALID"), `signal ${n}`);
      assert.throws(() => uwsgi.signal_registered(n), code("UWSGI_ERR_SIGNAL_INVALID"));
    }
    assert.throws(() => uwsgi.register_signal(1, "bogus", () => undefined), code("UWSGI_ERR_SIGNAL_REGISTER"));
    assert.throws(() => uwsgi.register_signal(1, `mule${"1".repeat(60)}`, () => undefined), code("UWSGI_ERR_SIGNAL_REGISTER"), "target over 63 bytes");
    assert.throws(() => uwsgi.register_signal(1, "workers", "nope" as unknown as () => void), code("UWSGI_ERR_SIGNAL_REGISTER"));
    assert.equal(uwsgi.signal_registered(1), false);
  });

  test("configure drops every handler", () => {
    uwsgi.register_signal(1, "workers", () => undefined);
    configure([]);
    assert.equal(uwsgi.signal_registered(1), false);
  });
});

describe("stub signals: timers and crons on the manual clock", () => {
  test("add_timer fires every period, first after one period, at the exact time", async (t) => {
    t.plan(9); // one check in each of the 4 ticks, 5 here
    const at: number[] = [];
    uwsgi.register_signal(1, "workers", (n) => {
      t.assert.equal(n, 1);
      at.push(now());
    });
    t.assert.equal(uwsgi.add_timer(1, 10), undefined);
    t.assert.deepEqual(await advance(9_999), []);
    t.assert.deepEqual(await advance(1), [1]);
    t.assert.deepEqual(await advance(30_000), [1, 1, 1]);
    t.assert.deepEqual(at, [T0 + 10_000, T0 + 20_000, T0 + 30_000, T0 + 40_000]);
  });

  test("add_timer with period 0 never fires", async () => {
    uwsgi.add_timer(1, 0);
    assert.deepEqual(await advance(3_600_000), []);
  });

  test("add_ms_timer fires every period milliseconds; ties keep the order timers were added", async () => {
    const seen: Array<[number, number]> = [];
    uwsgi.register_signal(1, "workers", (n) => seen.push([n, now() - T0]));
    uwsgi.register_signal(2, "workers", (n) => seen.push([n, now() - T0]));
    uwsgi.add_timer(1, 2);
    uwsgi.add_ms_timer(2, 500);
    assert.deepEqual(await advance(2_000), [2, 2, 2, 1, 2]);
    assert.deepEqual(seen, [[2, 500], [2, 1000], [2, 1500], [1, 2000], [2, 2000]]);
  });

  test("add_rb_timer stops after repeat firings; repeat 0 (default) is forever", async () => {
    uwsgi.add_rb_timer(7, 2, 3);
    uwsgi.add_rb_timer(8, 5);
    const fired = await advance(20_000);
    assert.equal(fired.filter((n) => n === 7).length, 3);
    assert.equal(fired.filter((n) => n === 8).length, 4);
    const later = await advance(20_000);
    assert.equal(later.filter((n) => n === 7).length, 0);
    assert.equal(later.filter((n) => n === 8).length, 4);
  });

  test("timers raise signals nobody registered without failing (logged)", async () => {
    uwsgi.add_timer(99, 1);
    assert.deepEqual(await advance(1_000), [99]);
    assert.ok(logLines().some((l) => l.includes("error managing signal 99")));
  });

  test("add_cron fires once in each matching local minute, at its start", async () => {
    configure([], { startMs: new Date(2024, 0, 15, 2, 58, 30).getTime() });
    const at: number[] = [];
    uwsgi.register_signal(9, "workers", () => at.push(now()));
    assert.equal(uwsgi.add_cron(9, 0, 3, -1, -1, -1), true);
    assert.deepEqual(await advance(89_999), [], "02:59:59.999");
    assert.deepEqual(await advance(1), [9], "03:00:00");
    assert.deepEqual(await advance(59_999), [], "no second firing in the same minute");
    assert.deepEqual(await advance(24 * 3_600_000), [9], "next day 03:00");
    assert.deepEqual(at, [new Date(2024, 0, 15, 3, 0, 0).getTime(), new Date(2024, 0, 16, 3, 0, 0).getTime()]);
  });

  test("an every-minute cron fires in the minute it is added, then at each minute start", async () => {
    configure([], { startMs: new Date(2024, 0, 15, 2, 58, 30).getTime() });
    uwsgi.add_cron(10);
    assert.deepEqual(await advance(0), [10]);
    assert.deepEqual(await advance(29_999), []);
    assert.deepEqual(await advance(1), [10]);
    assert.deepEqual(await advance(120_000), [10, 10]);
  });

  test("cron -N means every N (value % N == 0)", async () => {
    configure([], { startMs: new Date(2024, 0, 15, 2, 58, 30).getTime() });
    const minutes: number[] = [];
    uwsgi.register_signal(11, "workers", () => minutes.push(new Date(now()).getMinutes()));
    uwsgi.add_cron(11, -15);
    await advance(3_600_000);
    assert.deepEqual(minutes, [0, 15, 30, 45]);
  });

  test("bad periods and cron fields are coded errors", () => {
    assert.throws(() => uwsgi.add_timer(1, -1), code("UWSGI_ERR_TIMER_ADD"));
    assert.throws(() => uwsgi.add_timer(1, 1.5), code("UWSGI_ERR_TIMER_ADD"));
    assert.throws(() => uwsgi.add_ms_timer(1, -5), code("UWSGI_ERR_TIMER_ADD"));
    assert.throws(() => uwsgi.add_rb_timer(1, 0), code("UWSGI_ERR_TIMER_ADD"));
    assert.throws(() => uwsgi.add_rb_timer(1, 1, -1), code("UWSGI_ERR_TIMER_ADD"));
    assert.throws(() => uwsgi.add_timer(300, 1), code("UWSGI_ERR_SIGNAL_INVALID"));
    assert.throws(() => uwsgi.add_cron(1, 60), code("UWSGI_ERR_CRON_ADD"));
    assert.throws(() => uwsgi.add_cron(1, -1, 24), code("UWSGI_ERR_CRON_ADD"));
    assert.throws(() => uwsgi.add_cron(1, -1, -1, 32), code("UWSGI_ERR_CRON_ADD"));
    assert.throws(() => uwsgi.add_cron(1, -1, -1, -1, 13), code("UWSGI_ERR_CRON_ADD"));
    assert.throws(() => uwsgi.add_cron(1, -1, -1, -1, -1, 8), code("UWSGI_ERR_CRON_ADD"));
  });

  test("configure drops timers", async () => {
    uwsgi.add_timer(1, 1);
    configure([], { startMs: T0 });
    assert.deepEqual(await advance(10_000), []);
  });

  test("with the real clock, timers fire on their own", async () => {
    configure([], { clock: "real", echoLog: false });
    const r = recorder(2);
    uwsgi.register_signal(12, "workers", r.handler);
    uwsgi.add_ms_timer(12, 20);
    await r.wait();
    assert.deepEqual(r.calls.slice(0, 2), [12, 12]);
    await assert.rejects(advance(1), code("UWSGI_ERR_INVALID_ARGUMENT"), "advance needs the manual clock");
    configure([]);
  });
});

describe("stub signals: file monitors", () => {
  let dir: string;
  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), "uwsgi-node-stub-signals-"));
  });
  afterEach(() => {
    configure([]);
    rmSync(dir, { recursive: true, force: true });
  });

  test("add_file_monitor raises the signal when the file changes", async () => {
    const file = join(dir, "watched.txt");
    writeFileSync(file, "one");
    const r = recorder(1);
    uwsgi.register_signal(20, "workers", r.handler);
    assert.equal(uwsgi.add_file_monitor(20, file), undefined);
    appendFileSync(file, "two");
    await r.wait();
    assert.equal(r.calls[0], 20);
  });

  test("a watched directory raises the signal when a file is created in it", async () => {
    const r = recorder(1);
    uwsgi.register_signal(21, "workers", r.handler);
    uwsgi.add_file_monitor(21, dir);
    writeFileSync(join(dir, "new.txt"), "x");
    await r.wait();
    assert.equal(r.calls[0], 21);
  });

  test("a missing path and a bad path are coded errors (uWSGI silently never fires)", () => {
    assert.throws(() => uwsgi.add_file_monitor(20, join(dir, "missing")), code("UWSGI_ERR_FILE_MONITOR_ADD"));
    assert.throws(() => uwsgi.add_file_monitor(20, ""), code("UWSGI_ERR_FILE_MONITOR_ADD"));
    assert.throws(() => uwsgi.add_file_monitor(20, `/${"x".repeat(254)}`), code("UWSGI_ERR_FILE_MONITOR_ADD"));
    assert.throws(() => uwsgi.add_file_monitor(256, dir), code("UWSGI_ERR_SIGNAL_INVALID"));
  });
});

describe("stub signals: signal_wait and signal_received", () => {
  test("signal_wait outside a request rejects with UWSGI_ERR_NO_REQUEST; signal_received is 0", async () => {
    await assert.rejects(uwsgi.signal_wait(), code("UWSGI_ERR_NO_REQUEST"));
    assert.equal(uwsgi.signal_received(), 0);
  });

  test("signal_wait() returns empty bytes after any signal; signal_received() names it", async () => {
    await withRequest({}, async () => {
      assert.equal(uwsgi.signal_received(), 0, "a request that never waited reads 0");
      const waiting = uwsgi.signal_wait();
      assert.equal(uwsgi.signal_received(), -1, "set to -1 while waiting");
      await uwsgi.signal(12);
      const result = await waiting;
      assert.deepEqual(result, Buffer.alloc(0));
      assert.equal(uwsgi.signal_received(), 12);
    });
  });

  test("signal_wait(num) runs handlers of other signals and keeps waiting for num", async (t) => {
    t.plan(7); // one check in each handler run and in the wake-up, 4 here
    const handled: number[] = [];
    const handler = (n: number) => {
      t.assert.deepEqual(handled, n === 3 ? [] : [3], `signal ${n} handled in its turn`);
      handled.push(n);
    };
    uwsgi.register_signal(3, "workers", handler);
    uwsgi.register_signal(5, "workers", handler);
    await withRequest({}, async () => {
      let woke = false;
      const waiting = uwsgi.signal_wait(5).then(() => {
        t.assert.deepEqual(handled, [3, 5], "the handler of the awaited signal runs first");
        woke = true;
      });
      await uwsgi.signal(3);
      t.assert.deepEqual(handled, [3]);
      t.assert.equal(woke, false, "another signal does not end the wait");
      await uwsgi.signal(5);
      await waiting;
      t.assert.equal(woke, true);
      t.assert.equal(uwsgi.signal_received(), 5);
    });
  });

  test("a timer fired by advance wakes a waiting request", async () => {
    uwsgi.add_timer(14, 1);
    await withRequest({}, async () => {
      const waiting = uwsgi.signal_wait(14);
      await advance(1_000);
      await waiting;
      assert.equal(uwsgi.signal_received(), 14);
    });
  });

  test("each request has its own signal_received", async () => {
    await withRequest({}, async () => {
      const w = uwsgi.signal_wait();
      await uwsgi.signal(8);
      await w;
    });
    await withRequest({}, async () => {
      assert.equal(uwsgi.signal_received(), 0);
    });
  });

  test("signal_wait with a bad number rejects with UWSGI_ERR_SIGNAL_INVALID", async () => {
    await withRequest({}, async () => {
      await assert.rejects(uwsgi.signal_wait(256), code("UWSGI_ERR_SIGNAL_INVALID"));
    });
  });
});

describe("stub signals: remote", () => {
  /** A node answering every modifier1 110 request with a status header. */
  async function signalNode(status: number): Promise<{ server: Server; port: number; seen: Buffer[] }> {
    const seen: Buffer[] = [];
    const server = createServer((sock) => {
      sock.once("data", (chunk) => {
        seen.push(Buffer.from(chunk));
        sock.end(Buffer.from([255, 0, 0, status]));
      });
    });
    await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
    return { server, port: (server.address() as { port: number }).port, seen };
  }

  test("signal(n, \"host:port\") sends [110][0][n] and resolves when the node queued it", async () => {
    const node = await signalNode(1);
    try {
      const got: number[] = [];
      uwsgi.register_signal(10, "workers", (n) => got.push(n));
      await uwsgi.signal(10, `127.0.0.1:${node.port}`);
      assert.deepEqual(node.seen, [Buffer.from([110, 0, 0, 10])]);
      assert.deepEqual(got, [], "a remote signal does not run the local handler");
    } finally {
      node.server.close();
    }
  });

  test("a node answering status 0 rejects with UWSGI_ERR_SIGNAL_REMOTE_REJECTED", async () => {
    const node = await signalNode(0);
    try {
      await assert.rejects(uwsgi.signal(10, `127.0.0.1:${node.port}`), code("UWSGI_ERR_SIGNAL_REMOTE_REJECTED"));
    } finally {
      node.server.close();
    }
  });

  test("an unreachable node rejects with UWSGI_ERR_SIGNAL_REMOTE_UNREACHABLE", async () => {
    await assert.rejects(uwsgi.signal(10, `127.0.0.1:${await closedPort()}`), code("UWSGI_ERR_SIGNAL_REMOTE_UNREACHABLE"));
  });

  test("a malformed address rejects with UWSGI_ERR_INVALID_ARGUMENT", async () => {
    await assert.rejects(uwsgi.signal(10, "nowhere"), code("UWSGI_ERR_INVALID_ARGUMENT"));
  });
});
