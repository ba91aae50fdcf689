/**
 * Harakiri that fits an event loop: a request past --harakiri in a worker whose loop is free is
 * ended alone (504); the worker, and the other requests it serves, live on. A blocked loop still
 * gets the worker killed (server-lifecycle.test.ts: the endless loop).
 */
import { test } from "node:test";
import assert from "node:assert/strict";
import net from "node:net";
import { eventually, fixtureApp, httpRequest, readUntilClose, startServer } from "./server-harness.js";

test("regression: one stalled request body got the whole worker harakiri'd with its other requests; now only that request ends", async () => {
  const server = await startServer([
    "--http", "127.0.0.1:0", "--stats", "127.0.0.1:0", "--harakiri", "2", "--socket-timeout", "30", "--processes", "1",
    fixtureApp("node-listener-app"),
  ]);
  try {
    const statsPort = Number((await server.waitForLog(/Stats server enabled on 127\.0\.0\.1:(\d+)/))[1]);
    const pid = Number((await httpRequest(server.port, "/pid")).body);
    // a client that sends its headers and 3 of 50 body bytes, then nothing
    const stalled = new Promise<{ reply: string; ms: number }>((resolve) => {
      const t0 = Date.now();
      const chunks: Buffer[] = [];
      const s = net.connect(server.port, "127.0.0.1", () => s.write("POST /body HTTP/1.1\r\nHost: x\r\nContent-Length: 50\r\n\r\nabc"));
      s.on("data", (c: Buffer) => chunks.push(c));
      s.on("error", () => undefined);
      s.on("close", () => resolve({ reply: Buffer.concat(chunks).toString(), ms: Date.now() - t0 }));
    });
    // another user's request in flight on the same worker when the harakiri comes
    const other = httpRequest(server.port, "/sleep?ms=1500");
    const [stall, neighbour] = await Promise.all([stalled, other]);
    assert.match(stall.reply, /^HTTP\/1\.1 504 Gateway Timeout/);
    assert.ok(stall.ms >= 1900 && stall.ms < 5000, `ended after ${stall.ms} ms`);
    assert.equal(neighbour.status, 200);
    assert.equal(neighbour.body, `slept ${pid}`, "the other request was served by the same, living worker");
    await server.waitForLog(new RegExp(`HARAKIRI: --- uWSGI worker 1 \\(pid: ${pid}\\) WAS managing request POST /body since .* ended alone after`));
    assert.equal(Number((await httpRequest(server.port, "/pid")).body), pid);
    assert.doesNotMatch(server.log(), /HARAKIRI !!!|DAMN/, "the master killed nothing");
    const harakiriCount = async () => (JSON.parse(await readUntilClose(statsPort)) as { workers: Array<{ harakiri_count: number }> }).workers[0]!.harakiri_count;
    await eventually(async () => (await harakiriCount()) === 1, 5000, "harakiri_count 1 in the stats");
  } finally {
    await server.stop();
  }
});
