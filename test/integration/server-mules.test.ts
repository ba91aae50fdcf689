/**
 * Mules and farms as real processes: messages from workers reach the right mule exactly once,
 * a SIGKILLed mule is respawned and keeps receiving, a reload replaces the mules, a programmed
 * mule runs its module, and the stated limits give coded errors.
 */
import { describe, it, before, after } from "node:test";
import assert from "node:assert/strict";
import { eventually, fixtureApp, httpRequest, runCli, START_TIMEOUT_MS, startServer, type TestServer } from "./server-harness.js";


/** Starts a server with mules and waits longer than the harness's default for it to be ready (several processes start at once). */
async function startWithMules(args: string[]): Promise<TestServer> {
  const server = await startServer(args, { waitReady: false });
  try {
    await server.waitForLog(/\*\*\* uwsgi-node is ready/, START_TIMEOUT_MS);
  } catch (err) {
    await server.stop("SIGKILL");
    throw err;
  }
  return server;
}

/**
 * Bounds a whole describe (its server's start and every test in it) against a hang; every wait
 * inside has its own deadline, those on a process starting START_TIMEOUT_MS (a loaded machine).
 */
const TIMEOUT_MS = 240_000;

async function get(server: TestServer, path: string): Promise<Record<string, unknown>> {
  // a reply may wait for a worker being replaced (a reload) to start
  const reply = await httpRequest(server.port, path, { timeoutMs: START_TIMEOUT_MS });
  return JSON.parse(reply.body) as Record<string, unknown>;
}

/** Every `MULEMSG` line of the log after `from`, parsed. */
function handled(server: TestServer, from = 0): Array<{ mule: number; pid: number; worker: number; farm: string; msg: string }> {
  return [...server.log().slice(from).matchAll(/^MULEMSG mule=(\d+) pid=(\d+) worker=(\d+) farm=(\S+) msg=(.*)$/gm)].map((m) => ({
    mule: Number(m[1]),
    pid: Number(m[2]),
    worker: Number(m[3]),
    farm: m[4]!,
    msg: m[5]!,
  }));
}

function mulePid(server: TestServer, id: number, from = 0): number {
  const all = [...server.log().slice(from).matchAll(new RegExp(`spawned uWSGI mule ${id} \\(pid: (\\d+)\\)`, "g"))];
  return Number(all.at(-1)?.[1] ?? 0);
}

