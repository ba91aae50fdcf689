import { RateLimitedLog } from "../../src/core/rate-limited-log.js";
import { test } from "node:test";
import assert from "node:assert/strict";
import { createHash, randomBytes } from "node:crypto";
import type { IncomingMessage, ServerResponse } from "node:http";
import net from "node:net";
import { currentRequest } from "../../src/core/request-context.js";
import { uwsgi } from "../../src/uwsgi.js";
import { encodePacket, encodeVars, encodeHeader } from "../../src/protocol/packet.js";
import { ModifierRegistry } from "../../src/server/uwsgi-protocol/modifier-handlers.js";
import { eventually } from "../support/eventually.js";
import {
  createUwsgiProtocolServer,
  type UwsgiProtocolServerOptions,
  type UwsgiRequestEvent,
  type UwsgiResponseEvent,
} from "../../src/server/uwsgi-protocol/uwsgi-protocol-server.js";

type Listener = (req: IncomingMessage, res: ServerResponse) => void;

/** Starts a uwsgi protocol server on a free loopback port; returns it with its port and log lines. */
async function start(listener: Listener, options: Partial<UwsgiProtocolServerOptions> = {}, keepEveryLine = false) {
  const lines: string[] = [];
  // keepEveryLine: no rate limit on client-triggered lines (that limit: client-error-log.test.ts)
  const limitedLog = keepEveryLine ? { limitedLog: new RateLimitedLog((l) => lines.push(l), { burst: 1000 }) } : {};
  const server = createUwsgiProtocolServer(listener, { bufferSize: 4096, logger: (l) => lines.push(l), ...limitedLog, ...options });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const port = (server.address() as net.AddressInfo).port;
  return {
    port,
    lines,
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}

/**
 * Sends `parts` and reads until the server closes. With `between`, each part is first handed to
 * the kernel (write callback) and `between()` is awaited before the next one.
 */
function exchange(port: number, parts: Buffer[], between?: () => Promise<void>): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const sock = net.connect(port, "127.0.0.1");
    const chunks: Buffer[] = [];
    sock.on("connect", async () => {
      for (const p of parts) {
        if (sock.destroyed) break;
        if (!between) {
          sock.write(p);
          continue;
        }
        await new Promise((r) => sock.write(p, r));
        await between();
      }
    });
    sock.on("data", (c) => chunks.push(c));
    sock.on("error", (err: NodeJS.ErrnoException) => (err.code === "ECONNRESET" ? resolve(Buffer.concat(chunks)) : reject(err)));
    sock.on("close", () => resolve(Buffer.concat(chunks)));
  });
}

function request(vars: Record<string, string>, body: Buffer = Buffer.alloc(0), modifier1 = 0): Buffer {
  const withLength = body.length > 0 ? { ...vars, CONTENT_LENGTH: String(body.length) } : vars;
  return Buffer.concat([encodePacket(modifier1, 0, encodeVars(withLength)), body]);
}

function parseResponse(raw: Buffer) {
  const end = raw.indexOf("\r\n\r\n");
  const [statusLine, ...headerLines] = raw.subarray(0, end).toString("latin1").split("\r\n");
  const headers: Record<string, string> = {};
  for (const l of headerLines) headers[l.slice(0, l.indexOf(":")).toLowerCase()] = l.slice(l.indexOf(":") + 1).trim();
  return { statusLine: statusLine!, headers, body: raw.subarray(end + 4) };
}

const GET = { REQUEST_METHOD: "GET", REQUEST_URI: "/hello?x=1", PATH_INFO: "/hello", QUERY_STRING: "x=1", SERVER_PROTOCOL: "HTTP/1.1", HTTP_HOST: "example.test" };

test("uwsgi protocol: a modifier1 0 request becomes a Node request; the raw HTTP/1.1 response ends with the connection", async () => {
  const srv = await start((req, res) => {
    res.setHeader("X-Seen", `${req.method} ${req.url} ${req.httpVersion} ${req.headers.host}`);
    res.end("hi there");
  });
  try {
    const r = parseResponse(await exchange(srv.port, [request(GET)]));
    assert.equal(r.statusLine, "HTTP/1.1 200 OK");
    assert.equal(r.headers["x-seen"], "GET /hello?x=1 1.1 example.test");
    assert.equal(r.headers["content-length"], "8");
    assert.equal(r.headers["connection"], undefined); // no Connection header, as uWSGI
    assert.equal(r.headers["transfer-encoding"], undefined);
    assert.equal(r.body.toString(), "hi there");
  } finally {
    await srv.close();
  }
});

