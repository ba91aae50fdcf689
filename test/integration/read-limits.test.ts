/**
 * Timeouts and limits on every read, on a real server: `--socket-timeout` for HTTP header blocks,
 * new connections and request bodies on both socket types, `--limit-post`, `--http-keepalive`,
 * `--max-connections` and `--listen` applied to the kernel backlog.
 */
import { after, before, describe, it } from "node:test";
import assert from "node:assert/strict";
import { execFileSync } from "node:child_process";
import net from "node:net";
import { encodePacket, encodeVars } from "../../src/protocol/packet.js";
import { eventually, fixtureApp, httpRequest, startServer, type TestServer } from "./server-harness.js";

/** Connects, writes `head`, then waits for the server to close; resolves with what it sent and how long it took. */
function stall(port: number, head: Buffer | string, writes: Array<Buffer | string> = []): Promise<{ reply: string; ms: number }> {
  return new Promise((resolve, reject) => {
    const t0 = Date.now();
    const chunks: Buffer[] = [];
    const socket = net.connect(port, "127.0.0.1", () => {
      if (head.length > 0) socket.write(head);
      for (const w of writes) socket.write(w);
    });
    socket.on("data", (c: Buffer) => chunks.push(c));
    socket.on("error", (err: NodeJS.ErrnoException) => (err.code === "ECONNRESET" ? undefined : reject(err)));
    socket.on("close", () => resolve({ reply: Buffer.concat(chunks).toString("latin1"), ms: Date.now() - t0 }));
    socket.setTimeout(10_000, () => socket.destroy(new Error("the server never closed the connection")));
  });
}

/** Sends `body` in pieces, one every `everyMs`, after `head`; resolves with the reply once the server closes. */
function drip(port: number, head: Buffer | string, body: Buffer, everyMs: number): Promise<string> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    const socket = net.connect(port, "127.0.0.1", () => {
      socket.write(head);
      let i = 0;
      const timer = setInterval(() => {
        if (i >= body.length || socket.destroyed) return clearInterval(timer);
        socket.write(body.subarray(i, i + 1));
        i++;
      }, everyMs);
    });
    socket.on("data", (c: Buffer) => chunks.push(c));
    socket.on("error", reject);
    socket.on("end", () => resolve(Buffer.concat(chunks).toString("latin1")));
  });
}

function uwsgiPost(length: number, body = ""): Buffer {
  const vars = { REQUEST_METHOD: "POST", REQUEST_URI: "/body", PATH_INFO: "/body", SERVER_PROTOCOL: "HTTP/1.1", CONTENT_LENGTH: String(length) };
  return Buffer.concat([encodePacket(0, 0, encodeVars(vars)), Buffer.from(body)]);
}

async function socketPortOf(server: TestServer): Promise<number> {
  return Number((await server.waitForLog(/uwsgi socket 1 bound to TCP address [^\s]+:(\d+) fd \d+ \(uwsgi\)/))[1]);
}

describe("read limits: --socket-timeout 1, --limit-post 100", () => {
  let server: TestServer;
  let uwsgiPort = 0;
  before(async () => {
    server = await startServer([
      "--http", "127.0.0.1:0", "--socket", "127.0.0.1:0", "--processes", "1", "--socket-timeout", "1", "--limit-post", "100",
      fixtureApp("node-listener-app"),
    ]);
    uwsgiPort = await socketPortOf(server);
  });
  after(() => server?.stop());

  it("regression: an incomplete HTTP header block was held forever; now 408 and closed within the timeout", async () => {
    const r = await stall(server.port, "GET / HTTP/1.1\r\nHost: x\r\nX-Slow: ");
    assert.match(r.reply, /^HTTP\/1\.1 408 Request Timeout/);
    assert.ok(r.ms < 3000, `closed after ${r.ms} ms`);
  });

  it("a connection that sends nothing is closed within the timeout (HTTP and uwsgi)", async () => {
    for (const port of [server.port, uwsgiPort]) {
      const r = await stall(port, "");
      assert.ok(r.ms < 3000, `port ${port}: closed after ${r.ms} ms`);
    }
  });

  it("regression: a stalled request body was never timed out (HTTP and uwsgi); now the request is aborted and logged", async () => {
    const http = await stall(server.port, "POST /body HTTP/1.1\r\nHost: x\r\nContent-Length: 50\r\n\r\nabc");
    assert.ok(http.ms < 3000, `HTTP: closed after ${http.ms} ms`);
    await server.waitForLog(/http: timeout during read of the request body: no data for 1000 ms \(POST "\/body"\) from 127\.0\.0\.1:\d+/);
    const uwsgi = await stall(uwsgiPort, uwsgiPost(50, "abc"));
    assert.ok(uwsgi.ms < 3000, `uwsgi: closed after ${uwsgi.ms} ms`);
    await server.waitForLog(/uwsgi: timeout during read of the request body: no data for 1000 ms \(47 bytes missing\) from 127\.0\.0\.1:\d+/);
    // the worker was not harmed: it still serves
    assert.equal((await httpRequest(server.port, "/pid")).status, 200);
  });

  it("a slow but steady body (a byte every 300 ms, 2 s in all) is not cut: the timeout is per read", async () => {
    const body = Buffer.from("abcdefg");
    const reply = await drip(server.port, `POST /body HTTP/1.1\r\nHost: x\r\nContent-Length: ${body.length}\r\nConnection: close\r\n\r\n`, body, 300);
    assert.match(reply, /^HTTP\/1\.1 200/);
    assert.match(reply, /len=7/);
  });

  it("--limit-post: HTTP answers 413 (declared or chunked), the uwsgi socket closes with uWSGI's log line", async () => {
    const declared = await httpRequest(server.port, "/body", { method: "POST", body: "x".repeat(101) });
    assert.equal(declared.status, 413);
    const fits = await httpRequest(server.port, "/body", { method: "POST", body: "x".repeat(100) });
    assert.equal(fits.status, 200);
    assert.match(fits.body, /len=100/);
    const chunked = await stall(server.port, "POST /body HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n", ["64\r\n" + "y".repeat(100) + "\r\n", "10\r\n" + "z".repeat(16) + "\r\n"]);
    assert.match(chunked.reply, /^HTTP\/1\.1 413 /);
    const uwsgi = await stall(uwsgiPort, uwsgiPost(101));
    assert.equal(uwsgi.reply, "");
    await server.waitForLog(/uwsgi: Invalid \(too big\) CONTENT_LENGTH 101 \(--limit-post 100\)\. skip\./);
  });
});

