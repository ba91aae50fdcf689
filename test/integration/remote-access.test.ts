/**
 * Remote operations (cache 111, RPC 173, signal 110, spool 17) on a real server: closed by
 * default, served once enabled with uWSGI's `--plugin` spelling, and only to the peers of
 * `--remote-allow`. The non-loopback peers live in a network namespace this test creates
 * (ip netns + veth); nothing leaves the machine.
 */
import { after, before, describe, it } from "node:test";
import assert from "node:assert/strict";
import { execFileSync, spawn } from "node:child_process";
import { CacheClient } from "../../src/client/cache-client.js";
import { RpcClient } from "../../src/client/rpc-client.js";
import { encodeRpcRequest } from "../../src/protocol/messages.js";
import { encodeHeader } from "../../src/protocol/packet.js";
import { eventually, fixtureApp, httpRequest, readUntilClose, startServer, type TestServer } from "./server-harness.js";

const cache = new CacheClient(() => 2000);
const rpc = new RpcClient(() => 2000);

async function socketPortOf(server: TestServer, index = 1): Promise<number> {
  return Number((await server.waitForLog(new RegExp(`uwsgi socket ${index} bound to TCP address [^\\s]+:(\\d+) fd \\d+ \\(uwsgi\\)`)))[1]);
}

async function statsOf(port: number): Promise<{ remote_refused: number }> {
  return JSON.parse(await readUntilClose(port)) as { remote_refused: number };
}

describe("remote operations", () => {
  it("regression: remote cache and RPC were open to anyone who could reach --socket; now refused by default, logged and counted", async () => {
    const server = await startServer([
      "--http", "127.0.0.1:0", "--socket", "127.0.0.1:0", "--stats", "127.0.0.1:0",
      "--processes", "1", "--cache2", "name=default,items=10", fixtureApp("remote-ops-app"),
    ]);
    try {
      const addr = `127.0.0.1:${await socketPortOf(server)}`;
      const statsPort = Number((await server.waitForLog(/Stats server enabled on 127\.0\.0\.1:(\d+)/))[1]);
      assert.equal(await cache.set(addr, "", Buffer.from("k"), Buffer.from("stolen"), 0, false), false);
      assert.equal(await cache.clear(addr, ""), false);
      assert.equal(await rpc.call(addr, Buffer.from("hello"), [Buffer.from("a")]), null);
      // remote signal and spool packets are refused by the same gate
      assert.equal((await readUntilClose(Number(addr.split(":")[1]), encodeHeader(110, 0, 1))).length, 0);
      assert.equal((await readUntilClose(Number(addr.split(":")[1]), encodeHeader(17, 0, 0))).length, 0);
      assert.equal((await httpRequest(server.port, "/get?key=k")).body, "(none)");
      await server.waitForLog(/-- unavailable modifier requested: 111 -- \(remote cache is disabled; enable it with --plugin cache\)/);
      await server.waitForLog(/-- unavailable modifier requested: 173 -- \(remote RPC is disabled; enable it with --plugin rpc\)/);
      // 6: the RPC client's first connection to a node asks to keep it (refused), then it sends
      // the call on a connection of its own (refused again), as with a real uWSGI node
      await eventually(async () => (await statsOf(statsPort)).remote_refused === 6, 5000, "6 refusals in the stats document");
    } finally {
      await server.stop();
    }
  });

  it("--plugin cache,rpc (uWSGI's spelling) serves remote cache and RPC to loopback peers", async () => {
    const server = await startServer([
      "--http", "127.0.0.1:0", "--socket", "127.0.0.1:0", "--plugin", "python3,cache", "--plugins", "rpc",
      "--processes", "1", "--cache2", "name=default,items=10", fixtureApp("remote-ops-app"),
    ]);
    try {
      const addr = `127.0.0.1:${await socketPortOf(server)}`;
      assert.match(server.log(), /remote operations enabled: remote cache \(modifier1 111\), remote RPC \(modifier1 173\); allowed peers: loopback, unix/);
      assert.match(server.log(), /plugin\(s\) python3: nothing to load in uwsgi-node, no effect/);
      assert.equal(await cache.set(addr, "", Buffer.from("k"), Buffer.from("remote-value"), 0, false), true);
      assert.equal((await httpRequest(server.port, "/get?key=k")).body, "remote-value");
      assert.equal((await rpc.call(addr, Buffer.from("hello"), [Buffer.from("a"), Buffer.from("b")]))?.toString(), "hello:a,b");
      // signals stay closed: only what was named is enabled
      assert.equal((await readUntilClose(Number(addr.split(":")[1]), encodeHeader(110, 0, 1))).length, 0);
    } finally {
      await server.stop();
    }
  });

  it("a malformed --remote-allow entry stops the start with the option named", async () => {
    const { runCli } = await import("./server-harness.js");
    const r = await runCli(["--http", "127.0.0.1:0", "--plugin", "rpc", "--remote-allow", "10.0.0.0/40", fixtureApp("remote-ops-app")]);
    assert.equal(r.code, 1);
    assert.match(r.stderr, /invalid value for option remote-allow: "10\.0\.0\.0\/40": the prefix length must be 0\.\.32/);
  });
});

