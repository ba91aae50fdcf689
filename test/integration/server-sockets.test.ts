/**
 * The other kinds of sockets the master binds: the uwsgi protocol (`--socket`, what nginx's
 * uwsgi_pass speaks), unix sockets, and the stats server filled from the master's worker table.
 */
import { after, before, describe, it } from "node:test";
import assert from "node:assert/strict";
import { existsSync } from "node:fs";
import { request } from "node:http";
import { join } from "node:path";
import { eventually, fixtureApp, httpRequest, readUntilClose, startServer, tempDir, uwsgiRequest, type TestServer } from "./server-harness.js";

/** Reads the whole stats document. */
const readStats = (port: number): Promise<string> => readUntilClose(port);

describe("server: uwsgi protocol socket and stats server", () => {
  let server: TestServer;
  let uwsgiPort = 0;
  let statsPort = 0;
  before(async () => {
    server = await startServer(["--http", "127.0.0.1:0", "--socket", "127.0.0.1:0", "--stats", "127.0.0.1:0", "--master", "-p", "2", fixtureApp("node-listener-app")]);
    uwsgiPort = Number((await server.waitForLog(/uwsgi socket 1 bound to TCP address 127\.0\.0\.1:(\d+) fd \d+ \(uwsgi\)/))[1]);
    statsPort = Number((await server.waitForLog(/Stats server enabled on 127\.0\.0\.1:(\d+)/))[1]);
  });
  after(async () => {
    await server?.stop();
  });

  it("serves the app over the uwsgi protocol with the packet's vars as uwsgi.env", async () => {
    const vars = {
      REQUEST_METHOD: "GET",
      REQUEST_URI: "/info?via=uwsgi",
      PATH_INFO: "/info",
      QUERY_STRING: "via=uwsgi",
      SERVER_PROTOCOL: "HTTP/1.1",
      SERVER_NAME: "example.org",
      SERVER_PORT: "80",
      REMOTE_ADDR: "10.1.2.3",
      REMOTE_PORT: "40000",
      HTTP_HOST: "example.org",
    };
    const raw = await uwsgiRequest(uwsgiPort, vars);
    assert.match(raw, /^HTTP\/1\.1 200 OK\r\n/);
    const info = JSON.parse(raw.slice(raw.indexOf("\r\n\r\n") + 4)) as { method: string; path: string; masterpid: number; worker_id: number };
    assert.equal(info.method, "GET");
    assert.equal(info.path, "/info");
    assert.equal(info.masterpid, server.pid);
    assert.ok(info.worker_id >= 1);
    const bytes = Object.entries(vars).reduce((n, [k, v]) => n + 4 + k.length + v.length, 0);
    await server.waitForLog(new RegExp(`\\] 10\\.1\\.2\\.3 \\(\\) \\{10 vars in ${bytes} bytes\\} \\[[^\\]]+\\] GET /info\\?via=uwsgi => generated \\d+ bytes`));
  });

  it("serves the stats document from the master's worker table", async () => {
    await httpRequest(server.port, "/");
    type Doc = {
      version: string;
      pid: number;
      sockets: Array<{ name: string; proto: string; max_queue: number }>;
      workers: Array<{ id: number; pid: number; requests: number; status: string; respawn_count: number; accepting: number; apps: unknown[] }>;
    };
    // the workers report their counters to the master a few times a second
    const doc = await eventually(async () => {
      const d = JSON.parse(await readStats(statsPort)) as Doc;
      return d.workers.reduce((n, w) => n + w.requests, 0) >= 2 && d.workers.every((w) => w.status === "idle") ? d : null;
    }, 10000, "the master's table counting the requests");
    assert.match(doc.version, /^2\.0\.21-uwsgi-node-/);
    assert.equal(doc.pid, server.pid);
    assert.deepEqual(doc.sockets.map((s) => s.proto), ["http", "uwsgi"]);
    assert.equal(doc.sockets[0]!.name, `127.0.0.1:${server.port}`);
    assert.equal(doc.sockets[0]!.max_queue, 100);
    assert.deepEqual(doc.workers.map((w) => w.id), [1, 2]);
    for (const w of doc.workers) {
      assert.ok(w.pid > 0);
      assert.equal(w.respawn_count, 1, "the stats server shows the raw spawn counter");
      assert.equal(w.accepting, 1);
      assert.equal(w.status, "idle");
      assert.equal(w.apps.length, 1);
    }
    assert.ok(doc.workers.reduce((n, w) => n + w.requests, 0) >= 2);
  });
});

describe("server: unix sockets", () => {
  it("serves HTTP on a unix socket path and removes it with --vacuum", async () => {
    const dir = tempDir();
    const path = join(dir.path, "app.sock");
    try {
      const server = await startServer(["--http", "127.0.0.1:0", "--http-socket", path, "--vacuum", "--disable-logging", fixtureApp("node-listener-app")]);
      try {
        const body = await new Promise<string>((resolve, reject) => {
          const req = request({ socketPath: path, path: "/pid" }, (res) => {
            let text = "";
            res.on("data", (c: Buffer) => (text += c.toString()));
            res.on("end", () => resolve(text));
          });
          req.on("error", reject);
          req.end();
        });
        assert.match(body, /^\d+$/);
      } finally {
        await server.stop();
      }
      assert.equal(existsSync(path), false, "--vacuum removes the socket file");
    } finally {
      dir.cleanup();
    }
  });
});