test("uwsgi protocol: vars reach uwsgi.env through the request context; headers, remote address and HTTPS are mapped", async () => {
  let seen: Record<string, unknown> = {};
  const srv = await start((req, res) => {
    setImmediate(() => {
      // still inside the request after an async hop
      seen = {
        env: currentRequest()?.env,
        headers: req.headers,
        ip: req.socket.remoteAddress,
        port: req.socket.remotePort,
        encrypted: (req.socket as { encrypted?: boolean }).encrypted,
      };
      res.end();
    });
  });
  try {
    const vars = {
      ...GET, HTTP_X_CUSTOM_THING: "v1", HTTP_COOKIE: "a=b; c=d", CONTENT_TYPE: "text/plain",
      REMOTE_ADDR: "203.0.113.9", REMOTE_PORT: "41000", HTTPS: "on", SERVER_NAME: "example.test",
    };
    await exchange(srv.port, [request(vars)]);
    const env = seen.env as Record<string, string>;
    assert.equal(env.REQUEST_URI, "/hello?x=1");
    assert.equal(env.HTTP_X_CUSTOM_THING, "v1");
    assert.equal(env.SERVER_NAME, "example.test");
    const headers = seen.headers as Record<string, string>;
    assert.equal(headers["x-custom-thing"], "v1");
    assert.equal(headers.cookie, "a=b; c=d");
    assert.equal(headers["content-type"], "text/plain");
    assert.equal(seen.ip, "203.0.113.9");
    assert.equal(seen.port, 41000);
    assert.equal(seen.encrypted, true);
  } finally {
    await srv.close();
  }
});

test("uwsgi protocol: without REQUEST_URI the target is SCRIPT_NAME + PATH_INFO (escaped) + QUERY_STRING; modifier1 30 strips SCRIPT_NAME from PATH_INFO", async () => {
  const seen: Array<{ url: string; path: string }> = [];
  const srv = await start((req, res) => {
    seen.push({ url: req.url!, path: currentRequest()!.env.PATH_INFO! });
    res.end();
  });
  try {
    const vars = { REQUEST_METHOD: "GET", SCRIPT_NAME: "/app", PATH_INFO: "/app/a b?#%", QUERY_STRING: "q=1", SERVER_PROTOCOL: "HTTP/1.1" };
    await exchange(srv.port, [request(vars)]);
    await exchange(srv.port, [request({ ...vars, PATH_INFO: "/app/x" }, undefined, 30)]);
    assert.deepEqual(seen, [
      { url: "/app/app/a%20b%3F%23%25?q=1", path: "/app/a b?#%" },
      { url: "/app/app/x?q=1", path: "/x" },
    ]);
  } finally {
    await srv.close();
  }
});

test("uwsgi protocol: SERVER_PROTOCOL sets req.httpVersion; HTTP/1.0 responses still carry Content-Length", async () => {
  const versions: string[] = [];
  const srv = await start((req, res) => {
    versions.push(`${req.httpVersion}/${req.httpVersionMajor}/${req.httpVersionMinor}`);
    res.end("x");
  });
  try {
    const r10 = parseResponse(await exchange(srv.port, [request({ ...GET, SERVER_PROTOCOL: "HTTP/1.0" })]));
    assert.equal(r10.headers["content-length"], "1");
    await exchange(srv.port, [request({ ...GET, SERVER_PROTOCOL: "HTTP/2.0" })]);
    await exchange(srv.port, [request({ REQUEST_METHOD: "GET", PATH_INFO: "/" })]);
    assert.deepEqual(versions, ["1.0/1/0", "2.0/2/0", "1.0/1/0"]);
  } finally {
    await srv.close();
  }
});

test("uwsgi protocol: a large body streams through in pieces (20 MB, sent slowly in chunks) and is never chunk-encoded back", async () => {
  const srv = await start((req, res) => {
    const hash = createHash("sha256");
    let pieces = 0;
    req.on("data", (c: Buffer) => {
      pieces++;
      hash.update(c);
    });
    req.on("end", () => {
      res.write(`${pieces > 10 ? "streamed" : "buffered"} `); // no Content-Length: body ends at close
      res.end(hash.digest("hex"));
    });
  });
  try {
    const body = randomBytes(20 * 1024 * 1024);
    const head = encodePacket(0, 0, encodeVars({ ...GET, REQUEST_METHOD: "POST", CONTENT_LENGTH: String(body.length) }));
    const parts = [Buffer.concat([head, body.subarray(0, 1000)])];
    for (let off = 1000; off < body.length; off += 2 * 1024 * 1024) parts.push(body.subarray(off, off + 2 * 1024 * 1024));
    const r = parseResponse(await exchange(srv.port, parts, async () => {}));
    assert.equal(r.headers["transfer-encoding"], undefined);
    assert.equal(r.headers["content-length"], undefined);
    assert.equal(r.body.toString(), `streamed ${createHash("sha256").update(body).digest("hex")}`);
  } finally {
    await srv.close();
  }
});

