/**
 * Remote signals (modifier1 110) both ways with a real uWSGI 2.0.21 (`--plugin python3,signal`):
 * a real uWSGI's `uwsgi.signal(N, "host:port")` reaches our `--socket` and our master routes N
 * for the whole instance (behaviour spec §1.5.4); our `uwsgi.signal(N, "host:port")` makes the
 * real uWSGI run its Python handler (seen through the file the handler appends to).
 */
import { after, before, describe, it } from "node:test";
import assert from "node:assert/strict";
import { type ChildProcess, spawn } from "node:child_process";
import { existsSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { freeTcpPort } from "../support/free-port.js";
import { eventually, fixtureApp, httpRequest, startServer, tempDir, type TestServer } from "./server-harness.js";

const PY_APP = fileURLToPath(new URL("../../../test/fixtures/remote-signal-app.py", import.meta.url));

async function get(port: number, path: string): Promise<Record<string, unknown>> {
  const r = await httpRequest(port, path);
  assert.equal(r.status, 200, r.body);
  return JSON.parse(r.body) as Record<string, unknown>;
}

describe("server: remote signals with a real uWSGI", { timeout: 60_000 }, () => {
  let server: TestServer;
  let ourSocket = 0;
  let py: ChildProcess | null = null;
  let pyLog = "";
  let pyHttp = 0;
  let pySocket = 0;
  const dir = tempDir();
  const signalFile = join(dir.path, "signals.txt");

  before(async () => {
    server = await startServer([
      "--http", "127.0.0.1:0", "--socket", "127.0.0.1:0", "--plugin", "signal", "--processes", "2", "--disable-logging",
      "--cache2", "name=default,items=100", fixtureApp("remote-signal-app"),
    ]);
    ourSocket = Number((await server.waitForLog(/uwsgi socket 1 bound to TCP address 127\.0\.0\.1:(\d+)/))[1]);
    [pyHttp, pySocket] = [await freeTcpPort(), await freeTcpPort()];
    py = spawn("uwsgi", [
      "--plugin", "python3,signal", "--master", "--die-on-term", "--processes", "1", "--disable-logging",
      "--http-socket", `127.0.0.1:${pyHttp}`, "--socket", `127.0.0.1:${pySocket}`, "--wsgi-file", PY_APP,
    ], { stdio: ["ignore", "pipe", "pipe"], env: { ...process.env, SIGNAL_FILE: signalFile } });
    py.stdout!.on("data", (c: Buffer) => (pyLog += c.toString()));
    py.stderr!.on("data", (c: Buffer) => (pyLog += c.toString()));
    await eventually(() => /WSGI app 0 .* ready/.test(pyLog), 20_000, `uWSGI to start:\n${pyLog}`);
  });
  after(async () => {
    await server?.stop();
    if (py && py.exitCode === null && py.signalCode === null) {
      const gone = new Promise((r) => py!.once("exit", r));
      py.kill("SIGTERM");
      await gone;
    }
    dir.cleanup();
  });

  it("real uWSGI → uwsgi-node: signal(40, our socket) runs our 'worker' handler once; signal(42) runs the 'workers' handler in each worker", async () => {
    assert.equal((await httpRequest(pyHttp, `/?addr=127.0.0.1:${ourSocket}&n=40`)).body, "ok");
    await eventually(async () => (await get(server.port, "/counts")).s40 === 1, 10_000, "our handler of signal 40");
    assert.equal((await httpRequest(pyHttp, `/?addr=127.0.0.1:${ourSocket}&n=42`)).body, "ok");
    const c = await eventually(async () => {
      const v = (await get(server.port, "/counts")) as { s40: number; s42: Record<string, number> };
      return v.s42["1"] === 1 && v.s42["2"] === 1 ? v : null;
    }, 10_000, "the 'workers' handler of signal 42 in both workers");
    // routed once for the instance: no second run of 40, one run of 42 per worker
    assert.equal(c.s40, 1);
  });

  it("uwsgi-node → real uWSGI: our signal(41, its socket) runs its Python handler", async () => {
    assert.deepEqual(await get(server.port, `/raise?addr=127.0.0.1:${pySocket}&n=41`), { ok: true });
    const text = await eventually(() => (existsSync(signalFile) ? readFileSync(signalFile, "utf8") : null), 10_000, `uWSGI's handler to write ${signalFile}:\n${pyLog}`);
    assert.match(text, /^41 \d+\n$/);
  });

  it("a node that is not there: UWSGI_ERR_SIGNAL_REMOTE_UNREACHABLE", async () => {
    const closed = await freeTcpPort();
    assert.deepEqual(await get(server.port, `/raise?addr=127.0.0.1:${closed}&n=41`), { error: "UWSGI_ERR_SIGNAL_REMOTE_UNREACHABLE" });
  });
});
