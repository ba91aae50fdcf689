/**
 * The request context in a worker follows async code only once the app has loaded the `uwsgi`
 * module: a worker whose app never loads it does not pay Node 20's async hooks for a context
 * nobody can read (request-context.ts). Over --http and over the uwsgi protocol.
 */
import { after, before, describe, it } from "node:test";
import assert from "node:assert/strict";
import { fixtureApp, httpRequest, startServer, uwsgiRequest, type TestServer } from "./server-harness.js";
import { eventually } from "../support/eventually.js";

interface Probe {
  sync: string | null;
  afterAwait: string | null;
  inTimer: string | null;
  env: string | null;
}

describe("server: request context tracking follows the uwsgi module", () => {
  let server: TestServer;
  let uwsgiPort = 0;
  before(async () => {
    server = await startServer(["--http", "127.0.0.1:0", "--socket", "127.0.0.1:0", "--processes", "1", fixtureApp("lazy-uwsgi-app")]);
    uwsgiPort = Number((await server.waitForLog(/uwsgi socket 1 bound to TCP address 127\.0\.0\.1:(\d+) fd \d+ \(uwsgi\)/))[1]);
  });
  after(async () => {
    await server?.stop();
  });

  const probeHttp = async (path: string): Promise<Probe> => JSON.parse((await httpRequest(server.port, path)).body) as Probe;
  const probeUwsgi = async (path: string): Promise<Probe> => {
    const reply = await uwsgiRequest(uwsgiPort, { REQUEST_METHOD: "GET", REQUEST_URI: path, PATH_INFO: path, SERVER_PROTOCOL: "HTTP/1.1" });
    return JSON.parse(reply.split("\r\n\r\n")[1]!) as Probe;
  };

  it("before the app loads the module: the request is current while the listener runs, not after an await", async () => {
    assert.deepEqual(await probeHttp("/a"), { sync: "/a", afterAwait: null, inTimer: null, env: null });
    assert.deepEqual(await probeUwsgi("/b"), { sync: "/b", afterAwait: null, inTimer: null, env: null });
  });

  it("once the app has loaded it: the request follows awaits and timers, and uwsgi.env sees it", async () => {
    assert.equal((await httpRequest(server.port, "/load")).body, "loaded");
    assert.deepEqual(await probeHttp("/c"), { sync: "/c", afterAwait: "/c", inTimer: "/c", env: "/c" });
    assert.deepEqual(await probeUwsgi("/d"), { sync: "/d", afterAwait: "/d", inTimer: "/d", env: "/d" });
  });

  it("concurrent requests suspended across awaits each see their own env and request id when resumed in another order", async () => {
    const paths = ["/wait1", "/wait2", "/wait3"];
    const replies = paths.map((p) => httpRequest(server.port, p));
    await eventually(async () => (await httpRequest(server.port, "/waiting")).body === "3", 10000, "three requests suspended");
    assert.equal((await httpRequest(server.port, "/release")).body, "released");
    const seen = (await Promise.all(replies)).map((r) => JSON.parse(r.body) as { before: { path: string; id: number }; after: { path: string; id: number } });
    assert.deepEqual(seen.map((s) => s.after.path), paths);
    assert.deepEqual(seen.map((s) => s.after), seen.map((s) => s.before), "the same request after the awaits");
  });
});
