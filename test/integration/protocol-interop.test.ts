/**
 * Wire interop with the real uWSGI 2.0.21: our encoded requests get replies from uWSGI that our
 * decoders read, and spool files cross over in both directions.
 */
import assert from "node:assert/strict";
import { type ChildProcess, spawn, spawnSync } from "node:child_process";
import { mkdirSync, mkdtempSync, readFileSync, readdirSync, rmSync } from "node:fs";
import { connect } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, test } from "node:test";
import { fileURLToPath } from "node:url";
import {
  decodeCacheMagicResponse,
  decodePingResponse,
  decodeStatusReply,
  encodeCacheMagicRequest,
  encodePingRequest,
  encodeRpcRequest,
  encodeSignalRequest,
  encodeSpoolRequest,
} from "../../src/protocol/messages.js";
import { decodeVars, varsToObject } from "../../src/protocol/packet.js";
import { CacheMagicResponseReader, RpcResponseReader } from "../../src/protocol/response-reader.js";
import { writeSpoolFile } from "../../src/protocol/spool-file-io.js";
import { decodeSpoolFile, isSpoolFileName } from "../../src/protocol/spool-file.js";
import { freeTcpPort as freePort } from "../support/free-port.js";
import { eventually } from "../support/eventually.js";

const APP = fileURLToPath(new URL("../../../test/fixtures/protocol-interop-app.py", import.meta.url));

let tmp = "";
let spoolDir = "";
let port = 0;
let uwsgi: ChildProcess | null = null;
let log = "";


/** Sends `request`, returns everything the server writes before closing (uWSGI closes after a reply). */
function exchange(request: Buffer, timeoutMs = 5000): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    const socket = connect(port, "127.0.0.1", () => socket.write(request));
    socket.setTimeout(timeoutMs, () => socket.destroy(new Error(`no reply within ${timeoutMs} ms; uWSGI log:\n${log}`)));
    socket.on("data", (chunk: Buffer) => chunks.push(chunk));
    socket.on("error", reject);
    socket.on("end", () => resolve(Buffer.concat(chunks)));
  });
}

/** Like {@link exchange} but feeds the reply chunks, as they arrive, to a streaming reader. */
async function exchangeWith<T>(request: Buffer, reader: { push(c: Buffer): void; result(): T | null; finish(): T }): Promise<T> {
  const reply = await exchange(request);
  for (let p = 0; p < reply.length; p += 1000) {
    reader.push(reply.subarray(p, p + 1000));
    reader.result();
  }
  return reader.finish();
}

async function rpc(func: string, ...args: Array<string | Buffer>): Promise<Buffer> {
  return exchangeWith(encodeRpcRequest(func, args), new RpcResponseReader());
}

before(async () => {
  const probe = spawnSync("uwsgi", ["--version"], { encoding: "utf8" });
  if (probe.error || probe.status !== 0) {
    assert.fail("uwsgi is not installed: install uWSGI 2.0.21 with its python3 plugin (e.g. apt-get install uwsgi uwsgi-plugin-python3)");
  }
  tmp = mkdtempSync(join(tmpdir(), "uwsgi-node-protocol-interop-"));
  spoolDir = join(tmp, "spool");
  mkdirSync(spoolDir);
  port = await freePort();
  uwsgi = spawn("uwsgi", [
    "--plugin", "python3,rpc,cache,signal,spooler,ping",
    "--master", "--processes", "1",
    "--socket", `127.0.0.1:${port}`,
    "--cache2", "name=c1,items=10",
    "--spooler", spoolDir,
    "--wsgi-file", APP,
  ], { cwd: tmp, stdio: ["ignore", "pipe", "pipe"] });
  uwsgi.stdout!.on("data", (c: Buffer) => (log += c.toString()));
  uwsgi.stderr!.on("data", (c: Buffer) => (log += c.toString()));
  let onExit: (code: number | null) => void = () => undefined;
  const exited = new Promise<never>((_, reject) => {
    onExit = (code) => reject(new Error(`uwsgi exited with ${code} during startup:\n${log}`));
    uwsgi!.once("exit", onExit);
  });
  try {
    const exitedWhy = (): string | null => (uwsgi!.exitCode !== null || uwsgi!.signalCode !== null ? `uwsgi exited with ${uwsgi!.exitCode ?? uwsgi!.signalCode} during startup:\n${log}` : null);
    await eventually(async () => (await Promise.race([rpc("hello", "ready"), exited])).toString() === "hello:ready", 20_000, `uWSGI to answer an RPC; log:\n${log}`, 100, exitedWhy);
  } finally {
    uwsgi.off("exit", onExit);
  }
});

after(async () => {
  if (uwsgi && uwsgi.exitCode === null && uwsgi.signalCode === null) {
    const gone = new Promise((resolve) => uwsgi!.once("exit", resolve));
    process.kill(uwsgi.pid!, "SIGINT");
    const timer = setTimeout(() => uwsgi!.exitCode === null && process.kill(uwsgi!.pid!, "SIGKILL"), 10_000);
    await gone;
    clearTimeout(timer);
  }
  if (tmp) rmSync(tmp, { recursive: true, force: true });
});