test("uwsgi protocol: req.pipe(res) echo and a large streamed response with backpressure", async () => {
  const srv = await start((req, res) => {
    if (req.url === "/echo") {
      req.pipe(res);
      return;
    }
    let i = 0;
    const chunk = Buffer.alloc(64 * 1024, 0x61);
    const pump = () => {
      while (i < 256) {
        i++;
        if (!res.write(chunk)) return void res.once("drain", pump);
      }
      res.end();
    };
    pump();
  });
  try {
    const body = randomBytes(3 * 1024 * 1024);
    const echoed = parseResponse(await exchange(srv.port, [request({ ...GET, REQUEST_URI: "/echo", REQUEST_METHOD: "PUT" }, body)]));
    assert.ok(echoed.body.equals(body));
    const big = parseResponse(await exchange(srv.port, [request({ ...GET, REQUEST_URI: "/big" })]));
    assert.equal(big.body.length, 256 * 64 * 1024);
  } finally {
    await srv.close();
  }
});

test("uwsgi protocol: an answer sent before the body was read still reaches the client; the rest of the body is drained, not reset", async () => {
  const srv = await start((_req, res) => {
    // writeHead without a length: a close-delimited answer, while the body is still arriving
    res.writeHead(413, { "Content-Type": "text/plain" });
    res.end("too large");
  });
  try {
    const body = randomBytes(4 * 1024 * 1024);
    const result = await new Promise<{ raw: Buffer; error: string | null }>((resolve) => {
      const s = net.connect(srv.port, "127.0.0.1");
      const chunks: Buffer[] = [];
      let error: string | null = null;
      s.on("connect", async () => {
        s.write(encodePacket(0, 0, encodeVars({ ...GET, REQUEST_METHOD: "POST", CONTENT_LENGTH: String(body.length) })));
        for (let off = 0; off < body.length; off += 256 * 1024) {
          // paced by the socket: each piece is handed to the kernel before the next is written
          if (!s.destroyed) await new Promise((r) => s.write(body.subarray(off, off + 256 * 1024), r));
        }
      });
      s.on("data", (c) => chunks.push(c));
      s.on("error", (err) => (error = err.message));
      s.on("close", () => resolve({ raw: Buffer.concat(chunks), error }));
    });
    assert.equal(result.error, null);
    const r = parseResponse(result.raw);
    assert.equal(r.statusLine, "HTTP/1.1 413 Payload Too Large");
    assert.equal(r.body.toString(), "too large");
    assert.deepEqual(srv.lines, []);
  } finally {
    await srv.close();
  }
});

test("uwsgi protocol: Expect and Connection headers are passed to the app but never change the framing", async () => {
  const srv = await start((req, res) => {
    res.setHeader("Connection", "keep-alive"); // an app asking for keep-alive still gets its connection closed
    res.end(`${req.headers.expect}|${req.headers.connection}`);
  });
  try {
    const raw = await exchange(srv.port, [request({ ...GET, HTTP_EXPECT: "100-continue", HTTP_CONNECTION: "keep-alive" }, Buffer.from("abc"))]);
    assert.ok(!raw.toString("latin1").includes("100 Continue"));
    assert.equal(parseResponse(raw).body.toString(), "100-continue|keep-alive");
    const odd = await exchange(srv.port, [request({ ...GET, HTTP_EXPECT: "something-else" })]);
    assert.equal(parseResponse(odd).statusLine, "HTTP/1.1 200 OK");
  } finally {
    await srv.close();
  }
});

test("uwsgi protocol: a packet larger than --buffer-size is logged (uWSGI's message) and closed; the server keeps serving", async () => {
  const srv = await start((_req, res) => res.end("ok"));
  try {
    const big = request({ ...GET, HTTP_X_PAD: "p".repeat(5000) });
    assert.equal((await exchange(srv.port, [big])).length, 0);
    assert.match(srv.lines.join("\n"), /invalid request block size: \d+ \(max 4096\) from 127\.0\.0\.1:\d+, closing the connection/);
    assert.equal(parseResponse(await exchange(srv.port, [request(GET)])).body.toString(), "ok");
  } finally {
    await srv.close();
  }
});

