/**
 * uwsgi-node serving real apps over --http: an Express app with keep-alive, fetch-style apps,
 * and the process API (`worker_id`, `masterpid`, `workers()` ...) seen from inside a worker.
 */
import { after, before, describe, it } from "node:test";
import assert from "node:assert/strict";
import { Agent } from "node:http";
import { eventually, fixtureApp, httpRequest, readUntilClose, startServer, type TestServer } from "./server-harness.js";

describe("server: Express app over --http", () => {
  let server: TestServer;
  const agent = new Agent({ keepAlive: true, maxSockets: 1 });
  before(async () => {
    server = await startServer(["--http", "127.0.0.1:0", "--master", "--processes", "2", fixtureApp("express-app")]);
  });
  after(async () => {
    agent.destroy();
    await server?.stop();
  });

  it("answers GET requests and keeps the connection alive between them", async () => {
    const first = await httpRequest(server.port, "/", { agent });
    assert.equal(first.status, 200);
    assert.equal(first.body, "hello from express");
    assert.equal(first.headers.connection, "keep-alive");
    const second = await httpRequest(server.port, "/", { agent });
    assert.equal(second.body, "hello from express");
    assert.equal(second.reused, true, "the second request should reuse the keep-alive connection");
  });

  it("passes request bodies to the app and exposes uwsgi.env per request", async () => {
    const reply = await httpRequest(server.port, "/echo", {
      method: "POST",
      body: JSON.stringify({ a: [1, 2] }),
      headers: { "content-type": "application/json" },
      agent,
    });
    assert.equal(reply.status, 200);
    assert.deepEqual(JSON.parse(reply.body), { got: { a: [1, 2] }, method: "POST" });
  });

  it("runs the app in workers of this master", async () => {
    const info = JSON.parse((await httpRequest(server.port, "/worker")).body) as { pid: number; worker_id: number; masterpid: number };
    assert.equal(info.masterpid, server.pid);
    assert.ok(info.worker_id === 1 || info.worker_id === 2, `worker_id ${info.worker_id}`);
    assert.notEqual(info.pid, server.pid);
  });

  it("logs one uWSGI-style line per request", async () => {
    await httpRequest(server.port, "/?logged=1");
    const m = await server.waitForLog(/\[pid: (\d+)\|app: 0\|req: \d+\/\d+\] 127\.0\.0\.1 \(\) \{\d+ vars in \d+ bytes\} \[[A-Z][a-z]{2} [A-Z][a-z]{2} [ \d]\d \d\d:\d\d:\d\d \d{4}\] GET \/\?logged=1 => generated 18 bytes in \d+ msecs \(HTTP\/1\.1 200\) \d+ headers in \d+ bytes \(1 switches on core 0\)/);
    assert.ok(Number(m[1]) > 0);
  });

  it("turns an error thrown by a route into a 500 without losing the worker", async () => {
    const reply = await httpRequest(server.port, "/fail");
    assert.equal(reply.status, 500);
    assert.equal((await httpRequest(server.port, "/")).status, 200);
  });
});

describe("server: fetch-style apps", () => {
  let server: TestServer;
  before(async () => {
    server = await startServer(["--http", "127.0.0.1:0", "--disable-logging", "--stats", "127.0.0.1:0", fixtureApp("fetch-app")]);
  });
  after(async () => {
    await server?.stop();
  });

  it("serves a { fetch } export: status, headers, repeated set-cookie, query string", async () => {
    const reply = await httpRequest(server.port, "/a/b?x=1");
    assert.equal(reply.status, 200);
    assert.equal(reply.body, "fetch hello /a/b?x=1");
    assert.equal(reply.headers["content-type"], "text/plain");
    assert.deepEqual(reply.headers["set-cookie"], ["a=1", "b=2"]);
  });

  it("streams request bodies in and response bodies out", async () => {
    const echo = await httpRequest(server.port, "/echo", { method: "PUT", body: "payload", headers: { "content-type": "text/x-test" } });
    assert.equal(echo.status, 201);
    assert.deepEqual(JSON.parse(echo.body), { method: "PUT", body: "payload", type: "text/x-test" });
    assert.equal(echo.headers["x-worker"], "1");
    const stream = await httpRequest(server.port, "/stream");
    assert.equal(stream.body, "chunk0;chunk1;chunk2;");
  });

  it("--disable-logging leaves request lines out of the log", async () => {
    const [, statsPort] = await server.waitForLog(/Stats server enabled on 127\.0\.0\.1:(\d+)/);
    const counted = async (): Promise<number> => (JSON.parse(await readUntilClose(Number(statsPort))) as { workers: Array<{ requests: number }> }).workers.reduce((n, w) => n + w.requests, 0);
    const before = await counted();
    await httpRequest(server.port, "/quiet");
    // a request line would be written when the request ends, before its worker reports the count
    await eventually(async () => (await counted()) > before, 10000, "the master counting /quiet");
    assert.doesNotMatch(server.log(), /GET \/quiet/);
  });

  it("serves a fetch function picked with --callable", async () => {
    const other = await startServer(["--http", "127.0.0.1:0", "--module", fixtureApp("fetch-function-app"), "--callable", "handler"]);
    try {
      const reply = await httpRequest(other.port, "/x", { method: "DELETE" });
      assert.equal(reply.body, "handled DELETE /x");
    } finally {
      await other.stop();
    }
  });
});

