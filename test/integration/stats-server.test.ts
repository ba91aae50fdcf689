import { test } from "node:test";
import assert from "node:assert/strict";
import net from "node:net";
import { spawnSync } from "node:child_process";
import { existsSync, mkdtempSync, rmSync, statSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { startStatsServer } from "../../src/server/stats/stats-server.js";
import type { StatsSnapshot } from "../../src/server/stats/stats-snapshot.js";

function snapshot(cwd = process.cwd()): StatsSnapshot {
  return {
    version: "2.0.21-uwsgi-node", listen_queue: 0, listen_queue_errors: 0, signal_queue: 0, load: 0,
    pid: process.pid, uid: 0, gid: 0, cwd, locks: [{ name: "user 0", pid: 0 }],
    sockets: [], workers: [],
  };
}

type Target = { port: number; host: string } | { path: string };

function targetOf(address: string): Target {
  const i = address.lastIndexOf(":");
  return i > 0 && !address.startsWith("/") ? { host: address.slice(0, i), port: Number(address.slice(i + 1)) } : { path: address.startsWith("@") ? "\0" + address.slice(1) : address };
}

/** Connects, optionally sends `send`, and reads until the server closes. */
function exchange(address: string, send?: string | Buffer, endAfterSend = false): Promise<string> {
  return new Promise((resolve, reject) => {
    const sock = net.connect(targetOf(address) as net.NetConnectOpts);
    const chunks: Buffer[] = [];
    sock.on("connect", () => {
      if (send !== undefined) sock.write(send);
      if (endAfterSend) sock.end();
    });
    sock.on("data", (c) => chunks.push(c));
    sock.on("error", reject);
    sock.on("close", () => resolve(Buffer.concat(chunks).toString("utf8")));
  });
}

test("stats server: TCP plain mode writes the document and closes", async () => {
  const stats = await startStatsServer("127.0.0.1:0", () => snapshot(), {});
  try {
    assert.match(stats.address, /^127\.0\.0\.1:\d+$/);
    const body = await exchange(stats.address);
    const doc = JSON.parse(body);
    assert.equal(doc.pid, process.pid);
    assert.ok(body.startsWith("{\n\t\"version\":"));
  } finally {
    await stats.close();
  }
});

test("stats server: minified option and async snapshot sources", async () => {
  const stats = await startStatsServer("127.0.0.1:0", async () => snapshot(), { minified: true });
  try {
    const body = await exchange(stats.address);
    assert.ok(body.startsWith('{"version":'));
    assert.ok(!body.includes("\n"));
  } finally {
    await stats.close();
  }
});

test("stats server: unix socket path (stale socket replaced, chmod applied, removed on close) and abstract socket", async () => {
  const dir = mkdtempSync(join(tmpdir(), "uwsgi-node-stats-"));
  try {
    const path = join(dir, "stats.sock");
    // a process that died without cleaning up leaves its socket file; uWSGI unlinks it before bind
    const script = `require("net").createServer().listen(${JSON.stringify(path)}, () => process.exit(0))`;
    assert.equal(spawnSync(process.execPath, ["-e", script]).status, 0);
    assert.equal(statSync(path).isSocket(), true);
    const stats = await startStatsServer(path, () => snapshot('/we"ird'), { unixMode: 0o600 });
    try {
      assert.equal(stats.address, path);
      assert.equal(statSync(path).mode & 0o777, 0o600);
      const doc = JSON.parse(await exchange(path));
      assert.equal(doc.cwd, '/we"ird');
    } finally {
      await stats.close();
    }
    assert.equal(existsSync(path), false);
    const name = `@uwsgi-node-stats-test-${process.pid}`;
    const abs = await startStatsServer(name, () => snapshot(), {});
    try {
      assert.equal(JSON.parse(await exchange(name)).pid, process.pid);
    } finally {
      await abs.close();
    }
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test("stats server: a regular file at the unix path is not deleted", async () => {
  const dir = mkdtempSync(join(tmpdir(), "uwsgi-node-stats-"));
  try {
    const path = join(dir, "not-a-socket");
    writeFileSync(path, "keep me");
    await assert.rejects(startStatsServer(path, () => snapshot(), {}), /EADDRINUSE/);
    assert.equal(statSync(path).isFile(), true);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test("stats server: --stats-http answers HTTP/1.0 with uWSGI's headers and the document", async () => {
  const stats = await startStatsServer("127.0.0.1:0", () => snapshot(), { http: true });
  try {
    const reply = await exchange(stats.address, "GET / HTTP/1.1\r\nHost: x\r\n\r\n");
    const [head, body] = [reply.slice(0, reply.indexOf("\r\n\r\n")), reply.slice(reply.indexOf("\r\n\r\n") + 4)];
    assert.equal(
      head,
      "HTTP/1.0 200 OK\r\nConnection: close\r\nAccess-Control-Allow-Origin: *\r\nContent-Type: application/json",
    );
    assert.equal(JSON.parse(body).pid, process.pid);
    // works with fetch as a real HTTP client would use it
    const res = await fetch(`http://${stats.address}/anything?x=1`);
    assert.equal(res.headers.get("content-type"), "application/json");
    assert.equal(((await res.json()) as { version: string }).version, "2.0.21-uwsgi-node");
  } finally {
    await stats.close();
  }
});

test("stats server: HTTP routes answer their own paths; other paths still get the document", async () => {
  const stats = await startStatsServer("127.0.0.1:0", () => snapshot(), {
    http: true,
    routes: { "/metrics": () => ({ contentType: "text/plain; version=0.0.4", body: "up 1\n" }) },
  });
  try {
    const m = await fetch(`http://${stats.address}/metrics?x`);
    assert.equal(m.headers.get("content-type"), "text/plain; version=0.0.4");
    assert.equal(await m.text(), "up 1\n");
    const d = await fetch(`http://${stats.address}/`);
    assert.equal(((await d.json()) as { pid: number }).pid, process.pid);
  } finally {
    await stats.close();
  }
});

test("stats server: silent and garbage-sending clients do not block others", async () => {
  const stats = await startStatsServer("127.0.0.1:0", () => snapshot(), { http: true, timeoutMs: 300 });
  const plain = await startStatsServer("127.0.0.1:0", () => snapshot(), { timeoutMs: 300 });
  try {
    // HTTP mode: a silent client is dropped without an answer after the timeout ...
    const silent = exchange(stats.address);
    // ... while another client is served meanwhile
    const served = await exchange(stats.address, "GET / HTTP/1.0\r\n\r\n");
    assert.match(served, /^HTTP\/1\.0 200 OK/);
    assert.equal(await silent, "");
    // garbage (not HTTP) still gets the document, like uWSGI which ignores what it reads
    const garbage = await exchange(stats.address, Buffer.from([0, 1, 2, 255, 13, 10, 13, 10]));
    assert.match(garbage, /^HTTP\/1\.0 200 OK/);
    // a client that sends half a head and stops is answered once the timeout expires
    const partial = await exchange(stats.address, "GET / HTT");
    assert.match(partial, /^HTTP\/1\.0 200 OK/);
    // a client that connects and closes at once does not disturb the server
    await exchange(stats.address, undefined, true);
    // plain mode: garbage from the client is ignored; it gets the document
    const doc = JSON.parse(await exchange(plain.address, "x".repeat(100000)));
    assert.equal(doc.pid, process.pid);
    assert.equal(JSON.parse(await exchange(plain.address)).pid, process.pid);
  } finally {
    await stats.close();
    await plain.close();
  }
});

test("stats server: a failing snapshot source closes that connection and is logged; the server keeps serving", async () => {
  let fail = true;
  const lines: string[] = [];
  const stats = await startStatsServer(
    "127.0.0.1:0",
    () => {
      if (fail) throw new Error("boom");
      return snapshot();
    },
    { logger: (l) => lines.push(l) },
  );
  try {
    assert.equal(await exchange(stats.address), "");
    assert.match(lines.join("\n"), /stats server: cannot answer a client: boom/);
    fail = false;
    assert.equal(JSON.parse(await exchange(stats.address)).pid, process.pid);
  } finally {
    await stats.close();
  }
});

test("stats server: a bad address is a coded error", async () => {
  await assert.rejects(startStatsServer("127.0.0.1:http", () => snapshot()), { code: "UWSGI_ERR_OPTION_VALUE" });
});
