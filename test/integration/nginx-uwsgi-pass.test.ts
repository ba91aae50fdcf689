// Real nginx (`uwsgi_pass`) in front of uwsgi-node: the real CLI (`--socket`, 2 workers) and,
// separately, the uwsgi protocol server alone in this process.
import { after, before, describe, test } from "node:test";
import assert from "node:assert/strict";
import { createHash, randomBytes } from "node:crypto";
import http from "node:http";
import net from "node:net";
import { fileURLToPath } from "node:url";
import { createUwsgiProtocolServer } from "../../src/server/uwsgi-protocol/uwsgi-protocol-server.js";
import nginxBackendApp from "../fixtures/nginx/nginx-backend-app.js";
import { startServer } from "./server-harness.js";
import { startNginx } from "../support/nginx.js";

/** A uwsgi-node backend speaking the uwsgi protocol on a loopback port. */
interface Backend {
  port: number;
  /** Problems the backend logged (bad packets, failures). */
  problems(): string[];
  stop(): Promise<void>;
}

/** The real server: `uwsgi-node --socket 127.0.0.1:0 --processes 2`. */
async function startCli(): Promise<Backend> {
  const appFile = fileURLToPath(new URL("../fixtures/nginx/nginx-backend-app.js", import.meta.url));
  const server = await startServer(["--socket", "127.0.0.1:0", "--processes", "2", "--module", appFile, "--disable-logging"]);
  return {
    port: server.port,
    problems: () => server.log().split("\n").filter((l) => /^uwsgi: |unhandled|Error/.test(l)),
    stop: async () => {
      await server.stop("SIGINT");
    },
  };
}

/** The protocol server alone, in this process. */
async function startInProcess(): Promise<Backend> {
  const lines: string[] = [];
  const server = createUwsgiProtocolServer(nginxBackendApp, { bufferSize: 4096, logger: (l) => lines.push(l) });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  return {
    port: (server.address() as net.AddressInfo).port,
    problems: () => lines,
    stop: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}

interface Reply {
  status: number;
  headers: http.IncomingHttpHeaders;
  body: Buffer;
  socket: net.Socket;
}

function call(port: number, path: string, options: http.RequestOptions & { body?: Buffer } = {}): Promise<Reply> {
  return new Promise((resolve, reject) => {
    const req = http.request({ host: "127.0.0.1", port, path, ...options }, (res) => {
      const chunks: Buffer[] = [];
      res.on("data", (c: Buffer) => chunks.push(c));
      res.on("end", () => resolve({ status: res.statusCode!, headers: res.headers, body: Buffer.concat(chunks), socket: res.socket }));
    });
    req.on("error", reject);
    req.end(options.body);
  });
}

function nginxSuite(name: string, startBackend: () => Promise<Backend>): void {
  describe(`nginx uwsgi_pass -> ${name}`, () => {
    let backend: Backend | undefined;
    let front: Awaited<ReturnType<typeof startNginx>> | undefined;
    const get = (path: string, options?: http.RequestOptions & { body?: Buffer }) => call(front!.port, path, options);

    before(async () => {
      backend = await startBackend();
      front = await startNginx(backend.port);
    });

    after(async () => {
      await front?.stop();
      await backend?.stop();
    });

    test("GET with headers both ways, vars in uwsgi.env", async () => {
      const r = await get("/path/to?q=1&x=%20y", { headers: { "X-Client": "hello", Cookie: "k=v" } });
      assert.equal(r.status, 200);
      assert.equal(r.headers["x-backend"], "uwsgi-node");
      assert.deepEqual(r.headers["set-cookie"], ["a=1", "b=2"]);
      assert.equal(r.headers["content-type"], "application/json");
      const body = JSON.parse(r.body.toString());
      assert.equal(body.method, "GET");
      assert.equal(body.url, "/path/to?q=1&x=%20y");
      assert.equal(body.headers["x-client"], "hello");
      assert.equal(body.headers.cookie, "k=v");
      assert.equal(body.headers.host, "127.0.0.1");
      assert.deepEqual(body.env, { REQUEST_METHOD: "GET", REQUEST_URI: "/path/to?q=1&x=%20y", HTTP_X_CLIENT: "hello", REMOTE_ADDR: "127.0.0.1" });
      assert.equal(body.ip, "127.0.0.1");
    });

    test("POST with a 5 MB body arrives intact (sha256 echoed)", async () => {
      const payload = randomBytes(5 * 1024 * 1024);
      const r = await get("/upload", { method: "POST", body: payload, headers: { "Content-Type": "application/octet-stream", "Content-Length": payload.length } });
      assert.equal(r.status, 200);
      const body = JSON.parse(r.body.toString());
      assert.equal(body.length, payload.length);
      assert.equal(body.sha256, createHash("sha256").update(payload).digest("hex"));
      assert.equal(body.headers["content-length"], String(payload.length));
    });

    test("an answer sent before a 5 MB body was read reaches the client (no 502)", async () => {
      const payload = randomBytes(5 * 1024 * 1024);
      const r = await get("/reject", { method: "POST", body: payload, headers: { "Content-Length": payload.length } });
      assert.equal(r.status, 413);
      assert.equal(r.body.toString(), "rejected early");
    });

    test("client keep-alive carries several requests on one connection", async () => {
      const agent = new http.Agent({ keepAlive: true, maxSockets: 1 });
      try {
        const sockets = new Set<net.Socket>();
        for (let i = 0; i < 6; i++) {
          const r = await get(`/ka/${i}`, { agent, method: i % 2 ? "POST" : "GET", body: i % 2 ? Buffer.from(`body ${i}`) : undefined });
          assert.equal(r.status, 200);
          assert.equal(JSON.parse(r.body.toString()).url, `/ka/${i}`);
          assert.notEqual(r.headers.connection, "close");
          sockets.add(r.socket);
        }
        assert.equal(sockets.size, 1);
      } finally {
        agent.destroy();
      }
    });

    test("large responses, streamed without and with Content-Length", async () => {
      const expected = createHash("sha256");
      const chunk = Buffer.alloc(64 * 1024);
      for (let i = 0; i < chunk.length; i++) chunk[i] = i & 0xff;
      for (let i = 0; i < 16 * 16; i++) expected.update(chunk);
      const digest = expected.digest("hex");
      for (const length of ["0", "1"]) {
        const r = await get(`/big?mb=16&length=${length}`);
        assert.equal(r.status, 200);
        assert.equal(r.body.length, 16 * 1024 * 1024);
        assert.equal(createHash("sha256").update(r.body).digest("hex"), digest);
      }
    });

    test("nginx logged no upstream errors and the backend no bad packets", () => {
      assert.deepEqual(front!.errors(), []);
      assert.deepEqual(backend!.problems(), []);
    });
  });
}

nginxSuite("uwsgi-node CLI (--socket, 2 workers)", startCli);
nginxSuite("uwsgi protocol server in this process", startInProcess);