test("rpc: our request runs uWSGI's function; its reply decodes", async () => {
  assert.equal((await rpc("hello", "a", "b")).toString(), "hello:a,b");
  const raw = await exchange(encodeRpcRequest("hello", ["a", "b"]));
  assert.equal(raw.toString("hex"), "ad090000" + Buffer.from("hello:a,b").toString("hex"));
});

test("rpc: a 70000-byte return arrives with the modifier2 5 framing and decodes", async () => {
  const raw = await exchange(encodeRpcRequest("big", ["70000"]));
  assert.equal(raw.subarray(0, 4).toString("hex"), "ad170005");
  const value = await exchangeWith(encodeRpcRequest("big", ["70000"]), new RpcResponseReader());
  assert.equal(value.length, 70000);
  assert.ok(value.every((b) => b === 0x78));
});

test("rpc: uWSGI drops inner empty args and gives no reply for a trailing empty one (the bug our decoder fixes)", async () => {
  assert.equal((await rpc("argcount", "a", "", "c")).toString(), "2");
  assert.equal((await exchange(encodeRpcRequest("argcount", ["a", ""]))).length, 0);
});

test("cache magic: set with expiry, then get returns size, absolute expiry and the value", async () => {
  const before = Math.floor(Date.now() / 1000);
  const set = await exchangeWith(encodeCacheMagicRequest({ cmd: "set", key: "wk", value: "c1val", expires: 100, cache: "c1" }), new CacheMagicResponseReader());
  assert.equal(set.ok, true);
  assert.equal((await rpc("cget", "wk")).toString(), "c1val");
  const get = await exchangeWith(encodeCacheMagicRequest({ cmd: "get", key: "wk", cache: "c1" }), new CacheMagicResponseReader());
  assert.equal(get.ok, true);
  assert.equal(get.size, 5);
  assert.equal(get.value?.toString(), "c1val");
  assert.ok(get.expires >= before + 100 && get.expires <= Math.floor(Date.now() / 1000) + 100, `absolute expiry ${get.expires}`);
});

test("cache magic: exists/update/del round trips; a miss gets no reply at all", async () => {
  const magic = async (req: Parameters<typeof encodeCacheMagicRequest>[0]) => {
    const reply = await exchange(encodeCacheMagicRequest(req));
    return reply.length === 0 ? null : decodeCacheMagicResponse(reply);
  };
  assert.equal((await magic({ cmd: "set", key: "k2", value: "one", cache: "c1" }))?.ok, true);
  assert.equal(await magic({ cmd: "set", key: "k2", value: "two", cache: "c1" }), null);
  assert.equal((await magic({ cmd: "update", key: "k2", value: "three", cache: "c1" }))?.ok, true);
  assert.equal((await magic({ cmd: "get", key: "k2", cache: "c1" }))?.value?.toString(), "three");
  assert.equal((await magic({ cmd: "exists", key: "k2", cache: "c1" }))?.ok, true);
  assert.equal((await magic({ cmd: "del", key: "k2", cache: "c1" }))?.ok, true);
  assert.equal(await magic({ cmd: "get", key: "k2", cache: "c1" }), null);
  assert.equal(await magic({ cmd: "exists", key: "k2", cache: "c1" }), null);
});

test("remote signal, ping and remote spool get the documented bare replies", async () => {
  assert.equal((await exchange(encodeSignalRequest(10))).toString("hex"), "ff000001");
  assert.equal(decodeStatusReply(await exchange(encodeSignalRequest(10))), true);
  const pong = await exchange(encodePingRequest());
  assert.equal(pong.toString("hex"), "64000001");
  assert.equal(decodePingResponse(pong), null);
  const spooled = await exchange(encodeSpoolRequest([["a", "1"], ["action", "interop"]]));
  assert.equal(spooled.toString("hex"), "ff000001");
});

test("spool files: uWSGI reads ours (parsefile) and we read the ones it writes", async () => {
  const ours = await writeSpoolFile(tmp, [["action", "ours"], ["x", ""]], Buffer.from("BODY"));
  const parsed = decodeVars(await rpc("parse", ours));
  assert.deepEqual(parsed.map(([k, v]) => [k.toString(), v.toString()]), [["action", "ours"], ["x", ""]]);

  await exchange(encodeSpoolRequest([["action", "theirs"], ["n", "42"]]));
  const theirs = readdirSync(spoolDir).filter(isSpoolFileName).map((name) => decodeSpoolFile(readFileSync(join(spoolDir, name)), name));
  const match = theirs.map((t) => varsToObject(t.vars)).find((v) => v.action?.toString() === "theirs");
  assert.ok(match, `no spool file from uWSGI among ${theirs.length}; log:\n${log}`);
  assert.equal(match.n?.toString(), "42");
});