describe("server: mules and farms", { timeout: TIMEOUT_MS }, () => {
  let server: TestServer;
  before(async () => {
    // Mules 1 and 3 have a hook, mule 2 none; farm "pair" is mules 1 and 3; mule 4 is programmed.
    server = await startWithMules([
      "--http", "127.0.0.1:0", "--processes", "1", "--disable-logging",
      "--mules", "3", "--farm", "pair:1,3", `--mule=${fixtureApp("programmed-mule")}`,
      fixtureApp("mule-app"),
    ]);
    await server.waitForLog(/spawned uWSGI mule 4 \(pid: \d+\)/);
  });
  after(async () => {
    await server.stop();
  });

  it("each of 10 mule_msg to a farm is handled exactly once, by a mule of that farm", async () => {
    const from = server.log().length;
    for (let i = 0; i < 10; i++) assert.deepEqual(await get(server, `/send?t=pair&m=farm-${i}`), { queued: true });
    await eventually(() => handled(server, from).filter((h) => h.msg.startsWith("farm-")).length >= 10, 15000, "10 farm messages");
    // a barrier: once a later message to the same farm is handled, a duplicate would have shown
    await get(server, "/send?t=pair&m=barrier");
    await eventually(() => handled(server, from).some((h) => h.msg === "barrier"), 10000, "the barrier");
    const seen = handled(server, from).filter((h) => h.msg.startsWith("farm-"));
    assert.deepEqual(seen.map((h) => h.msg).sort(), Array.from({ length: 10 }, (_, i) => `farm-${i}`).sort());
    for (const h of seen) {
      assert.ok(h.mule === 1 || h.mule === 3, `farm message handled by mule ${h.mule}`);
      assert.equal(h.farm, "true");
      assert.equal(h.worker, 0);
    }
  });

  it("farm_msg reaches one mule of the farm", async () => {
    const from = server.log().length;
    await get(server, "/farm_msg?t=pair&m=via-farm_msg");
    const [h] = await eventually(() => handled(server, from).filter((x) => x.msg === "via-farm_msg").length ? handled(server, from).filter((x) => x.msg === "via-farm_msg") : null, 10000, "farm_msg");
    assert.ok(h!.mule === 1 || h!.mule === 3);
  });

  it("mule_msg to a mule id reaches that mule; to no target, one mule; a mule without a hook logs the size", async () => {
    const from = server.log().length;
    await get(server, "/send?t=3&m=for-three");
    await get(server, "/send?t=2&m=12345");
    await get(server, "/send?m=for-anyone");
    await eventually(() => handled(server, from).some((h) => h.msg === "for-three"), 10000, "the message to mule 3");
    assert.equal(handled(server, from).find((h) => h.msg === "for-three")!.mule, 3);
    await server.waitForLog(/\*\*\* mule 2 received a 5 bytes message \*\*\*/, 10000, from);
    // the shared queue: any one mule (mule 2 logs sizes, the programmed mule 4 logs PROGRAMMED)
    await eventually(
      () => handled(server, from).some((h) => h.msg === "for-anyone") || /mule 2 received a 10 bytes message|PROGRAMMED .*got=for-anyone/.test(server.log().slice(from)),
      10000,
      "the shared message",
    );
  });

  it("a programmed mule runs its module: mule_id is its id, worker_id 0, mule_get_msg times out with empty bytes and receives", async () => {
    await server.waitForLog(/PROGRAMMED start mule=4 worker=0 pid=\d+/);
    await server.waitForLog(/PROGRAMMED timeout returned 0 bytes/);
    const from = server.log().length;
    await get(server, "/send?t=4&m=to-programmed");
    await server.waitForLog(/PROGRAMMED mule=4 pid=\d+ got=to-programmed/, 10000, from);
    // when its module ends the mule exits and is respawned
    const pid = mulePid(server, 4);
    await get(server, "/send?t=4&m=exit");
    await server.waitForLog(new RegExp(`OOOPS mule 4 \\(pid: ${pid}\\) crippled\\.\\.\\.trying respawn\\.\\.\\.`), 10000, from);
    await server.waitForLog(/PROGRAMMED start mule=4/, START_TIMEOUT_MS, from);
  });

  it("a signal targeted at mule3, raised in a worker, runs in mule 3 once", async () => {
    const from = server.log().length;
    assert.deepEqual(await get(server, "/signal"), { raised: true });
    await server.waitForLog(/MULESIGNAL 21 mule=3 pid=\d+/, 10000, from);
    // a barrier through the same mule: a second run would have shown by then
    await get(server, "/send?t=3&m=after-signal");
    await eventually(() => handled(server, from).some((h) => h.msg === "after-signal"), 10000, "the barrier");
    assert.equal([...server.log().slice(from).matchAll(/MULESIGNAL 21/g)].length, 1);
  });

  it("receiving outside a mule is a coded error", async () => {
    assert.deepEqual(await get(server, "/get"), { error: "UWSGI_ERR_NOT_IN_MULE" });
  });

  it("a SIGKILLed mule comes back and keeps receiving, messages sent meanwhile included", async () => {
    const from = server.log().length;
    const pid = mulePid(server, 1);
    assert.ok(pid > 0);
    process.kill(pid, "SIGKILL");
    await server.waitForLog(new RegExp(`OOOPS mule 1 \\(pid: ${pid}\\) crippled\\.\\.\\.trying respawn\\.\\.\\.`), 10000, from);
    // sent while mule 1 is being respawned: waits in its queue
    await get(server, "/send?t=1&m=after-kill");
    const h = await eventually(() => handled(server, from).find((x) => x.msg === "after-kill"), START_TIMEOUT_MS, "the message to the respawned mule");
    assert.equal(h.mule, 1);
    assert.notEqual(h.pid, pid);
    assert.equal(h.pid, mulePid(server, 1));
  });

  it("a graceful reload replaces the mules and they keep receiving", async () => {
    const from = server.log().length;
    const old = mulePid(server, 3);
    process.kill(server.pid, "SIGHUP");
    await server.waitForLog(/spawned uWSGI mule 3 \(pid: \d+\)/, START_TIMEOUT_MS, from);
    const fresh = mulePid(server, 3, from);
    assert.notEqual(fresh, old);
    await eventually(() => {
      try {
        process.kill(old, 0);
        return false;
      } catch {
        return true;
      }
    }, START_TIMEOUT_MS, "the old mule 3 to exit");
    await get(server, "/send?t=3&m=after-reload");
    // handled once the new mule 3 has started, however long that takes on a loaded machine
    const h = await eventually(() => handled(server, from).find((x) => x.msg === "after-reload"), START_TIMEOUT_MS, "the message after the reload");
    assert.equal(h.pid, fresh);
  });
});

