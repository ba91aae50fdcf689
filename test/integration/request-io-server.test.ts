// Request input/output in real workers over HTTP and the uwsgi protocol: chunked uploads read
// through chunked_read, send(data), sendfile (path, range, descriptor) and offload.
import { after, before, describe, test } from "node:test";
import assert from "node:assert/strict";
import { createHash } from "node:crypto";
import { request } from "node:http";
import { writeFileSync } from "node:fs";
import { join } from "node:path";
import net from "node:net";
import { encodePacket, encodeVars } from "../../src/protocol/packet.js";
import { fixtureApp, httpRequest, readUntilClose, startServer, tempDir, uwsgiRequest, type TestServer } from "./server-harness.js";

/** POSTs `pieces` with chunked transfer coding, one write per piece. */
function chunkedPost(port: number, path: string, pieces: Buffer[]): Promise<{ status: number; body: string }> {
  return new Promise((resolve, reject) => {
    const req = request({ host: "127.0.0.1", port, path, method: "POST", agent: false, headers: { "transfer-encoding": "chunked" } }, (res) => {
      const chunks: Buffer[] = [];
      res.on("data", (c: Buffer) => chunks.push(c));
      res.on("end", () => resolve({ status: res.statusCode ?? 0, body: Buffer.concat(chunks).toString() }));
    });
    req.on("error", reject);
    for (const p of pieces) req.write(p);
    req.end();
  });
}

/** The body of a raw HTTP response read until close (uwsgi protocol replies). */
function bodyOf(raw: string): string {
  return raw.slice(raw.indexOf("\r\n\r\n") + 4);
}

describe("request I/O in real workers", { timeout: 60000 }, () => {
  let server: TestServer;
  let uwsgiPort = 0;
  const dir = tempDir();
  const file = join(dir.path, "data.bin");
  const content = Buffer.from(Array.from({ length: 200_000 }, (_, i) => i % 251));
  before(async () => {
    writeFileSync(file, content);
    server = await startServer(["--http", "127.0.0.1:0", "--socket", "127.0.0.1:0", "--processes", "1", "--module", fixtureApp("request-io-app"), "--disable-logging"]);
    uwsgiPort = Number((await server.waitForLog(/uwsgi socket 1 bound to TCP address [^\s]+:(\d+) /))[1]);
  });
  after(async () => {
    await server.stop("SIGKILL");
    dir.cleanup();
  });

  const uwsgiGet = (path: string, query = "") =>
    uwsgiRequest(uwsgiPort, { REQUEST_METHOD: "GET", REQUEST_URI: `${path}${query ? `?${query}` : ""}`, PATH_INFO: path, QUERY_STRING: query, SERVER_PROTOCOL: "HTTP/1.1", HTTP_HOST: "x" });

  test("a chunked upload is read through chunked_read, whole and in order", async () => {
    const pieces = Array.from({ length: 20 }, (_, i) => Buffer.alloc(5000 + i, i));
    const r = await chunkedPost(server.port, "/chunked", pieces);
    assert.equal(r.status, 200);
    const body = JSON.parse(r.body);
    const all = Buffer.concat(pieces);
    assert.equal(body.bytes, all.length);
    assert.equal(body.sha256, createHash("sha256").update(all).digest("hex"));
    assert.ok(body.pieces >= 1);
    assert.equal(body.cl, 0, "a chunked request has no content length");
  });

  test("chunked_read over the uwsgi protocol reads the CONTENT_LENGTH body", async () => {
    const { encodePacket, encodeVars } = await import("../../src/protocol/packet.js");
    const { readUntilClose } = await import("./server-harness.js");
    const payload = Buffer.alloc(70_000, 9);
    const vars = { REQUEST_METHOD: "POST", REQUEST_URI: "/chunked", PATH_INFO: "/chunked", QUERY_STRING: "", SERVER_PROTOCOL: "HTTP/1.1", CONTENT_LENGTH: String(payload.length) };
    const raw = await readUntilClose(uwsgiPort, Buffer.concat([encodePacket(0, 0, encodeVars(vars)), payload]));
    const body = JSON.parse(bodyOf(raw));
    assert.equal(body.bytes, payload.length);
    assert.equal(body.cl, payload.length);
    assert.equal(body.sha256, createHash("sha256").update(payload).digest("hex"));
  });

  test("send(data) over HTTP and the uwsgi protocol", async () => {
    const r = await httpRequest(server.port, "/send");
    assert.equal(r.status, 200);
    assert.equal(r.body, "hello world");
    assert.equal(r.headers["content-type"], "text/plain");
    const raw = await uwsgiGet("/send");
    assert.match(raw, /^HTTP\/1\.1 200 /);
    assert.equal(bodyOf(raw), "hello world");
  });

  test("sendfile: a whole file, a range, and by descriptor, over HTTP and the uwsgi protocol", async () => {
    const range = await new Promise<Buffer>((resolve, reject) => {
      request({ host: "127.0.0.1", port: server.port, path: `/sendfile?path=${encodeURIComponent(file)}&start=1000&len=3000&fd=1`, agent: false }, (res) => {
        const chunks: Buffer[] = [];
        res.on("data", (c: Buffer) => chunks.push(c));
        res.on("end", () => resolve(Buffer.concat(chunks)));
      })
        .on("error", reject)
        .end();
    });
    assert.deepEqual(range, content.subarray(1000, 4000));
    const full = await new Promise<Buffer>((resolve, reject) => {
      request({ host: "127.0.0.1", port: server.port, path: `/sendfile?path=${encodeURIComponent(file)}`, agent: false }, (res) => {
        const chunks: Buffer[] = [];
        res.on("data", (c: Buffer) => chunks.push(c));
        res.on("end", () => resolve(Buffer.concat(chunks)));
      })
        .on("error", reject)
        .end();
    });
    assert.deepEqual(full, content);
    const raw = await uwsgiGet("/sendfile", `path=${encodeURIComponent(file)}&start=10&len=20`);
    assert.deepEqual(Buffer.from(bodyOf(raw), "latin1"), content.subarray(10, 30));
  });

  test("sendfile of a missing file is a coded error (500), the worker keeps serving", async () => {
    const r = await httpRequest(server.port, `/sendfile?path=${encodeURIComponent(join(dir.path, "missing"))}`);
    assert.equal(r.status, 500);
    assert.equal(JSON.parse(r.body).code, "UWSGI_ERR_REQUEST_IO");
    assert.equal((await httpRequest(server.port, "/hello")).status, 200);
  });

  test("offload streams the file and ends the response, over HTTP and the uwsgi protocol", async () => {
    const got = await new Promise<Buffer>((resolve, reject) => {
      request({ host: "127.0.0.1", port: server.port, path: `/offload?path=${encodeURIComponent(file)}`, agent: false }, (res) => {
        const chunks: Buffer[] = [];
        res.on("data", (c: Buffer) => chunks.push(c));
        res.on("end", () => resolve(Buffer.concat(chunks)));
      })
        .on("error", reject)
        .end();
    });
    assert.deepEqual(got, content);
    const raw = await uwsgiGet("/offload", `path=${encodeURIComponent(file)}`);
    assert.equal(Buffer.from(bodyOf(raw), "latin1").length, content.length);
  });
});