test("uwsgi protocol: --buffer-size up to 65535 accepts big vars blocks", async () => {
  const srv = await start((req, res) => res.end(String(req.headers["x-pad"]?.length)), { bufferSize: 65535 });
  try {
    const r = await exchange(srv.port, [request({ ...GET, HTTP_X_PAD: "p".repeat(60000) })]);
    assert.equal(parseResponse(r).body.toString(), "60000");
  } finally {
    await srv.close();
  }
});

test("uwsgi protocol: malformed vars, truncated packets and vars that cannot be HTTP are logged and closed", async () => {
  let calls = 0;
  const srv = await start(
    (_req, res) => {
      calls++;
      res.end("ok");
    },
    {},
    true,
  );
  try {
    // zero key length
    await exchange(srv.port, [Buffer.concat([encodeHeader(0, 4, 0), Buffer.from([0, 0, 1, 0])])]);
    // record running past the end of the payload
    await exchange(srv.port, [Buffer.concat([encodeHeader(0, 5, 0), Buffer.from([5, 0, 0x61, 0x62, 0x63])])]);
    // header injection attempt through a var value
    await exchange(srv.port, [request({ ...GET, HTTP_X_EVIL: "a\r\nContent-Length: 5" })]);
    // bad method and bad CONTENT_LENGTH
    await exchange(srv.port, [request({ ...GET, REQUEST_METHOD: "GE T" })]);
    await exchange(srv.port, [request({ ...GET, CONTENT_LENGTH: "12abc" })]);
    const log = srv.lines.join("\n");
    assert.match(log, /malformed uwsgi packet: vars: zero key length at offset 0/);
    assert.match(log, /malformed uwsgi packet: vars: key of 5 bytes at offset 2 runs past the end/);
    assert.match(log, /var HTTP_X_EVIL contains control characters/);
    assert.match(log, /REQUEST_METHOD "GE T" is not an HTTP method token/);
    assert.match(log, /CONTENT_LENGTH "12abc" is not a number/);
    assert.equal(calls, 0);
    assert.equal(parseResponse(await exchange(srv.port, [request(GET)])).body.toString(), "ok");
  } finally {
    await srv.close();
  }
});

test("uwsgi protocol: a client closing mid-packet is logged as truncated; a silent client times out", async () => {
  const srv = await start((_req, res) => res.end("ok"), { readTimeoutMs: 200 });
  try {
    await new Promise<void>((resolve) => {
      const s = net.connect(srv.port, "127.0.0.1", () => s.end(request(GET).subarray(0, 30)));
      s.on("close", () => resolve());
      s.resume();
    });
    const silent = await exchange(srv.port, []);
    assert.equal(silent.length, 0);
    const log = srv.lines.join("\n");
    assert.match(log, /truncated uwsgi packet: the connection ended after 26 of \d+ payload bytes \(modifier1 0\)/);
    assert.match(log, /timeout: no complete uwsgi packet within 200 ms \(0 bytes received\)/);
    assert.equal(parseResponse(await exchange(srv.port, [request(GET)])).body.toString(), "ok");
  } finally {
    await srv.close();
  }
});

test("uwsgi protocol: bytes after the announced body are never served as a second request", async () => {
  const urls: string[] = [];
  let log: string[] = [];
  const judged = () => /unexpected data after the request body/.test(log.join("\n"));
  const srv = await start((req, res) => {
    urls.push(req.url!);
    // answered only once the extra bytes were judged: a second request made of them would have
    // been dispatched by then
    void eventually(judged, 5000, "the extra bytes to be judged").finally(() => res.end("ok"));
  });
  log = srv.lines;
  try {
    const smuggled = Buffer.from("GET /admin HTTP/1.1\r\nHost: x\r\n\r\n");
    const r = await exchange(srv.port, [Buffer.concat([request({ ...GET, REQUEST_METHOD: "POST" }, Buffer.from("abc")), smuggled])]);
    assert.equal(parseResponse(r).body.toString(), "ok");
    // the extra bytes are judged (and logged) once the body is read; nothing is dispatched after
    await eventually(() => /unexpected data after the request body/.test(srv.lines.join("\n")), 5000, "the extra bytes to be logged");
    assert.deepEqual(urls, ["/hello?x=1"]);
  } finally {
    await srv.close();
  }
});