describe("server: mule limits and configuration", { timeout: TIMEOUT_MS }, () => {
  it("a message larger than --mule-msg-size is a coded error; mule_msg without mules too", async () => {
    const server = await startWithMules(["--http", "127.0.0.1:0", "--disable-logging", "--mules", "1", "--mule-msg-size=1000", fixtureApp("mule-app")]);
    try {
      assert.deepEqual(await get(server, "/send?size=1001"), { error: "UWSGI_ERR_MULE_MSG_TOO_LARGE" });
      assert.deepEqual(await get(server, "/send?size=1000"), { queued: true });
      assert.deepEqual(await get(server, "/send?t=nofarm&m=x"), { error: "UWSGI_ERR_FARM_UNKNOWN" });
      assert.deepEqual(await get(server, "/send?t=2&m=x"), { error: "UWSGI_ERR_MULE_INVALID" });
    } finally {
      await server.stop();
    }
  });

  it("--mule-harakiri kills a mule whose hook runs too long; it is respawned", async () => {
    const server = await startWithMules(["--http", "127.0.0.1:0", "--disable-logging", "--mules", "1", "--mule-harakiri", "1", fixtureApp("mule-app")]);
    try {
      await server.waitForLog(/spawned uWSGI mule 1 \(pid: \d+\)/);
      const pid = mulePid(server, 1);
      await get(server, "/send?t=1&m=quick");
      await eventually(() => handled(server).some((h) => h.msg === "quick"), 10000, "a quick message");
      await get(server, "/send?t=1&m=block");
      await server.waitForLog(new RegExp(`HARAKIRI ON MULE 1 \\(pid: ${pid}\\)`), 10000);
      await server.waitForLog(new RegExp(`OOOPS mule 1 \\(pid: ${pid}\\) crippled`), 10000);
      const from = server.log().length;
      await get(server, "/send?t=1&m=after-harakiri");
      await eventually(() => handled(server, from).some((h) => h.msg === "after-harakiri"), START_TIMEOUT_MS, "the respawned mule");
    } finally {
      await server.stop();
    }
  });

  it("beyond the stated queue bound (65536 messages, or 16 MiB waiting in the sender) mule_msg throws UWSGI_ERR_MULE_QUEUE_FULL", async () => {
    // mule 1 never reads: its queue in the master only grows
    const server = await startWithMules(["--http", "127.0.0.1:0", "--disable-logging", `--mule=${fixtureApp("idle-mule")}:idle`, fixtureApp("mule-app")]);
    try {
      // a sender that never yields cannot hear the master: the 16 MiB it may have waiting stops it
      const big = (await get(server, "/flood?t=1&n=64&size=1048576&sync=1")) as { sent: number; error?: string; message?: string };
      assert.equal(big.error, "UWSGI_ERR_MULE_QUEUE_FULL", JSON.stringify(big));
      assert.ok(big.sent >= 16 && big.sent < 64, `sent ${big.sent} MiB before the error`);
      // once those megabytes reached the master, this process may send again
      await eventually(async () => (await get(server, "/flood?t=1&n=1")).sent === 1, 20_000, "the sender's buffer to drain");
      // 1.2M messages of 8 bytes: the master finds mule 1's queue full at 65536 and stops reading
      // this sender; its mule_msg throws as soon as it hears so, or once 16 MiB wait in it
      const r = (await get(server, "/flood?t=1&n=1200000")) as { sent: number; error?: string; message?: string };
      assert.equal(r.error, "UWSGI_ERR_MULE_QUEUE_FULL", JSON.stringify(r));
      assert.ok(r.sent >= 65536 - 18 && r.sent < 1200000, `sent ${r.sent} before the error`);
      await server.waitForLog(/MULE MSG QUEUE IS FULL: mule 1 holds 65536 messages/);
      // nothing is read from this sender until the queue is half empty: every mule_msg says why
      const again = await eventually(async () => {
        const x = (await get(server, "/flood?t=1&n=1")) as { sent: number; error?: string; message?: string };
        return x.message?.includes("the queue of mule 1 is full (65536 messages)") ? x : null;
      }, 20_000, "the master's 'mule 1 is full' to reach the sender");
      assert.equal(again.error, "UWSGI_ERR_MULE_QUEUE_FULL");
      assert.equal(again.sent, 0);
    } finally {
      await server.stop();
    }
  });

  it("a farm naming an unknown mule id is a start-up error", async () => {
    const r = await runCli(["--http", "127.0.0.1:0", "--mules", "2", "--farm", "f:1,3", fixtureApp("mule-app")]);
    assert.notEqual(r.code, 0);
    assert.match(r.stderr + r.stdout, /farm f names mule 3, but only 2 mule\(s\) are configured/);
  });
});
