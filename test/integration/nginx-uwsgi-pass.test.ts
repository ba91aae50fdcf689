// Real nginx (`uwsgi_pass`) in front of uwsgi-node: the real CLI (`--socket`, 2 workers) and,
// separately, the uwsgi protocol server alone in this process.
import { after, before, describe, test } from "node:test";
import assert from "node:assert/strict";
import { spawn, type ChildProcess } from "node:child_process";
import { createHash, randomBytes } from "node:crypto";
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import http from "node:http";
import net from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { createUwsgiProtocolServer } from "../../src/server/uwsgi-protocol/uwsgi-protocol-server.js";
import nginxBackendApp from "../fixtures/nginx/nginx-backend-app.js";
import { startServer } from "./server-harness.js";

const NGINX = "/usr/sbin/nginx";

// What Debian's /etc/nginx/uwsgi_params holds, for machines without it.
const INLINE_UWSGI_PARAMS = `
uwsgi_param QUERY_STRING $query_string; uwsgi_param REQUEST_METHOD $request_method;
uwsgi_param CONTENT_TYPE $content_type; uwsgi_param CONTENT_LENGTH $content_length;
uwsgi_param REQUEST_URI $request_uri; uwsgi_param PATH_INFO $document_uri;
uwsgi_param DOCUMENT_ROOT $document_root; uwsgi_param SERVER_PROTOCOL $server_protocol;
uwsgi_param REQUEST_SCHEME $scheme; uwsgi_param HTTPS $https if_not_empty;
uwsgi_param REMOTE_ADDR $remote_addr; uwsgi_param REMOTE_PORT $remote_port;
uwsgi_param SERVER_PORT $server_port; uwsgi_param SERVER_NAME $server_name;
uwsgi_param HTTP_HOST $host;`;

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = net.createServer();
    s.on("error", reject);
    s.listen(0, "127.0.0.1", () => {
      const { port } = s.address() as net.AddressInfo;
      s.close(() => resolve(port));
    });
  });
}

async function waitForPort(port: number, deadlineMs: number, died: () => string | null): Promise<void> {
  const until = Date.now() + deadlineMs;
  for (;;) {
    const why = died();
    if (why !== null) throw new Error(why);
    const ok = await new Promise<boolean>((resolve) => {
      const s = net.connect(port, "127.0.0.1", () => {
        s.destroy();
        resolve(true);
      });
      s.on("error", () => resolve(false));
    });
    if (ok) return;
    if (Date.now() > until) throw new Error(`nginx did not listen on 127.0.0.1:${port} within ${deadlineMs} ms`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

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

/** nginx in a temp dir, proxying `uwsgi_pass` to `upstream`; stopped by pid. */
async function startNginx(upstream: number): Promise<{ port: number; errors(): string[]; stop(): Promise<void> }> {
  assert.ok(existsSync(NGINX), `nginx is required for this test: install it with "apt-get install -y nginx" (${NGINX} is missing)`);
  const dir = mkdtempSync(join(tmpdir(), "uwsgi-node-nginx-"));
  const port = await freePort();
  const params = existsSync("/etc/nginx/uwsgi_params") ? "include /etc/nginx/uwsgi_params;" : INLINE_UWSGI_PARAMS;
  writeFileSync(
    join(dir, "nginx.conf"),
    `daemon off;
master_process off;
worker_processes 1;
pid ${dir}/nginx.pid;
error_log ${dir}/error.log warn;
events { worker_connections 64; }
http {
  access_log off;
  client_body_temp_path ${dir}/client_body;
  proxy_temp_path ${dir}/proxy;
  fastcgi_temp_path ${dir}/fastcgi;
  uwsgi_temp_path ${dir}/uwsgi;
  scgi_temp_path ${dir}/scgi;
  client_max_body_size 64m;
  keepalive_requests 1000;
  server {
    listen 127.0.0.1:${port};
    location / {
      ${params}
      uwsgi_pass 127.0.0.1:${upstream};
    }
  }
}
`,
  );
  const stderr: Buffer[] = [];
  const child: ChildProcess = spawn(NGINX, ["-p", dir, "-c", join(dir, "nginx.conf")], { stdio: ["ignore", "ignore", "pipe"] });
  child.stderr!.on("data", (c: Buffer) => stderr.push(c));
  let exited: string | null = null;
  child.on("exit", (code, signal) => {
    exited = `nginx exited early (code ${code}, signal ${signal}): ${Buffer.concat(stderr).toString()}`;
  });
  const stop = async () => {
    if (child.pid !== undefined && child.exitCode === null && child.signalCode === null) {
      const gone = new Promise((r) => child.once("exit", r));
      process.kill(child.pid, "SIGTERM");
      await gone;
    }
    rmSync(dir, { recursive: true, force: true });
  };
  try {
    await waitForPort(port, 10_000, () => exited);
  } catch (err) {
    await stop();
    throw err;
  }
  return {
    port,
    // only real failures: nginx also warns when it buffers big bodies to its temp files
    errors: () => readFileSync(join(dir, "error.log"), "utf8").split("\n").filter((l) => /\[(error|crit|alert|emerg)\]/.test(l)),
    stop,
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