describe("fd primitives on descriptors of any origin, in a real worker", { timeout: 60000 }, () => {
  test("wait_fd_read/recv/close on a FIFO the app opened with node:fs; the request's own connection is refused with a reason", async () => {
    const { execFileSync } = await import("node:child_process");
    const { openSync, writeSync, closeSync, constants } = await import("node:fs");
    const dir = tempDir();
    const fifo = join(dir.path, "f");
    execFileSync("mkfifo", [fifo]);
    const server = await startServer(["--http", "127.0.0.1:0", "--processes", "1", "--module", fixtureApp("request-io-app"), "--disable-logging"]);
    try {
      const from = server.log().length;
      const reply = httpRequest(server.port, `/fifo?path=${encodeURIComponent(fifo)}`);
      await server.waitForLog(/fifo-open /, 10000, from);
      // the worker waits on the FIFO without blocking: it still serves other requests
      assert.equal((await httpRequest(server.port, "/hello")).status, 200);
      const writer = openSync(fifo, constants.O_WRONLY | constants.O_NONBLOCK);
      writeSync(writer, "written by the test");
      closeSync(writer);
      const r = await reply;
      assert.equal(r.status, 200);
      assert.deepEqual(JSON.parse(r.body), { data: "written by the test", connFd: "UWSGI_ERR_FD" });
    } finally {
      await server.stop("SIGKILL");
      dir.cleanup();
    }
  });
});