test("uwsgi protocol: an exception thrown by the app is logged, answered with 500 and reported to onResponse", async () => {
  const ends: UwsgiResponseEvent[] = [];
  const srv = await start(
    () => {
      throw new Error("app exploded");
    },
    { onResponse: (e) => ends.push(e) },
  );
  try {
    const r = parseResponse(await exchange(srv.port, [request(GET)]));
    assert.equal(r.statusLine, "HTTP/1.1 500 Internal Server Error");
    assert.match(srv.lines.join("\n"), /unhandled exception serving GET \/hello\?x=1: Error: app exploded/);
    await eventually(() => ends.length > 0, 5000, "onResponse");
    assert.equal(ends.length, 1);
    assert.equal(ends[0]!.status, 500);
    assert.match(String(ends[0]!.error), /app exploded/);
  } finally {
    await srv.close();
  }
});

test("uwsgi protocol: onRequest/onResponse see every request with env, status, bytes and duration", async () => {
  const starts: UwsgiRequestEvent[] = [];
  const ends: UwsgiResponseEvent[] = [];
  const srv = await start((_req, res) => {
    res.statusCode = 201;
    res.end("created");
  }, { onRequest: (e) => starts.push(e), onResponse: (e) => ends.push(e) });
  try {
    const raw = await exchange(srv.port, [request(GET)]);
    await eventually(() => ends.length > 0, 5000, "onResponse");
    assert.equal(starts.length, 1);
    assert.equal(starts[0]!.env!.REQUEST_URI, "/hello?x=1");
    assert.equal(ends[0]!.status, 201);
    assert.equal(ends[0]!.txBytes, raw.length);
    assert.equal(ends[0]!.aborted, false);
    assert.ok(ends[0]!.durationMicros >= 0);
  } finally {
    await srv.close();
  }
});

test("uwsgi protocol: ping (modifier1 100) answers the warning message, capped at 80 bytes, and is not accounted", async () => {
  let warning: string | null = null;
  const starts: UwsgiRequestEvent[] = [];
  const srv = await start((_req, res) => res.end(), {
    getWarningMessage: () => warning,
    modifiers: new ModifierRegistry(),
    onRequest: (e) => starts.push(e),
  });
  try {
    assert.deepEqual([...(await exchange(srv.port, [encodeHeader(100, 0, 0)]))], [0x64, 0, 0, 1]);
    warning = "w".repeat(100);
    const r = await exchange(srv.port, [encodeHeader(100, 0, 0)]);
    assert.deepEqual([...r.subarray(0, 4)], [0x64, 80, 0, 1]);
    assert.equal(r.subarray(4).toString(), "w".repeat(80));
    assert.equal(starts.length, 0);
  } finally {
    await srv.close();
  }
});

test("uwsgi protocol: other modifiers go to registered handlers, which can read bytes after the packet", async () => {
  const registry = new ModifierRegistry();
  let handlerEntered!: () => void;
  const inHandler = new Promise<void>((r) => (handlerEntered = r));
  registry.register(173, async ({ payload, socket, readBytes, modifier2 }) => {
    handlerEntered();
    const extra = await readBytes(5);
    socket.write(Buffer.concat([Buffer.from(`m2=${modifier2} `), payload, Buffer.from(" + "), extra ?? Buffer.from("none")]));
  });
  registry.register(111, () => {
    throw new Error("cache handler broke");
  });
  registry.setRemoteAccess({ modifiers: [111, 173], allow: ["loopback"] });
  const ends: UwsgiResponseEvent[] = [];
  const srv = await start((_req, res) => res.end(), { modifiers: registry, onResponse: (e) => ends.push(e) });
  try {
    // "cde" is sent only once the handler runs: readBytes(5) must join bytes from two reads
    const r = await exchange(srv.port, [Buffer.concat([encodePacket(173, 7, Buffer.from("payload")), Buffer.from("ab")]), Buffer.from("cde")], () => inHandler);
    assert.equal(r.toString(), "m2=7 payload + abcde");
    await exchange(srv.port, [encodePacket(111, 0, Buffer.from("k"))]);
    assert.match(srv.lines.join("\n"), /modifier1 111 handler failed for 127\.0\.0\.1:\d+: cache handler broke/);
    await exchange(srv.port, [encodePacket(42, 0, Buffer.alloc(0))]);
    assert.match(srv.lines.join("\n"), /-- unavailable modifier requested: 42 --/);
    assert.equal(ends.length, 2);
    assert.equal(ends[0]!.modifier1, 173);
    assert.equal(ends[1]!.aborted, true);
    assert.throws(() => registry.register(256, () => {}), { code: "UWSGI_ERR_INVALID_ARGUMENT" });
  } finally {
    await srv.close();
  }
});

