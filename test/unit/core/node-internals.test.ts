// The bridge to Node's private HTTP/net fields: its start-up self-check passes on the running Node
// (CI runs this file on Node 20, 22 and 24), each accessor does what the server relies on, and when
// a field is missing or misbehaves the accessor takes the public path and the failure is logged once.
import { test } from "node:test";
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { IncomingMessage, ServerResponse } from "node:http";
import { connect, createServer, Socket, type AddressInfo } from "node:net";
import { fileURLToPath } from "node:url";
import {
  checkNodeInternals,
  clearNeedDrain,
  createServerHandleFunction,
  emitResponseClose,
  fillPeername,
  INTERNALS,
  reportNodeInternals,
  sentHead,
  setRequestHeaders,
  setSocketPeer,
  socketFd,
  watchedDescriptors,
} from "../../../src/core/node-internals.js";

const bridge = fileURLToPath(new URL("../../../src/core/node-internals.js", import.meta.url));

test(`node internals: every check passes on Node ${process.version}`, () => {
  const checks = checkNodeInternals();
  assert.deepEqual(checks.map((c) => c.name).sort(), Object.keys(INTERNALS).sort());
  for (const c of checks) assert.equal(c.ok, true, `${c.name}: ${c.detail}`);
  const lines: string[] = [];
  assert.deepEqual(reportNodeInternals((line) => lines.push(line)), []);
  assert.deepEqual(lines, []);
});

test("node internals: the accessors on the private fields set headers, peer, drain flag, close and head", () => {
  const req = new IncomingMessage(new Socket());
  setRequestHeaders(req, ["host", "example.org", "x-a", "1", "x-a", "2", "set-cookie", "a=1"]);
  assert.equal(req.headers.host, "example.org");
  assert.equal(req.headers["x-a"], "1, 2");
  assert.deepEqual(req.headers["set-cookie"], ["a=1"]);

  const socket = new Socket();
  setSocketPeer(socket, "2001:db8::1", 4242);
  assert.equal(socket.remoteAddress, "2001:db8::1");
  assert.equal(socket.remotePort, 4242);
  assert.equal(socket.remoteFamily, "IPv6");
  assert.equal(socketFd(socket), -1); // not connected: no handle

  const res = new ServerResponse(req);
  const sym = Object.getOwnPropertySymbols(res).find((s) => s.description === "kNeedDrain")!;
  (res as unknown as Record<symbol, boolean>)[sym] = true;
  assert.equal(res.writableNeedDrain, true);
  clearNeedDrain(res);
  assert.equal(res.writableNeedDrain, false);

  assert.equal(sentHead(res), null);
  res.writeHead(200, { "content-length": "2" }); // without a socket: the head is stored, as sent
  assert.match(sentHead(res) ?? "", /^HTTP\/1\.1 200 OK\r\ncontent-length: 2\r\n.*\r\n\r\n$/s);

  let closes = 0;
  res.on("close", () => closes++);
  emitResponseClose(res);
  emitResponseClose(res);
  assert.equal(closes, 1);
  assert.equal(res.destroyed, true);

  assert.ok(watchedDescriptors() instanceof Set);
  assert.equal(typeof createServerHandleFunction(), "function");
});

test("node internals: fillPeername caches an accepted TCP connection's peer as Node's getters report it, once", async () => {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const accepted = new Promise<Socket>((resolve) => server.once("connection", resolve));
  const client = connect((server.address() as AddressInfo).port, "127.0.0.1");
  try {
    const socket = await accepted;
    await new Promise<void>((resolve) => (client.localPort === undefined ? client.once("connect", () => resolve()) : resolve()));
    fillPeername(socket);
    const cached = (socket as unknown as { _peername: unknown })._peername;
    assert.deepEqual(cached, { address: "127.0.0.1", family: "IPv4", port: client.localPort });
    assert.equal(socket.remoteAddress, "127.0.0.1");
    assert.equal(socket.remotePort, client.localPort);
    assert.equal(socket.remoteFamily, "IPv4");
    fillPeername(socket);
    assert.equal((socket as unknown as { _peername: unknown })._peername, cached, "a filled cache is kept");
    const unconnected = new Socket();
    fillPeername(unconnected);
    assert.equal(unconnected.remoteAddress, undefined, "no handle: nothing cached");
  } finally {
    client.destroy();
    server.close();
  }
});

// A Node whose private fields are gone: the same process-level sabotage in a child, so the checks
// (run once per process) see it.
const SABOTAGE = `
import http from "node:http";
import net from "node:net";
delete http.IncomingMessage.prototype._addHeaderLines;
delete process._getActiveHandles;
delete net._createServerHandle;
const bridge = await import(process.env.BRIDGE);
const lines = [];
const failed = bridge.reportNodeInternals((line) => lines.push(line)).map((c) => c.name).sort();
const req = new http.IncomingMessage(new net.Socket());
bridge.setRequestHeaders(req, ["host", "h", "x-a", "1", "x-a", "2"]);
let thrown = "";
try { bridge.createServerHandleFunction(); } catch (err) { thrown = err.message; }
bridge.reportNodeInternals((line) => lines.push(line)); // a second report logs nothing new
console.log(JSON.stringify({ failed, lines, headers: req.headers, raw: req.rawHeaders, watched: bridge.watchedDescriptors(), thrown }));
`;

test("node internals: a missing private field fails its check, is logged once, and its accessor takes the public path", () => {
  const r = spawnSync(process.execPath, ["--input-type=module", "-e", SABOTAGE], { encoding: "utf8", env: { ...process.env, BRIDGE: bridge }, timeout: 30_000 });
  assert.equal(r.status, 0, r.stderr);
  const out = JSON.parse(r.stdout.trim()) as { failed: string[]; lines: string[]; headers: Record<string, string>; raw: string[]; watched: unknown; thrown: string };
  assert.deepEqual(out.failed, ["_addHeaderLines", "_createServerHandle", "_getActiveHandles"]);
  assert.equal(out.lines.length, 3);
  for (const line of out.lines) assert.match(line, /^uwsgi-node: Node\.js v\d+.*: private _\w+ not usable \(.+\); /);
  assert.deepEqual(out.headers, { host: "h", "x-a": "1, 2" });
  assert.deepEqual(out.raw, ["host", "h", "x-a", "1", "x-a", "2"]);
  assert.equal(out.watched, null); // every descriptor then counts as watched: none is adopted or closed
  assert.match(out.thrown, /no usable net\._createServerHandle/);
});
