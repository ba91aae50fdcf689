// Real nginx (`uwsgi_pass`) in front of our uwsgi protocol server.
import { after, before, test } from "node:test";
import assert from "node:assert/strict";
import { spawn, type ChildProcess } from "node:child_process";
import { createHash, randomBytes } from "node:crypto";
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import http from "node:http";
import net from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { currentRequest } from "../../src/core/request-context.js";
import { createUwsgiProtocolServer } from "../../src/server/uwsgi-protocol/uwsgi-protocol-server.js";

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

/** The app behind nginx: echo, body hash, big responses, header round trip. */
function app(req: http.IncomingMessage, res: http.ServerResponse): void {
  const url = new URL(req.url!, "http://x");
  if (url.pathname === "/big") {
    const size = Number(url.searchParams.get("mb")) * 1024 * 1024;
    const chunk = Buffer.alloc(64 * 1024);
    for (let i = 0; i < chunk.length; i++) chunk[i] = i & 0xff;
    if (url.searchParams.get("length") === "1") res.setHeader("Content-Length", size);
    let sent = 0;
    const pump = () => {
      while (sent < size) {
        sent += chunk.length;
        if (!res.write(chunk)) return void res.once("drain", pump);
      }
      res.end();
    };
    pump();
    return;
  }
  const hash = createHash("sha256");
  let length = 0;
  req.on("data", (c: Buffer) => {
    hash.update(c);
    length += c.length;
  });
  req.on("end", () => {
    const env = currentRequest()?.env ?? {};
    res.setHeader("X-Backend", "uwsgi-node");
    res.setHeader("Set-Cookie", ["a=1", "b=2"]);
    res.setHeader("Content-Type", "application/json");
    res.end(
      JSON.stringify({
        method: req.method,
        url: req.url,
        length,
        sha256: hash.digest("hex"),
        headers: req.headers,
        env: { REQUEST_METHOD: env.REQUEST_METHOD, REQUEST_URI: env.REQUEST_URI, HTTP_X_CLIENT: env.HTTP_X_CLIENT, REMOTE_ADDR: env.REMOTE_ADDR },
        ip: req.socket.remoteAddress,
      }),
    );
  });
}

let dir = "";
let nginx: ChildProcess | undefined;
let backend: net.Server | undefined;
let port = 0;
const logLines: string[] = [];

before(async () => {
  assert.ok(existsSync(NGINX), `nginx is required for this test: install it with "apt-get install -y nginx" (${NGINX} is missing)`);
  dir = mkdtempSync(join(tmpdir(), "uwsgi-node-nginx-"));
  backend = createUwsgiProtocolServer(app, { bufferSize: 4096, logger: (l) => logLines.push(l) });
  await new Promise<void>((resolve) => backend!.listen(0, "127.0.0.1", resolve));
  const upstream = (backend.address() as net.AddressInfo).port;
  port = await freePort();
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
  nginx = spawn(NGINX, ["-p", dir, "-c", join(dir, "nginx.conf")], { stdio: ["ignore", "ignore", "pipe"] });
  nginx.stderr!.on("data", (c: Buffer) => stderr.push(c));
  let exited: string | null = null;
  nginx.on("exit", (code, signal) => {
    exited = `nginx exited early (code ${code}, signal ${signal}): ${Buffer.concat(stderr).toString()}`;
  });
  await waitForPort(port, 10_000, () => exited);
});

after(async () => {
  if (nginx?.pid !== undefined && nginx.exitCode === null) {
    const gone = new Promise((r) => nginx!.once("exit", r));
    process.kill(nginx.pid, "SIGTERM");
    await gone;
  }
  if (backend) await new Promise((r) => backend!.close(r));
  if (dir) rmSync(dir, { recursive: true, force: true });
});

interface Reply {
  status: number;
  headers: http.IncomingHttpHeaders;
  body: Buffer;
  socket: net.Socket;
}

function call(path: string, options: http.RequestOptions & { body?: Buffer } = {}): Promise<Reply> {
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

test("nginx uwsgi_pass: GET with headers both ways, vars in uwsgi.env", async () => {
  const r = await call("/path/to?q=1&x=%20y", { headers: { "X-Client": "hello", Cookie: "k=v" } });
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

test("nginx uwsgi_pass: POST with a 5 MB body arrives intact (sha256 echoed)", async () => {
  const payload = randomBytes(5 * 1024 * 1024);
  const r = await call("/upload", { method: "POST", body: payload, headers: { "Content-Type": "application/octet-stream", "Content-Length": payload.length } });
  assert.equal(r.status, 200);
  const body = JSON.parse(r.body.toString());
  assert.equal(body.length, payload.length);
  assert.equal(body.sha256, createHash("sha256").update(payload).digest("hex"));
  assert.equal(body.headers["content-length"], String(payload.length));
});

test("nginx uwsgi_pass: client keep-alive carries several requests on one connection", async () => {
  const agent = new http.Agent({ keepAlive: true, maxSockets: 1 });
  try {
    const sockets = new Set<net.Socket>();
    for (let i = 0; i < 6; i++) {
      const r = await call(`/ka/${i}`, { agent, method: i % 2 ? "POST" : "GET", body: i % 2 ? Buffer.from(`body ${i}`) : undefined });
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

test("nginx uwsgi_pass: large responses, streamed without and with Content-Length", async () => {
  const expected = createHash("sha256");
  const chunk = Buffer.alloc(64 * 1024);
  for (let i = 0; i < chunk.length; i++) chunk[i] = i & 0xff;
  for (let i = 0; i < 16 * 16; i++) expected.update(chunk);
  const digest = expected.digest("hex");
  for (const length of ["0", "1"]) {
    const r = await call(`/big?mb=16&length=${length}`);
    assert.equal(r.status, 200);
    assert.equal(r.body.length, 16 * 1024 * 1024);
    assert.equal(createHash("sha256").update(r.body).digest("hex"), digest);
  }
});

test("nginx uwsgi_pass: nginx logged no upstream errors and the backend no bad packets", () => {
  const errors = readFileSync(join(dir, "error.log"), "utf8")
    .split("\n")
    .filter((l) => /\[(error|crit|alert|emerg)\]/.test(l));
  assert.deepEqual(errors, []);
  assert.deepEqual(logLines, []);
});