test("remote operations are refused unless enabled, then served only to allowed peers (counted, logged once per burst)", async () => {
  const registry = new ModifierRegistry();
  let served = 0;
  for (const m1 of [17, 110, 111, 173]) registry.register(m1, ({ socket }) => void socket.write(`served ${m1} ${++served}`));
  const srv = await start((_req, res) => res.end(), { modifiers: registry });
  try {
    for (const m1 of [17, 110, 111, 173]) assert.equal((await exchange(srv.port, [encodePacket(m1, 0, Buffer.from("k"))])).length, 0, `modifier1 ${m1} closed by default`);
    assert.equal(served, 0);
    assert.equal(registry.refused, 4);
    assert.match(srv.lines.join("\n"), /-- unavailable modifier requested: 111 -- \(remote cache is disabled; enable it with --plugin cache\) from 127\.0\.0\.1:\d+/);
    registry.setRemoteAccess({ modifiers: [111], allow: ["unix", "10.0.0.0/8"] });
    assert.equal((await exchange(srv.port, [encodePacket(111, 0, Buffer.from("k"))])).length, 0, "loopback is not in this allow-list");
    assert.match(srv.lines.join("\n"), /remote cache \(modifier1 111\) refused: the peer is not in --remote-allow \(unix, 10\.0\.0\.0\/8\) from 127\.0\.0\.1/);
    registry.setRemoteAccess({ modifiers: [111], allow: ["127.0.0.1"] });
    assert.equal((await exchange(srv.port, [encodePacket(111, 0, Buffer.from("k"))])).toString(), "served 111 1");
    assert.equal((await exchange(srv.port, [encodePacket(173, 0, Buffer.from("k"))])).length, 0, "rpc still closed");
    assert.equal(registry.refused, 6);
    assert.throws(() => registry.setRemoteAccess({ modifiers: [42], allow: [] }), { code: "UWSGI_ERR_INVALID_ARGUMENT" });
    // a client repeating a refused request cannot flood the log
    const before = srv.lines.length;
    for (let i = 0; i < 20; i++) await exchange(srv.port, [encodePacket(173, 0, Buffer.from("k"))]);
    assert.ok(srv.lines.length - before <= 3, `${srv.lines.length - before} lines for 20 refusals`);
    assert.equal(registry.refused, 26);
  } finally {
    await srv.close();
  }
});

test("remote operations: UNIX socket clients are admitted by the 'unix' entry, not by an address", async (t) => {
  const registry = new ModifierRegistry();
  registry.register(173, ({ socket }) => void socket.write("rpc ok"));
  const lines: string[] = [];
  const server = createUwsgiProtocolServer((_req, res) => res.end(), { bufferSize: 4096, logger: (l) => lines.push(l), modifiers: registry });
  const path = `/tmp/uwsgi-node-gate-${process.pid}.sock`;
  await new Promise<void>((resolve) => server.listen(path, resolve));
  t.after(() => new Promise<void>((resolve) => server.close(() => resolve())));
  const ask = () =>
    new Promise<string>((resolve, reject) => {
      const chunks: Buffer[] = [];
      const sock = net.connect(path, () => sock.write(encodePacket(173, 0, Buffer.from("f"))));
      sock.on("data", (c) => chunks.push(c));
      sock.on("error", (err: NodeJS.ErrnoException) => (err.code === "ECONNRESET" ? resolve(Buffer.concat(chunks).toString()) : reject(err)));
      sock.on("close", () => resolve(Buffer.concat(chunks).toString()));
    });
  registry.setRemoteAccess({ modifiers: [173], allow: ["loopback"] });
  assert.equal(await ask(), "");
  assert.match(lines.join("\n"), /refused: the peer is not in --remote-allow \(loopback\) from a unix socket client/);
  registry.setRemoteAccess({ modifiers: [173], allow: ["unix"] });
  assert.equal(await ask(), "rpc ok");
});

test("uwsgi protocol: concurrent connections are served independently", async () => {
  // every answer waits until all 30 requests are in the app at once, then they end in reverse order
  const held: Array<() => void> = [];
  const srv = await start((req, res) => {
    held.push(() => res.end(req.url));
    if (held.length === 30) held.reverse().forEach((end) => end());
  });
  try {
    const replies = await Promise.all(
      Array.from({ length: 30 }, (_, i) => exchange(srv.port, [request({ ...GET, REQUEST_URI: `/r${i}` })])),
    );
    assert.deepEqual(replies.map((r) => parseResponse(r).body.toString()), Array.from({ length: 30 }, (_, i) => `/r${i}`));
  } finally {
    await srv.close();
  }
});

