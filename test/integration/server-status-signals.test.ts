/**
 * SIGUSR1 and SIGUSR2 to the master, as uWSGI: SIGUSR1 logs the request counters, SIGUSR2 what
 * each worker is doing. Neither reopens the log (that is --touch-logreopen or the FIFO's l/L).
 */
import { test } from "node:test";
import assert from "node:assert/strict";
import { eventually, fixtureApp, httpRequest, readUntilClose, startServer } from "./server-harness.js";

test("SIGUSR1 logs the request counters; SIGUSR2 logs each worker busy or idle with its in-flight requests", async () => {
  const server = await startServer(["--http", "127.0.0.1:0", "-p", "2", "--stats", "127.0.0.1:0", "--disable-logging", fixtureApp("node-listener-app")]);
  try {
    const [, statsPort] = await server.waitForLog(/Stats server enabled on 127\.0\.0\.1:(\d+)/);
    for (let i = 0; i < 5; i++) assert.equal((await httpRequest(server.port, "/pid")).status, 200);
    // the workers report their counters to the master periodically: wait until it knows all 5
    await eventually(async () => {
      const doc = JSON.parse(await readUntilClose(Number(statsPort))) as { workers: Array<{ requests: number }> };
      return doc.workers.reduce((sum, w) => sum + w.requests, 0) === 5;
    }, 10000, "the master counting 5 requests");
    let from = server.log().length;
    process.kill(server.pid, "SIGUSR1");
    await server.waitForLog(/\tworkers total requests: 5\n-----------------\n\tworker 1 app 0 requests: \d+ exceptions: 0\n-----------------\n\tworker 2 app 0 requests: \d+ exceptions: 0\n/, 10000, from);

    const slow = httpRequest(server.port, "/sleep?ms=4000");
    await eventually(async () => {
      const doc = JSON.parse(await readUntilClose(Number(statsPort))) as { workers: Array<{ status: string }> };
      return doc.workers.some((w) => w.status === "busy");
    }, 10000, "a worker busy with /sleep");
    from = server.log().length;
    process.kill(server.pid, "SIGUSR2");
    const [busy] = await server.waitForLog(/worker \d \(pid: \d+\): busy, 1 request\(s\) in flight, the oldest running for \d+\.\d seconds/, 10000, from);
    assert.ok(busy);
    await server.waitForLog(/worker \d \(pid: \d+\): idle, \d+ requests served/, 10000, from);
    assert.equal((await slow).status, 200);
    assert.doesNotMatch(server.log(), /reopening log/, "neither signal reopens the log");
    assert.equal(server.child.exitCode, null, "the master keeps running");
  } finally {
    await server.stop();
  }
});