/** Sends `request` from `localAddress` inside network namespace `ns` to host:port; the reply bytes. */
function askFromNamespace(ns: string, host: string, port: number, localAddress: string, request: Buffer): Promise<Buffer> {
  const script = `
    const net = require("node:net");
    const [host, port, local, hex] = process.argv.slice(1);
    const chunks = [];
    const s = net.connect({ host, port: Number(port), localAddress: local }, () => s.end(Buffer.from(hex, "hex")));
    s.on("data", (c) => chunks.push(c));
    s.on("error", () => {});
    s.on("close", () => process.stdout.write(Buffer.concat(chunks).toString("hex")));
    s.setTimeout(5000, () => s.destroy());`;
  return new Promise((resolve, reject) => {
    const child = spawn("ip", ["netns", "exec", ns, process.execPath, "-e", script, host, String(port), localAddress, request.toString("hex")], { stdio: ["ignore", "pipe", "pipe"] });
    let out = "";
    let err = "";
    child.stdout.on("data", (c: Buffer) => (out += c));
    child.stderr.on("data", (c: Buffer) => (err += c));
    child.on("error", reject);
    child.on("close", (code) => (code === 0 ? resolve(Buffer.from(out, "hex")) : reject(new Error(`netns client exited ${code}: ${err}`))));
  });
}

describe("remote operations: --remote-allow with non-loopback peers (inside a network namespace)", () => {
  // a /24 of 10.0.0.0/8 picked from the pid, so parallel runs do not collide
  const net = `10.${200 + (process.pid % 50)}.${(process.pid >> 6) % 250}`;
  const ns = `uwsgi-node-ra-${process.pid}`;
  const hostIf = `unra${process.pid % 100000}`;
  const nsIf = `unrb${process.pid % 100000}`;
  let server: TestServer;
  let port = 0;
  const ip = (...args: string[]) => execFileSync("ip", args, { stdio: ["ignore", "ignore", "pipe"] });

  before(async () => {
    ip("netns", "add", ns);
    ip("link", "add", hostIf, "type", "veth", "peer", "name", nsIf);
    ip("link", "set", nsIf, "netns", ns);
    ip("addr", "add", `${net}.1/24`, "dev", hostIf);
    ip("link", "set", hostIf, "up");
    ip("netns", "exec", ns, "ip", "addr", "add", `${net}.2/24`, "dev", nsIf);
    ip("netns", "exec", ns, "ip", "addr", "add", `${net}.3/24`, "dev", nsIf);
    ip("netns", "exec", ns, "ip", "link", "set", nsIf, "up");
    server = await startServer([
      "--http", "127.0.0.1:0", "--socket", `${net}.1:0`, "--plugin", "rpc", "--remote-allow", `loopback ${net}.2/32`,
      "--processes", "1", fixtureApp("remote-ops-app"),
    ]);
    port = await socketPortOf(server);
  });
  after(async () => {
    await server?.stop();
    try {
      ip("link", "del", hostIf);
    } catch {
      // already gone with the namespace
    }
    ip("netns", "del", ns);
  });

  it("admits the listed peer and refuses another address of the same network", async () => {
    const call = encodeRpcRequest("hello", ["ns"]);
    const admitted = await askFromNamespace(ns, `${net}.1`, port, `${net}.2`, call);
    assert.equal(admitted.subarray(4).toString(), "hello:ns");
    const refused = await askFromNamespace(ns, `${net}.1`, port, `${net}.3`, call);
    assert.equal(refused.length, 0);
    await server.waitForLog(new RegExp(`remote RPC \\(modifier1 173\\) refused: the peer is not in --remote-allow \\(loopback, ${net.replace(/\./g, "\\.")}\\.2/32\\) from ${net.replace(/\./g, "\\.")}\\.3:\\d+`));
  });
});