test("uwsgi protocol: the request and response objects are Node's own, with the lifecycle of an HTTP socket", async (t) => {
  // 4 lifecycle events, each asserting its order once when it fires (a repeated event breaks the
  // plan), and 4 assertions at the end
  t.plan(8);
  const seen: Array<Record<string, unknown>> = [];
  const events: string[] = [];
  const srv = await start((req, res) => {
    seen.push({
      isIncoming: req.constructor.name,
      isResponse: res.constructor.name,
      rawHeaders: req.rawHeaders,
      distinct: req.headersDistinct["x-multi"],
      complete: req.complete,
      sameSocket: req.socket === res.socket,
    });
    req.on("end", () => {
      t.assert.equal(req.complete, true, "the body was complete at 'end'");
      events.push("req end");
    });
    req.on("close", () => {
      t.assert.equal(events.includes("req end"), true, "the request's 'end' before its 'close'");
      events.push("req close");
    });
    res.on("finish", () => {
      t.assert.equal(!events.includes("res close"), true, "'finish' before the response's 'close'");
      events.push("res finish");
    });
    res.on("close", () => {
      t.assert.equal(res.writableFinished && events.includes("res finish"), true, "the response closes finished, after 'finish'");
      events.push("res close");
    });
    req.resume();
    req.on("end", () => res.end("done"));
  });
  try {
    const raw = await exchange(srv.port, [request({ ...GET, REQUEST_METHOD: "POST", HTTP_X_MULTI: "a, b" }, Buffer.from("body"))]);
    t.assert.equal(parseResponse(raw).body.toString(), "done");
    await eventually(() => events.length >= 4, 5000, "the four lifecycle events");
    t.assert.deepEqual(seen, [
      {
        isIncoming: "IncomingMessage",
        isResponse: "ServerResponse",
        rawHeaders: ["host", "example.test", "x-multi", "a, b", "content-length", "4"],
        distinct: ["a, b"],
        complete: false,
        sameSocket: true,
      },
    ]);
    t.assert.deepEqual([...events].sort(), ["req close", "req end", "res close", "res finish"]);
    t.assert.deepEqual(srv.lines, []);
  } finally {
    await srv.close();
  }
});

test("uwsgi protocol: a client gone mid-body aborts the request ('aborted', 'close' on both objects); the server keeps serving", async (t) => {
  // the 4 abort events assert once each as they fire (twice would break the plan), then 3 checks
  t.plan(7);
  const events: string[] = [];
  let served = 0;
  let inApp!: () => void;
  const posted = new Promise<void>((r) => (inApp = r));
  const srv = await start((req, res) => {
    served++;
    if (req.method === "GET") {
      res.end("still here");
      return;
    }
    inApp();
    req.on("aborted", () => {
      t.assert.equal(req.complete, false, "aborted before the body was complete");
      events.push("req aborted");
    });
    req.on("error", (err: NodeJS.ErrnoException) => {
      t.assert.equal(err.code, "ECONNRESET");
      events.push("req error");
    });
    req.on("close", () => {
      t.assert.equal(req.destroyed, true);
      events.push("req close");
    });
    res.on("close", () => {
      t.assert.equal(res.writableFinished, false, "the response never finished");
      events.push("res close");
    });
    req.resume();
  });
  try {
    await new Promise<void>((resolve) => {
      const s = net.connect(srv.port, "127.0.0.1", () => {
        s.write(encodePacket(0, 0, encodeVars({ ...GET, REQUEST_METHOD: "POST", CONTENT_LENGTH: "100000" })));
        s.write(Buffer.alloc(1000));
        void posted.then(() => s.destroy()); // gone once the request is in the app, mid-body
      });
      s.on("close", () => resolve());
    });
    await eventually(() => events.length >= 4, 5000, "the request's abort events", 10);
    t.assert.deepEqual([...events].sort(), ["req aborted", "req close", "req error", "res close"]);
    t.assert.equal(parseResponse(await exchange(srv.port, [request(GET)])).body.toString(), "still here");
    t.assert.equal(served, 2);
  } finally {
    await srv.close();
  }
});

test("uwsgi protocol: HEAD responses carry headers only; HTTP/1.0 and HTTP/2.0 requests get an HTTP/1.1 status line without chunking", async () => {
  const srv = await start((req, res) => {
    res.setHeader("X-Version", req.httpVersion);
    res.write("part1,");
    res.end("part2");
  });
  try {
    const head = parseResponse(await exchange(srv.port, [request({ ...GET, REQUEST_METHOD: "HEAD" })]));
    assert.equal(head.statusLine, "HTTP/1.1 200 OK");
    assert.equal(head.body.length, 0);
    for (const protocol of ["HTTP/1.0", "HTTP/2.0"]) {
      const r = parseResponse(await exchange(srv.port, [request({ ...GET, SERVER_PROTOCOL: protocol })]));
      assert.equal(r.headers["x-version"], protocol.slice(5));
      assert.equal(r.headers["transfer-encoding"], undefined);
      assert.equal(r.body.toString(), "part1,part2");
    }
  } finally {
    await srv.close();
  }
});

