/**
 * Issue 4 through the real server: caches, metrics and locks shared by every worker, the
 * Prometheus endpoint and stats sections fed from shared memory, and remote caches against a
 * real uWSGI node in both directions.
 */
import { describe, it, before, after } from "node:test";
import assert from "node:assert/strict";
import { spawn, type ChildProcess } from "node:child_process";
import { readdirSync } from "node:fs";
import { Agent } from "node:http";
import { join } from "node:path";
import { fixtureApp, httpRequest, startServer, eventually, type TestServer } from "./server-harness.js";
import { freeTcpPort as freePort } from "../support/free-port.js";

const UWSGI_APP = join(import.meta.dirname, "..", "..", "..", "test", "fixtures", "shared", "uwsgi-cache-app.py");


async function json(port: number, path: string, agent?: Agent): Promise<Record<string, unknown>> {
  const r = await httpRequest(port, path, { agent });
  assert.equal(r.status, 200, `${path}: ${r.body}`);
  return JSON.parse(r.body);
}

describe("server: caches, metrics and locks shared by every worker", () => {
  let server: TestServer;
  let socketPort = 0;
  let statsPort = 0;
  let uwsgi: ChildProcess | null = null;
  let uwsgiHttp = 0;
  let uwsgiSocket = 0;
  const noKeepAlive = new Agent({ keepAlive: false });

  before(async () => {
    server = await startServer([
      "--http", "127.0.0.1:0", "--socket", "127.0.0.1:0", "--stats", "127.0.0.1:0", "--stats-http",
      "--master", "--processes", "2", "--disable-logging", "--plugin", "cache",
      "--cache2", "name=default,items=100,blocksize=64", "--locks", "2", "--enable-metrics", "--metric", "name=jobs",
      fixtureApp("shared-state-app"),
    ]);
    socketPort = Number((await server.waitForLog(/uwsgi socket 1 bound to TCP address 127\.0\.0\.1:(\d+) fd \d+ \(uwsgi\)/))[1]);
    statsPort = Number((await server.waitForLog(/Stats server enabled on 127\.0\.0\.1:(\d+)/))[1]);
  });
  after(async () => {
    await server?.stop();
    if (uwsgi && uwsgi.exitCode === null) {
      uwsgi.kill("SIGINT");
      await new Promise((r) => uwsgi!.once("exit", r));
    }
    noKeepAlive.destroy();
  });

  it("counts from every worker land in one cache, one metric and one lock-guarded value", async () => {
    const workers = new Set<number>();
    let total = 0;
    for (let round = 0; round < 20 && (workers.size < 2 || total < 200); round++) {
      const replies = await Promise.all(Array.from({ length: 16 }, () => json(server.port, "/inc", noKeepAlive)));
      for (const r of replies) workers.add(r.worker as number);
      total += replies.length;
    }
    assert.equal(workers.size, 2, "both workers served requests");
    const state = await json(server.port, "/state");
    assert.equal(state.hits, total);
    assert.equal(state.rmw, total, "the read-modify-write under lock 1 lost no update");
    assert.equal(state.jobs, total);
    assert.equal(state.builtin, false, "built-in metrics are read-only through the API, as in uWSGI");
    await eventually(
      () => json(server.port, "/state").then((s) => ((s.served as number) >= total ? true : null)),
      5000,
      "workers see the master's built-in request counts through metric_get",
    );
  });

  it("serves the metrics in Prometheus format and fills the stats document from shared memory", async () => {
    const metrics = await httpRequest(statsPort, "/metrics");
    assert.equal(metrics.status, 200);
    // the configured counter "jobs" (exposition guidelines: counters end in _total)
    const jobs = Number(/^uwsgi_jobs_total (\d+)$/m.exec(metrics.body)?.[1]);
    assert.ok(jobs >= 200, metrics.body.slice(0, 400));
    assert.match(metrics.body, /^# TYPE uwsgi_worker_requests_total counter$/m);
    assert.doesNotMatch(metrics.body, /worker="0"/, "no total disguised as a worker (sum() would double count)");
    const total = await eventually(() => {
      return httpRequest(statsPort, "/metrics").then((m) => {
        const v = [...m.body.matchAll(/^uwsgi_worker_requests_total\{worker="\d+"\} (\d+)$/gm)].reduce((n, x) => n + Number(x[1]), 0);
        return v >= jobs ? v : null;
      });
    }, 5000, "the workers' request series add up to the requests served");
    assert.ok(total >= jobs);
    const doc = JSON.parse((await httpRequest(statsPort, "/")).body) as { caches: Array<{ name: string; items: number }>; locks: Array<Record<string, number>>; metrics: Record<string, { value: number }> | Array<unknown> };
    assert.equal(doc.caches[0]!.name, "default");
    assert.ok(doc.caches[0]!.items >= 2);
    assert.deepEqual(doc.locks.slice(0, 3).map((l) => Object.keys(l)[0]), ["user 0", "user 1", "user 2"]);
    assert.ok(JSON.stringify(doc.metrics).includes("jobs"));
  });

  it("remote caches: our node and a real uWSGI node read and write each other's caches", async () => {
    uwsgiHttp = await freePort();
    uwsgiSocket = await freePort();
    uwsgi = spawn("uwsgi", [
      "--plugin", "python3,cache", "--master", "--die-on-term", "--processes", "1", "--disable-logging",
      "--http-socket", `127.0.0.1:${uwsgiHttp}`, "--socket", `127.0.0.1:${uwsgiSocket}`,
      "--cache2", "name=default,items=10,blocksize=64", "--wsgi-file", UWSGI_APP,
    ], { stdio: ["ignore", "ignore", "pipe"] });
    let uwsgiLog = "";
    uwsgi.stderr!.on("data", (c: Buffer) => (uwsgiLog += c));
    uwsgi.once("error", (err) => assert.fail(`cannot start uwsgi (apt-get install uwsgi-core uwsgi-plugin-python3): ${err.message}`));
    await eventually(() => httpRequest(uwsgiHttp, "/set?key=probe&value=1").then((r) => r.status === 200).catch(() => false), 10000, `uWSGI to start\n${uwsgiLog}`);
    const ours = `127.0.0.1:${socketPort}`;
    const theirs = `127.0.0.1:${uwsgiSocket}`;

    // ours -> uWSGI: set, then read back through uWSGI itself and through our client.
    assert.deepEqual(await json(server.port, `/remote-set?addr=${theirs}&cache=&key=k1&value=from-node`), { ok: true });
    assert.equal((await httpRequest(uwsgiHttp, "/get?key=k1")).body, "from-node");
    assert.deepEqual(await json(server.port, `/remote-get?addr=${theirs}&cache=default&key=k1`), { value: "from-node" });
    assert.deepEqual(await json(server.port, `/remote-get?addr=${theirs}&cache=&key=missing`), { value: null });
    // uWSGI cannot do remote math: our client reports failure instead of overwriting (uWSGI's client would).
    assert.deepEqual(await json(server.port, `/remote-inc?addr=${theirs}&cache=&key=k1`), { ok: false });
    assert.equal((await httpRequest(uwsgiHttp, "/get?key=k1")).body, "from-node");

    // uWSGI -> ours: its Python cache_get(key, "default@host:port") reads our shared cache.
    assert.deepEqual(await json(server.port, "/set?key=k2&value=from-ours"), { ok: true });
    const fromUwsgi = await httpRequest(uwsgiHttp, `/get?key=k2&cache=default@${ours}`);
    assert.equal(fromUwsgi.status, 200);
    assert.equal(fromUwsgi.body, "from-ours");

    // remote math against our node is real math (uWSGI's client would overwrite with the operand).
    assert.deepEqual(await json(server.port, `/remote-inc?addr=${ours}&cache=&key=rinc`), { ok: true });
    assert.deepEqual(await json(server.port, `/remote-inc?addr=${ours}&cache=&key=rinc`), { ok: true });
    assert.deepEqual(await json(server.port, "/num?key=rinc"), { num: 2 });
  });

  it("removes its shared memory regions when it stops", async () => {
    const id = (await server.waitForLog(/\(instance id ([0-9a-f]{16})\)/))[1]!;
    assert.ok(readdirSync("/dev/shm").some((n) => n.startsWith(`uwsgi-node.${id}.cache.`)));
    assert.ok(readdirSync("/dev/shm").includes(`uwsgi-node.${id}.owner`));
    await server.stop();
    assert.deepEqual(readdirSync("/dev/shm").filter((n) => n.startsWith(`uwsgi-node.${id}.`)), []);
  });
});
