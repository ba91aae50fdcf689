/**
 * Worker lifecycle under the master: respawn after a crash, harakiri of an endless loop,
 * recycling after --max-requests, graceful and immediate stops, an app that cannot load.
 */
import { describe, it } from "node:test";
import assert from "node:assert/strict";
import { alive, eventually, fixtureApp, httpRequest, startedRequest, startServer } from "./server-harness.js";

interface Info {
  pid: number;
  worker_id: number;
  workers: Array<{ id: number; pid: number; respawn_count: number }>;
}

const info = async (port: number): Promise<Info> => JSON.parse((await httpRequest(port, "/info")).body) as Info;

describe("server: worker lifecycle", () => {
  it("respawns a worker killed with SIGKILL and keeps answering", async () => {
    const server = await startServer(["--http", "127.0.0.1:0", "--master", "-p", "2", "--disable-logging", fixtureApp("node-listener-app")]);
    try {
      const before = (await info(server.port)).workers;
      const victim = before[0]!;
      process.kill(victim.pid, "SIGKILL");
      const from = 0;
      await server.waitForLog(new RegExp(`DAMN ! worker 1 \\(pid: ${victim.pid}\\) died, killed by signal 9 :\\( trying respawn`), 10000, from);
      const [, newPid] = await server.waitForLog(/Respawned uWSGI worker 1 \(new pid: (\d+)\)/);
      for (let i = 0; i < 20; i++) assert.equal((await httpRequest(server.port, "/")).status, 200);
      const after = await eventually(async () => {
        const w = (await info(server.port)).workers;
        return w[0]!.pid === Number(newPid) ? w : null;
      }, 5000, "the worker table to show the new pid");
      assert.equal(after[0]!.respawn_count, 1);
      assert.equal(after[1]!.pid, before[1]!.pid, "the other worker was left alone");
      assert.ok(alive(Number(newPid)));
    } finally {
      await server.stop();
    }
  });

  it("kills a worker stuck in an endless loop after --harakiri seconds; the next request succeeds", async () => {
    const server = await startServer(["--http", "127.0.0.1:0", "--harakiri", "1", "--disable-logging", fixtureApp("node-listener-app")]);
    try {
      const stuckPid = Number((await httpRequest(server.port, "/pid")).body);
      const looping = httpRequest(server.port, "/loop").then(
        () => "answered",
        () => "dropped",
      );
      await server.waitForLog(new RegExp(`\\*\\*\\* HARAKIRI ON WORKER 1 \\(pid: ${stuckPid}, try: 1\\) \\*\\*\\*`), 10000);
      assert.equal(await looping, "dropped");
      const reply = await httpRequest(server.port, "/pid");
      assert.equal(reply.status, 200);
      assert.notEqual(Number(reply.body), stuckPid);
      assert.equal(alive(stuckPid), false);
    } finally {
      await server.stop();
    }
  });

  it("recycles a worker after --max-requests", async () => {
    const server = await startServer(["--http", "127.0.0.1:0", "--max-requests", "3", "--disable-logging", fixtureApp("node-listener-app")]);
    try {
      const first = new Set<string>();
      for (let i = 0; i < 3; i++) first.add((await httpRequest(server.port, "/pid")).body);
      assert.equal(first.size, 1);
      const [oldPid] = [...first];
      await server.waitForLog(new RegExp(`The work of process ${oldPid} is done \\(max requests reached \\(3 >= 3\\)\\)`));
      const next = await httpRequest(server.port, "/pid");
      assert.equal(next.status, 200);
      assert.notEqual(next.body, oldPid);
      await eventually(() => !alive(Number(oldPid)), 5000, "the recycled worker to exit");
    } finally {
      await server.stop();
    }
  });

  it("SIGTERM stops gracefully: the request in flight completes, then the master exits 0", async () => {
    const server = await startServer(["--http", "127.0.0.1:0", "--disable-logging", fixtureApp("node-listener-app")]);
    const workerPid = Number((await httpRequest(server.port, "/pid")).body);
    const slow = await startedRequest(server.port, "/trickle?ms=700");
    const exit = server.stop("SIGTERM");
    const reply = await slow.done;
    assert.equal(reply.status, 200);
    assert.equal(reply.body, `started\nslept ${workerPid}`);
    assert.deepEqual(await exit, { code: 0, signal: null });
    assert.equal(alive(workerPid), false);
    assert.match(server.log(), /goodbye to uWSGI/);
  });

  it("SIGQUIT stops at once, workers included", async () => {
    const server = await startServer(["--http", "127.0.0.1:0", "-p", "2", "--disable-logging", fixtureApp("node-listener-app")]);
    const pids = (await info(server.port)).workers.map((w) => w.pid);
    const slow = (await startedRequest(server.port, "/trickle?ms=5000")).done.then(
      () => "answered",
      () => "dropped",
    );
    const exit = await server.stop("SIGQUIT");
    assert.equal(exit.code, 0);
    assert.equal(await slow, "dropped");
    for (const pid of pids) assert.equal(alive(pid), false, `worker ${pid} should be gone`);
  });

  it("exits with code 22 and the error in the log when the app cannot be loaded", async () => {
    const server = await startServer(["--http", "127.0.0.1:0", fixtureApp("broken-app")], { waitReady: false });
    const exit = await server.exited;
    assert.equal(exit.code, 22);
    assert.match(server.log(), /this app cannot start/);
    assert.match(server.log(), /no app loaded/);
  });
});