describe("connection limits: --listen, --http-keepalive, --max-connections", () => {
  let server: TestServer;
  before(async () => {
    server = await startServer([
      "--http", "127.0.0.1:0", "--processes", "1", "--listen", "17", "--http-keepalive=2", "--max-connections", "3", "--socket-timeout", "30",
      fixtureApp("node-listener-app"),
    ]);
  });
  after(() => server?.stop());

  it("regression: --listen was reported but the kernel backlog stayed 511; now the socket listens with it", () => {
    const line = execFileSync("ss", ["-ltnH", `sport = :${server.port}`], { encoding: "utf8" }).trim();
    assert.match(line, /^LISTEN\s+\d+\s+17\s/, line);
  });

  it("--http-keepalive=2 closes an idle keep-alive connection after about two seconds", async () => {
    const r = await stall(server.port, "GET /pid HTTP/1.1\r\nHost: x\r\n\r\n");
    assert.match(r.reply, /^HTTP\/1\.1 200/);
    assert.match(r.reply, /Keep-Alive: timeout=2/);
    assert.ok(r.ms >= 1800 && r.ms < 4000, `closed after ${r.ms} ms`);
  });

  it("--max-connections 3: a fourth connection is closed at once and logged", async () => {
    const held: net.Socket[] = [];
    try {
      for (let i = 0; i < 3; i++) {
        const s = net.connect(server.port, "127.0.0.1");
        await new Promise((resolve) => s.once("connect", resolve));
        held.push(s);
      }
      const fourth = await stall(server.port, "GET /pid HTTP/1.1\r\nHost: x\r\n\r\n");
      assert.equal(fourth.reply, "");
      await server.waitForLog(/worker 1: 3 connections open, the limit is 3 \(--max-connections/);
    } finally {
      for (const s of held) s.destroy();
    }
  });
});

describe("--max-connections on a uwsgi socket", () => {
  it("a fourth connection is closed at once and logged; closed connections free their places", async () => {
    // admission and drain tracking run inside the uwsgi protocol server's accept and its one
    // 'close' listener: a place not given back would refuse every later connection
    const server = await startServer(["--http", "127.0.0.1:0", "--socket", "127.0.0.1:0", "--processes", "1", "--max-connections", "3", "--socket-timeout", "30", fixtureApp("node-listener-app")]);
    const held: net.Socket[] = [];
    try {
      const port = await socketPortOf(server);
      for (let i = 0; i < 3; i++) {
        const s = net.connect(port, "127.0.0.1");
        await new Promise((resolve) => s.once("connect", resolve));
        held.push(s);
      }
      const packet = encodePacket(0, 0, encodeVars({ REQUEST_METHOD: "GET", REQUEST_URI: "/pid", PATH_INFO: "/pid", SERVER_PROTOCOL: "HTTP/1.1" }));
      const fourth = await stall(port, packet);
      assert.equal(fourth.reply, "");
      await server.waitForLog(/worker 1: 3 connections open, the limit is 3 \(--max-connections/);
      for (const s of held.splice(0)) {
        const closed = new Promise((resolve) => s.once("close", resolve));
        s.destroy();
        await closed;
      }
      // the worker sees the three closes a moment after the client does: a request is answered again
      await eventually(async () => /^HTTP\/1\.1 200/.test((await stall(port, packet)).reply), 10_000, "a place given back");
      // more requests than the limit, one after the other: each closed connection gave its place back
      for (let i = 0; i < 5; i++) {
        const r = await stall(port, packet);
        assert.match(r.reply, /^HTTP\/1\.1 200/, `request ${i}: ${JSON.stringify(r.reply)}`);
      }
    } finally {
      for (const s of held) s.destroy();
      await server.stop();
    }
  });
});

describe("--http-keepalive 0", () => {
  it("closes the connection after each response", async () => {
    const server = await startServer(["--http", "127.0.0.1:0", "--processes", "1", "--http-keepalive=0", fixtureApp("node-listener-app")]);
    try {
      const r = await stall(server.port, "GET /pid HTTP/1.1\r\nHost: x\r\n\r\n");
      assert.match(r.reply, /Connection: close/i);
      assert.ok(r.ms < 2000, `closed after ${r.ms} ms`);
    } finally {
      await server.stop();
    }
  });
});