describe("the request log: --logformat with uWSGI's variables and logvars, log_this_request", { timeout: 60000 }, () => {
  test("--logformat renders %(var)s, %(var.NAME) and set_logvar values; --disable-logging still logs log_this_request()", async () => {
    const fmt = "RQ %(method) %(uri) %(proto) %(status) rsize=%(rsize) user=%(user_id) pi=%(var.PATH_INFO) none=[%(nope)] wid=%(wid)";
    const server = await startServer(["--http", "127.0.0.1:0", "--processes", "1", "--module", fixtureApp("request-io-app"), "--log-format", fmt]);
    try {
      const from = server.log().length;
      assert.equal((await httpRequest(server.port, "/logvar?x=1")).status, 200);
      const [line] = await server.waitForLog(/RQ GET \/logvar\?x=1 .*/, 10000, from);
      assert.equal(line, "RQ GET /logvar?x=1 HTTP/1.1 200 rsize=11 user=u-42 pi=/logvar none=[] wid=1");
    } finally {
      await server.stop("SIGKILL");
    }
    const quiet = await startServer(["--http", "127.0.0.1:0", "--processes", "1", "--module", fixtureApp("request-io-app"), "--disable-logging"]);
    try {
      const from = quiet.log().length;
      await httpRequest(quiet.port, "/logvar");
      await httpRequest(quiet.port, "/logvar?force=1");
      await quiet.waitForLog(/GET \/logvar\?force=1 => generated/, 10000, from);
      assert.doesNotMatch(quiet.log().slice(from), /GET \/logvar => generated/);
    } finally {
      await quiet.stop("SIGKILL");
    }
  });
});

/** Every %(var) of uWSGI's logformat docs (and ftime) with the shape a real request gives it. */
function logformatTable(port: number, workerPid: (pid: number) => boolean): Array<[string, (v: string) => boolean]> {
  const nowS = Math.floor(Date.now() / 1000);
  const num = (v: string) => /^\d+$/.test(v);
  const positive = (v: string) => num(v) && Number(v) > 0;
  const recent = (v: string) => num(v) && Math.abs(Number(v) - nowS) < 120;
  return [
    ["uri", (v) => v === "/logvar?x=1"],
    ["method", (v) => v === "POST"],
    ["user", (v) => v === ""], // over HTTP nothing sets REMOTE_USER (the uwsgi protocol case is below)
    ["addr", (v) => v === "127.0.0.1"],
    ["host", (v) => v === `127.0.0.1:${port}`],
    ["proto", (v) => v === "HTTP/1.1"],
    ["uagent", (v) => v === "lf-test/1.0"],
    ["referer", (v) => v === "http://ref.example/"],
    ["status", (v) => v === "200"],
    ["micros", positive],
    ["msecs", num],
    ["secs", (v) => /^\d+\.\d{6}$/.test(v)],
    ["time", recent],
    ["tmsecs", (v) => /^\d{13}$/.test(v) && recent(v.slice(0, 10))],
    ["tmicros", (v) => /^\d{16}$/.test(v) && recent(v.slice(0, 10))],
    ["ctime", (v) => /^[A-Z][a-z]{2} [A-Z][a-z]{2} [ \d]\d \d\d:\d\d:\d\d \d{4}$/.test(v)],
    ["ltime", (v) => /^\d\d\/[A-Z][a-z]{2}\/\d{4}:\d\d:\d\d:\d\d [+-]\d{4}$/.test(v)],
    ["ftime", (v) => /^\d\d\/[A-Z][a-z]{2}\/\d{4}:\d\d:\d\d:\d\d [+-]\d{4}$/.test(v)],
    ["epoch", recent],
    ["size", positive],
    ["hsize", positive],
    ["rsize", (v) => v === String(Buffer.byteLength(JSON.stringify({ ok: true })))],
    ["cl", (v) => v === "3"],
    ["pid", (v) => num(v) && workerPid(Number(v))],
    ["wid", (v) => v === "1"],
    ["switches", (v) => v === "1"],
    ["vars", positive],
    ["headers", positive],
    ["core", (v) => v === "0"],
    ["vsz", positive],
    ["rss", positive],
    ["vszM", positive],
    ["rssM", positive],
    ["pktsize", positive],
    ["modifier1", (v) => v === "0"],
    ["modifier2", (v) => v === "0"],
    ["metric.demo", (v) => v === "7"],
    ["metric.no_such_metric", (v) => v === "0"],
    ["rerr", (v) => v === "0"],
    ["werr", (v) => v === "0"],
    ["ioerr", (v) => v === "0"],
    ["var.PATH_INFO", (v) => v === "/logvar"],
    ["var.HTTP_X_CUSTOM", (v) => v === "custom-header"],
    ["user_id", (v) => v === "u-42"], // set_logvar in the app
    ["never_set", (v) => v === ""], // unknown: a log variable nobody set renders empty, as in uWSGI
  ];
}