test("uwsgi protocol: a request whose body the app never reads still ends ('close' on the request) and its bytes are drained", async () => {
  const closed: boolean[] = [];
  const srv = await start((req, res) => {
    req.on("close", () => closed.push(req.complete));
    res.end("ignored your body");
  });
  try {
    const r = parseResponse(await exchange(srv.port, [request({ ...GET, REQUEST_METHOD: "POST" }, randomBytes(300_000))]));
    assert.equal(r.body.toString(), "ignored your body");
    await eventually(() => closed.length > 0, 5000, "the request's close", 10);
    assert.deepEqual(closed, [true]);
    assert.deepEqual(srv.lines, []);
  } finally {
    await srv.close();
  }
});

test("uwsgi protocol: uwsgi.disconnect() in the app closes the connection without a response; the server keeps serving", { timeout: 10_000 }, async () => {
  const srv = await start((req, res) => {
    if (req.url === "/drop") {
      uwsgi.disconnect();
      return;
    }
    res.end("kept");
  });
  try {
    assert.equal((await exchange(srv.port, [request({ ...GET, REQUEST_URI: "/drop" })])).length, 0);
    assert.equal(parseResponse(await exchange(srv.port, [request(GET)])).body.toString(), "kept");
  } finally {
    await srv.close();
  }
});

test("regression: a TCP client gone mid-packet was logged as 'a unix socket client'; now its address is named", async () => {
  const srv = await start((_req, res) => res.end());
  try {
    const packet = encodePacket(0, 0, encodeVars(GET));
    await new Promise<void>((resolve) => {
      const sock = net.connect(srv.port, "127.0.0.1", () => sock.end(packet.subarray(0, 10)));
      sock.on("close", () => resolve());
      sock.resume();
    });
    await eventually(() => srv.lines.some((l) => l.includes("truncated")), 5000, "the truncation to be logged");
    assert.match(srv.lines.join("\n"), /truncated uwsgi packet: the connection ended after 6 of \d+ payload bytes \(modifier1 0\) from 127\.0\.0\.1:\d+/);
    assert.doesNotMatch(srv.lines.join("\n"), /unix socket client/);
  } finally {
    await srv.close();
  }
});

test("uwsgi protocol: a kept connection in use for longer than its idle time stays open, and gets its farewell once idle that long after its last packet", async () => {
  const idleMs = 200;
  const registry = new ModifierRegistry();
  registry.register(173, ({ socket, keepOpen, payload }) => {
    keepOpen?.(idleMs, Buffer.from("|bye"));
    socket.write(Buffer.concat([Buffer.from("|re:"), payload]));
  });
  registry.setRemoteAccess({ modifiers: [173], allow: ["loopback"] });
  const srv = await start((_req, res) => res.end(), { modifiers: registry });
  const sock = net.connect(srv.port, "127.0.0.1");
  try {
    let got = "";
    let wake: (() => void) | null = null;
    sock.on("data", (c: Buffer) => {
      got += c.toString();
      wake?.();
    });
    const closed = new Promise<number>((resolve) => sock.on("close", () => resolve(Date.now())));
    const until = (text: string) => new Promise<void>((resolve) => (got.endsWith(text) ? resolve() : (wake = () => got.endsWith(text) && resolve())));
    // calls one after the other for 2.5 idle periods (bounded in count): the connection stays
    const first = Date.now();
    let calls = 0;
    let lastSent = 0;
    while (Date.now() - first < idleMs * 2.5 && calls < 5000) {
      lastSent = Date.now();
      sock.write(encodePacket(173, 0, Buffer.from(String(++calls))));
      await until(`|re:${calls}`);
    }
    const closedAt = await closed;
    const expected = Array.from({ length: calls }, (_, i) => `|re:${i + 1}`).join("") + "|bye";
    assert.equal(got, expected, "every call answered on the one connection, then the farewell");
    // the idle time counts from the last packet, which the server got after it was sent (the
    // reply's arrival is later still, by a delay that under load reached 18 ms; 1 ms of leeway:
    // Date.now() against the timer clock)
    assert.ok(closedAt - lastSent >= idleMs - 1, `closed ${closedAt - lastSent} ms after the last packet was sent`);
  } finally {
    sock.destroy();
    await srv.close();
  }
});
