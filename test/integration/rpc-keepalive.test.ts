/**
 * Kept RPC connections (src/protocol/rpc-keepalive.ts): between uwsgi-node nodes the client sends
 * its calls on one connection, misses included; a connection the server closes while idle (its
 * worker reloads) says farewell and the next call goes on a new one; a real uWSGI 2.0.21 node
 * runs nothing for the keep request and gets one connection per call, each call run once.
 */
import { describe, it } from "node:test";
import assert from "node:assert/strict";
import { type ChildProcess, spawn } from "node:child_process";
import net from "node:net";
import { existsSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { RpcClient } from "../../src/client/rpc-client.js";
import { encodeRpcResponse } from "../../src/protocol/messages.js";
import { encodeKeepAck } from "../../src/protocol/rpc-keepalive.js";
import { eventually, fixtureApp, startServer, tempDir } from "./server-harness.js";
import { freeTcpPort } from "../support/free-port.js";

const PY_APP = fileURLToPath(new URL("../../../test/fixtures/rpc-keepalive-app.py", import.meta.url));

/** Counts the TCP connections this process opens (the client's, in this test process). */
function countConnects(): { readonly count: number; restore(): void } {
  const original = net.Socket.prototype.connect;
  let count = 0;
  net.Socket.prototype.connect = function (this: net.Socket, ...args: unknown[]) {
    count++;
    return (original as (...a: unknown[]) => net.Socket).apply(this, args);
  } as typeof original;
  return {
    get count() {
      return count;
    },
    restore: () => {
      net.Socket.prototype.connect = original;
    },
  };
}

describe("kept RPC connections", { timeout: 90_000 }, () => {
  it("between uwsgi-node nodes: calls and misses share one connection; after a worker reload the farewell sends the next call on a new one", async () => {
    const socketPort = await freeTcpPort();
    const server = await startServer(["--http", "127.0.0.1:0", "--socket", `127.0.0.1:${socketPort}`, "--plugin", "rpc", "--processes", "1", fixtureApp("rpc-app")], { waitReady: false });
    const connects = countConnects();
    try {
      await server.waitForLog(/\*\*\* uwsgi-node is ready/, 40_000);
      const client = new RpcClient(() => 10_000);
      const addr = `127.0.0.1:${socketPort}`;
      for (let i = 0; i < 20; i++) assert.equal((await client.call(addr, Buffer.from("in_worker"), []))?.toString(), "worker1");
      assert.equal(await client.call(addr, Buffer.from("no_such_function"), []), null, "a miss is null");
      assert.equal((await client.call(addr, Buffer.from("in_worker"), []))?.toString(), "worker1", "the connection survives a miss");
      assert.equal(connects.count, 1, "one connection for 22 calls");
      // a graceful reload: the old worker closes its idle kept connection with a farewell, and
      // the client's calls go on a new connection, none lost
      const from = server.log().length;
      process.kill(server.pid, "SIGHUP");
      await server.waitForLog(/spawned uWSGI worker 1/, 40_000, from);
      const replies: Array<string | null> = [];
      await eventually(async () => {
        replies.push(await client.call(addr, Buffer.from("in_worker"), []).then((r) => r?.toString() ?? null, (e: Error) => `error: ${e.message}`));
        return connects.count === 2;
      }, 30_000, "a call on a new connection after the reload", 100);
      assert.deepEqual(replies, replies.map(() => "worker1"), "every call answered");
      assert.doesNotMatch(server.log(), /handler failed/);
    } finally {
      connects.restore();
      await server.stop();
    }
  });

  it("with a real uWSGI node: the keep request runs nothing, every call runs once on a connection of its own", async () => {
    const tmp = tempDir();
    const countFile = join(tmp.path, "count.txt");
    const port = await freeTcpPort();
    const http = await freeTcpPort();
    const py: ChildProcess = spawn("uwsgi", ["--plugin", "python3,rpc", "--master", "--die-on-term", "--processes", "1", "--http-socket", `127.0.0.1:${http}`, "--socket", `127.0.0.1:${port}`, "--wsgi-file", PY_APP], {
      stdio: ["ignore", "pipe", "pipe"],
      env: { ...process.env, RPC_COUNT_FILE: countFile },
    });
    let log = "";
    py.stdout!.on("data", (c: Buffer) => (log += c.toString()));
    py.stderr!.on("data", (c: Buffer) => (log += c.toString()));
    const exited = new Promise((r) => py.once("exit", r));
    const connects = countConnects();
    try {
      await eventually(() => /spawned uWSGI worker 1/.test(log), 20_000, `uwsgi up:\n${log}`);
      const client = new RpcClient(() => 10_000);
      const addr = `127.0.0.1:${port}`;
      const first = await eventually(() => client.call(addr, Buffer.from("count"), []).catch(() => null), 20_000, "uWSGI answers");
      assert.equal(first.toString(), "counted");
      for (let i = 0; i < 4; i++) assert.equal((await client.call(addr, Buffer.from("count"), []))?.toString(), "counted");
      assert.equal(readFileSync(countFile, "utf8"), "run\n".repeat(5), "each call ran once (the keep request ran nothing)");
      assert.equal((log.match(/Empty RPC request\. skip\./g) ?? []).length, 1, "uWSGI refused the keep request, once");
      assert.equal(connects.count, 6, "the refused keep request, then one connection per call");
    } finally {
      connects.restore();
      if (py.exitCode === null) py.kill("SIGTERM");
      await exited;
      tmp.cleanup();
      assert.equal(existsSync(tmp.path), false);
    }
  });
  it("a kept connection whose node stops answering fails the call with UWSGI_ERR_REMOTE_UNREACHABLE after --socket-timeout, measured from that call (the deadline timer outlives earlier calls)", async () => {
    // a node that keeps connections (a uwsgi-node worker, scripted here so it can go silent):
    // it acknowledges the keep request, answers calls to "ok" and never those to "silent"
    const timeoutMs = 300;
    let silent = 0;
    const server = net.createServer((sock) => {
      sock.on("data", (chunk: Buffer) => {
        for (let off = 0; off + 4 <= chunk.length; off += 4 + chunk.readUInt16LE(off + 1)) {
          if (chunk[off + 3] === 75) sock.write(encodeKeepAck(15_000));
          else if (chunk.toString("latin1", off + 6, off + 6 + chunk.readUInt16LE(off + 4)) === "ok") sock.write(encodeRpcResponse(Buffer.from("ok")));
          else silent++;
        }
      });
    });
    await new Promise<void>((r) => server.listen(0, "127.0.0.1", r));
    const addr = `127.0.0.1:${(server.address() as net.AddressInfo).port}`;
    try {
      const client = new RpcClient(() => timeoutMs);
      // calls for two thirds of the timeout (bounded in count): the first armed the deadline timer
      const first = Date.now();
      for (let i = 0; i < 5000 && Date.now() - first < (timeoutMs * 2) / 3; i++) assert.equal((await client.call(addr, Buffer.from("ok"), []))?.toString(), "ok");
      const started = Date.now();
      await assert.rejects(client.call(addr, Buffer.from("silent"), []), { code: "UWSGI_ERR_REMOTE_UNREACHABLE" });
      assert.ok(Date.now() - started >= timeoutMs - 1, `failed after ${Date.now() - started} ms, before the ${timeoutMs} ms timeout`);
      assert.equal(silent, 1);
    } finally {
      server.close();
    }
  });
});
