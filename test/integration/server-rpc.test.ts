/**
 * RPC across the processes of an instance and with real uWSGI: a function registered only in a
 * mule answers calls from a worker (through the master) and calls from another node over
 * modifier1 173; our worker calls functions of a real uWSGI and a real uWSGI calls ours.
 */
import { describe, it, before, after } from "node:test";
import assert from "node:assert/strict";
import { type ChildProcess, spawn } from "node:child_process";
import { fileURLToPath } from "node:url";
import { eventually, fixtureApp, httpRequest, startServer, type TestServer } from "./server-harness.js";
import { freeTcpPort as freePort } from "../support/free-port.js";

const PY_APP = fileURLToPath(new URL("../../../test/fixtures/rpc-interop-app.py", import.meta.url));

async function get(port: number, path: string): Promise<Record<string, unknown>> {
  return JSON.parse((await httpRequest(port, path)).body) as Record<string, unknown>;
}


/** Starts a server with mules and waits longer than the harness's default for it to be ready (several processes start at once). */
async function startWithMules(args: string[]): Promise<TestServer> {
  const server = await startServer(args, { waitReady: false });
  try {
    await server.waitForLog(/\*\*\* uwsgi-node is ready/, 40_000);
  } catch (err) {
    await server.stop("SIGKILL");
    throw err;
  }
  return server;
}

describe("server: RPC across processes and nodes", { timeout: 90_000 }, () => {
  let server: TestServer;
  let uwsgiSocket = 0;
  let py: ChildProcess | null = null;
  let pyLog = "";
  let pyHttp = 0;
  let pySocket = 0;

  before(async () => {
    server = await startWithMules([
      "--http", "127.0.0.1:0", "--socket", "127.0.0.1:0", "--plugin", "rpc", "--processes", "1", "--disable-logging",
      "--mules", "1", fixtureApp("rpc-app"),
    ]);
    uwsgiSocket = Number((await server.waitForLog(/uwsgi socket 1 bound to TCP address 127\.0\.0\.1:(\d+)/))[1]);
    await server.waitForLog(/spawned uWSGI mule 1/);
    [pyHttp, pySocket] = [await freePort(), await freePort()];
    py = spawn("uwsgi", ["--plugin", "python3,rpc", "--master", "--die-on-term", "--processes", "1", "--http-socket", `127.0.0.1:${pyHttp}`, "--socket", `127.0.0.1:${pySocket}`, "--wsgi-file", PY_APP], { stdio: ["ignore", "pipe", "pipe"] });
    py.stdout!.on("data", (c: Buffer) => (pyLog += c.toString()));
    py.stderr!.on("data", (c: Buffer) => (pyLog += c.toString()));
    await eventually(() => /WSGI app 0 .* ready/.test(pyLog), 20000, `uWSGI to start:\n${pyLog}`);
  });
  after(async () => {
    await server.stop();
    if (py && py.exitCode === null) {
      const gone = new Promise((r) => py!.once("exit", r));
      py.kill("SIGTERM");
      await gone;
    }
  });

  it("a function registered only in a mule works from a worker (sync and async)", async () => {
    // the mule registers at import: wait until the master knows it
    const r = await eventually(async () => {
      const x = await get(server.port, "/call?f=in_mule&a=x&a=y");
      return x.result ? x : null;
    }, 15000, "the mule's function");
    assert.deepEqual(r, { result: "mule1:x,y" });
    assert.deepEqual(await get(server.port, "/call?f=in_mule_async&a=z"), { result: "async-mule1:z" });
    assert.deepEqual(await get(server.port, "/rpc?f=in_mule&a=q"), { result: "mule1:q" });
    // the caller's own functions first, and rpc_list stays per process
    assert.deepEqual(await get(server.port, "/call?f=in_worker"), { result: "worker1" });
    assert.deepEqual(await get(server.port, "/list"), { names: ["in_worker"] });
    assert.deepEqual(await get(server.port, "/call?f=nobody_has_it"), { result: null });
  });

  it("stated limits: more than 254 arguments is a coded error", async () => {
    assert.deepEqual(await get(server.port, "/many-args?f=in_mule&n=255"), { error: "UWSGI_ERR_RPC_CALL" });
    assert.deepEqual(await get(server.port, "/many-args?f=in_mule&n=3"), { result: "mule1:x,x,x" });
  });

  it("uwsgi-node → real uWSGI: rpc('host:port', ...) and call('name@host:port')", async () => {
    assert.deepEqual(await get(server.port, `/rpc?addr=127.0.0.1:${pySocket}&f=pyhello&a=a&a=b`), { result: "py:a,b" });
    assert.deepEqual(await get(server.port, `/call?f=pyhello@127.0.0.1:${pySocket}&a=c`), { result: "py:c" });
  });

  it("real uWSGI → uwsgi-node: uwsgi.rpc reaches a function registered only in our mule", async () => {
    const reply = await httpRequest(pyHttp, `/?addr=127.0.0.1:${uwsgiSocket}&f=in_mule&a=from-python`);
    assert.equal(reply.body, "mule1:from-python");
    const unknown = await httpRequest(pyHttp, `/?addr=127.0.0.1:${uwsgiSocket}&f=nobody_has_it&a=x`);
    assert.equal(unknown.body, "<none>");
  });
});