describe("--logformat: every documented variable renders a real value in a real worker", { timeout: 60000 }, () => {
  test("each %(var) of uWSGI's LogFormat docs has the expected shape (HTTP); user over the uwsgi protocol; rerr on an aborted body", async () => {
    const names = logformatTable(0, () => true).map(([n]) => n);
    const fmt = "LF " + names.map((n) => `${n}=%(${n})`).join("\t") + "\tEND";
    const server = await startServer([
      "--http", "127.0.0.1:0", "--socket", "127.0.0.1:0", "--processes", "1", "--module", fixtureApp("request-io-app"),
      "--enable-metrics", "--metric", "name=demo,type=gauge,initial_value=7", "--log-format", fmt,
    ]);
    try {
      const uwsgiPort = Number((await server.waitForLog(/uwsgi socket 1 bound to TCP address [^\s]+:(\d+) /))[1]);
      const workerPid = Number((await server.waitForLog(/spawned uWSGI worker 1 \(pid: (\d+)/))[1]);
      const parse = (line: string) => Object.fromEntries(line.slice(3, -"\tEND".length).split("\t").map((kv) => [kv.slice(0, kv.indexOf("=")), kv.slice(kv.indexOf("=") + 1)]));
      let from = server.log().length;
      const r = await httpRequest(server.port, "/logvar?x=1", {
        method: "POST", body: "abc",
        headers: { "User-Agent": "lf-test/1.0", Referer: "http://ref.example/", "X-Custom": "custom-header", "Content-Type": "text/plain" },
      });
      assert.equal(r.status, 200);
      const values = parse((await server.waitForLog(/^LF .*END$/m, 10000, from))[0]);
      const wrong = logformatTable(server.port, (pid) => pid === workerPid).filter(([n, ok]) => !ok(values[n] ?? "<missing>")).map(([n]) => `${n}=${JSON.stringify(values[n])}`);
      assert.deepEqual(wrong, [], "variables with a wrong value");
      assert.equal(Number(values.size), Number(values.hsize) + Number(values.rsize));
      assert.equal(values.tmsecs, values.tmicros!.slice(0, 13));
      assert.equal(values.time, values.tmsecs!.slice(0, 10));

      // REMOTE_USER as nginx passes it over the uwsgi protocol
      from = server.log().length;
      await uwsgiRequest(uwsgiPort, { REQUEST_METHOD: "GET", REQUEST_URI: "/hello", PATH_INFO: "/hello", QUERY_STRING: "", SERVER_PROTOCOL: "HTTP/1.0", HTTP_HOST: "h", REMOTE_ADDR: "10.1.2.3", REMOTE_USER: "alice" });
      const overUwsgi = parse((await server.waitForLog(/^LF .*END$/m, 10000, from))[0]);
      assert.deepEqual([overUwsgi.user, overUwsgi.addr, overUwsgi.uri, overUwsgi.proto], ["alice", "10.1.2.3", "/hello", "HTTP/1.0"]);
      assert.deepEqual([overUwsgi.modifier1, overUwsgi.modifier2], ["0", "0"]);

      // the packet's own modifiers (they rendered 0 whatever the packet said): modifier1 30, modifier2 7
      from = server.log().length;
      await readUntilClose(uwsgiPort, encodePacket(30, 7, encodeVars({ REQUEST_METHOD: "GET", REQUEST_URI: "/app/hello", SCRIPT_NAME: "/app", PATH_INFO: "/app/hello", SERVER_PROTOCOL: "HTTP/1.1", HTTP_HOST: "h" })));
      const modified = parse((await server.waitForLog(/^LF .*END$/m, 10000, from))[0]);
      assert.deepEqual([modified.modifier1, modified.modifier2, modified.uri], ["30", "7", "/app/hello"]);

      // a client that goes away in the middle of its body: a read error
      from = server.log().length;
      const sock = net.connect(server.port, "127.0.0.1");
      sock.on("error", () => undefined);
      sock.write("POST /chunked?announce=1 HTTP/1.1\r\nHost: x\r\nContent-Length: 100\r\n\r\n0123456789");
      await server.waitForLog(/chunked-reading/, 10000, from);
      sock.destroy();
      const aborted = parse((await server.waitForLog(/^LF .*END$/m, 10000, from))[0]);
      assert.equal(aborted.rerr, "1");
      assert.equal(Number(aborted.ioerr), Number(aborted.rerr) + Number(aborted.werr));
    } finally {
      await server.stop("SIGKILL");
    }
  });
});

describe("alarms: --alarm with --log-alarm in the master", { timeout: 60000 }, () => {
  test("a log line matching --log-alarm runs the cmd: alarm with the line on stdin and the log: alarm; other lines do not", async () => {
    const dir = tempDir();
    const out = join(dir.path, "alarm.txt");
    const server = await startServer([
      "--http", "127.0.0.1:0", "--processes", "1", "--module", fixtureApp("request-io-app"), "--disable-logging",
      "--alarm", `tofile cmd:cat >> ${out}`, "--alarm", "inlog log:", "--log-alarm", "tofile,inlog OOPS [a-z]+", "--alarm-freq", "0",
    ]);
    try {
      await httpRequest(server.port, `/log?msg=${encodeURIComponent("all fine")}`);
      await httpRequest(server.port, `/log?msg=${encodeURIComponent("OOPS disk full")}`);
      await server.waitForLog(/ALARM: OOPS disk full/);
      const { eventually } = await import("../support/eventually.js");
      const { readFileSync, existsSync } = await import("node:fs");
      const text = await eventually(() => existsSync(out) && readFileSync(out, "utf8"), 10000, "the alarm command's output");
      assert.equal(text, "OOPS disk full");
      assert.doesNotMatch(server.log(), /ALARM: all fine/);
      // uwsgi.alarm() in a worker raises the master's alarm (past the --alarm-freq 0 anti-loop)
      await httpRequest(server.port, `/alarm?name=tofile&msg=${encodeURIComponent("from the app")}`);
      await eventually(() => readFileSync(out, "utf8") === "OOPS disk full" + "from the app", 10000, "the alarm raised by uwsgi.alarm()");
      await httpRequest(server.port, `/alarm?name=ghost&msg=x`);
      await server.waitForLog(/uwsgi\.alarm\(\): no alarm named "ghost" is configured/);
    } finally {
      await server.stop("SIGKILL");
      dir.cleanup();
    }
  });

  test("a signal: alarm raises uwsgi signal N through the master's router, from --log-alarm and from uwsgi.alarm()", async () => {
    const server = await startServer([
      "--http", "127.0.0.1:0", "--processes", "2", "--module", fixtureApp("request-io-app"), "--disable-logging",
      "--alarm", "sig signal:30", "--log-alarm", "sig PLEASE-SIGNAL", "--alarm-freq", "0",
    ]);
    try {
      // registered for "workers": both workers run the handler, once per raise
      let from = server.log().length;
      await httpRequest(server.port, `/log?msg=PLEASE-SIGNAL`);
      await server.waitForLog(/SIGNAL30 worker=1/, 10000, from);
      await server.waitForLog(/SIGNAL30 worker=2/, 10000, from);
      from = server.log().length;
      await httpRequest(server.port, `/alarm?name=sig&msg=from-the-app`);
      await server.waitForLog(/SIGNAL30 worker=1/, 10000, from);
      await server.waitForLog(/SIGNAL30 worker=2/, 10000, from);
    } finally {
      await server.stop("SIGKILL");
    }
  });

  test("uwsgi.alarm() in a mule is relayed to the master's alarms", async () => {
    const server = await startServer([
      "--http", "127.0.0.1:0", "--processes", "1", "--module", fixtureApp("request-io-app"), "--disable-logging",
      `--mule=${fixtureApp("alarm-mule")}`, "--alarm", "inlog log:", "--alarm-freq", "0",
    ]);
    try {
      await server.waitForLog(/^ALARM: raised by mule 1$/m, 20000);
    } finally {
      await server.stop("SIGKILL");
    }
  });

  test("a --log-alarm naming an undefined alarm, or an unknown alarm plugin, stops the server at start with the reason", async () => {
    const { runCli } = await import("./server-harness.js");
    const r = await runCli(["--http", "127.0.0.1:0", "--module", fixtureApp("request-io-app"), "--alarm", "m mule:1"]);
    assert.notEqual(r.code, 0);
    assert.match(r.stderr + r.stdout, /plugin "mule" is not provided/);
    const r2 = await runCli(["--http", "127.0.0.1:0", "--module", fixtureApp("request-io-app"), "--alarm", "a log:", "--log-alarm", "b OOPS"]);
    assert.notEqual(r2.code, 0);
    assert.match(r2.stderr + r2.stdout, /unknown alarm "b"/);
  });
});