describe("server: the uwsgi module inside workers", () => {
  let server: TestServer;
  before(async () => {
    server = await startServer(["--http", "127.0.0.1:0", "--master", "-p", "2", fixtureApp("node-listener-app")]);
  });
  after(async () => {
    await server?.stop();
  });

  interface Info {
    pid: number;
    is_stub: boolean;
    worker_id: number;
    masterpid: number;
    numproc: number;
    request_id: number;
    total_requests: number;
    is_a_reload: boolean;
    post_fork_ran: boolean;
    method: string;
    path: string;
    sockets: number[];
    magic_keys: string[];
    workers: Array<{ id: number; pid: number; requests: number; status: string; respawn_count: number }>;
  }

  it("reports worker_id, masterpid, numproc, env, post_fork_hook and the worker table", async () => {
    const info = JSON.parse((await httpRequest(server.port, "/info")).body) as Info;
    assert.equal(info.is_stub, false);
    assert.equal(info.masterpid, server.pid);
    assert.equal(info.numproc, 2);
    assert.equal(info.post_fork_ran, true);
    assert.equal(info.method, "GET");
    assert.equal(info.path, "/info");
    assert.equal(info.is_a_reload, false);
    assert.equal(info.sockets.length, 1);
    assert.ok(info.magic_keys.includes("h") && info.magic_keys.includes("v"), `magic_table keys ${info.magic_keys.join(",")}`);
    assert.deepEqual(info.workers.map((w) => w.id), [1, 2]);
    const me = info.workers.find((w) => w.id === info.worker_id)!;
    assert.equal(me.pid, info.pid);
    assert.equal(me.status, "busy", "the worker serving the request is busy");
    assert.ok(info.workers.every((w) => w.pid > 0 && w.respawn_count === 0));
  });

  it("counts requests per worker and for the instance", async () => {
    for (let i = 0; i < 6; i++) await httpRequest(server.port, "/");
    // the master refreshes the table a few times a second
    const info = await eventually(async () => {
      const i = JSON.parse((await httpRequest(server.port, "/info")).body) as Info;
      return i.total_requests >= 7 ? i : null;
    }, 10000, "the table counting 7 requests");
    const sum = info.workers.reduce((n, w) => n + w.requests, 0);
    assert.equal(info.total_requests, sum);
    const me = info.workers.find((w) => w.id === info.worker_id)!;
    assert.equal(info.request_id, me.requests, "request_id counts the requests this worker completed before this one");
  });

  it("collects the output of every worker into the log as whole lines, never interleaved", async () => {
    const ids = Array.from({ length: 30 }, (_, i) => i);
    const replies = await Promise.all(ids.map((id) => httpRequest(server.port, `/spam?id=${id}`)));
    assert.ok(replies.every((r) => r.body === "spammed"));
    await eventually(() => ids.every((id) => new RegExp(`^spam-${id} part1 part2 part3$`, "m").test(server.log())), 5000, "every spam line whole in the log");
    assert.doesNotMatch(server.log(), /part1spam|part[12]\n/, "no line was split or mixed with another");
  });

  it("set_user_harakiri: disarmed when the request ends, enforced by the master when it expires", async () => {
    const pid = (await httpRequest(server.port, "/user-harakiri?ms=50")).body === "survived";
    assert.ok(pid);
    const from = server.log().length;
    // a second deadline, armed later, expires later: had the first one stayed armed, the master
    // would have enforced it before this one
    const hung = httpRequest(server.port, "/user-harakiri?ms=6000").then(
      () => "answered",
      () => "dropped",
    );
    await server.waitForLog(/HARAKIRI !!! worker \d: the deadline armed by set_user_harakiri\(\) passed/, 10000, from);
    assert.equal(await hung, "dropped");
    const enforced = server.log().slice(from).match(/HARAKIRI !!! worker \d: the deadline armed by set_user_harakiri/g) ?? [];
    assert.equal(enforced.length, 1, "a disarmed deadline kills nobody: only the second request's was enforced");
    assert.equal((await httpRequest(server.port, "/")).status, 200);
  });
});
