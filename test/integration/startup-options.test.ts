/**
 * Options that once had no effect in the server (issue 10, "Options accepted and silently
 * ignored"): `--add-cache-item`, `--load-file-in-cache(-gzip)` (the master fills the shared caches
 * once, at start), `--stats-no-cores` / `--stats-no-metrics` (the stats document), `--metrics-dir`,
 * `--cache-report-freed-items` and
 * `--worker-reload-mercy` (a worker that does not exit on reload is killed after the mercy).
 */
import assert from "node:assert/strict";
import { existsSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { gunzipSync } from "node:zlib";
import { describe, test } from "node:test";
import { alive, fixtureApp, httpRequest, readUntilClose, runCli, tempDir } from "./server-harness.js";
import { eventually, startProbe, type ProbeInstance } from "../conformance/harness.js";

function statsPort(probe: ProbeInstance): number {
  return Number(/Stats server enabled on 127\.0\.0\.1:(\d+)/.exec(probe.server.log())![1]);
}

async function statsDocument(probe: ProbeInstance): Promise<{ workers: Array<Record<string, unknown>>; metrics?: unknown }> {
  return JSON.parse(await readUntilClose(statsPort(probe))) as { workers: Array<Record<string, unknown>>; metrics?: unknown };
}

const count = (text: string, re: RegExp): number => text.match(new RegExp(re.source, "g"))?.length ?? 0;

describe("start-up options", { timeout: 90_000 }, () => {
  test("--add-cache-item and --load-file-in-cache(-gzip): put by the master once at start (uWSGI's [cache ]key=value / [cache ]path), read in a worker, not again on reload", async () => {
    const tmp = tempDir();
    const alpha = join(tmp.path, "alpha.txt");
    const bravo = join(tmp.path, "bravo.txt");
    writeFileSync(alpha, "alpha-content");
    writeFileSync(bravo, "bravo-content ".repeat(20));
    const probe = await startProbe([
      "--processes", "2", "--stats", "127.0.0.1:0", "--enable-metrics",
      "--cache2", "name=one,items=10,blocksize=4096", "--cache2", "name=two,items=10,blocksize=4096",
      "--add-cache-item", "greet=hello=world", // no cache name: every cache; split at the first '='
      "--add-cache-item", "two only=2",
      "--add-cache-item", "no-equals-sign",
      "--load-file-in-cache", alpha,
      "--load-file-in-cache", `two ${bravo}`,
      "--load-file-in-cache-gzip", `one ${bravo}`,
      "--load-file-in-cache", join(tmp.path, "missing.txt"),
    ]);
    try {
      const got = (await probe.value(`
        const s = (v) => v === null ? null : v.toString();
        return {
          greet: [s(uwsgi.cache_get("greet", "one")), s(uwsgi.cache_get("greet", "two"))],
          only: [s(uwsgi.cache_get("only", "one")), s(uwsgi.cache_get("only", "two"))],
          alpha: [s(uwsgi.cache_get(${JSON.stringify(alpha)}, "one")), s(uwsgi.cache_get(${JSON.stringify(alpha)}, "two"))],
          bravo: s(uwsgi.cache_get(${JSON.stringify(bravo)}, "two")),
          gz: uwsgi.cache_get(${JSON.stringify(bravo)}, "one").toString("base64"),
          keys: uwsgi.cache_keys("one").map(String).sort(),
        };`)) as Record<string, unknown>;
      assert.deepEqual(got.greet, ["hello=world", "hello=world"]);
      assert.deepEqual(got.only, [null, "2"]);
      assert.deepEqual(got.alpha, ["alpha-content", "alpha-content"]);
      assert.equal(got.bravo, "bravo-content ".repeat(20));
      assert.equal(gunzipSync(Buffer.from(got.gz as string, "base64")).toString(), "bravo-content ".repeat(20));
      assert.deepEqual(got.keys, [alpha, bravo, "greet"].sort());
      const log = probe.server.log();
      assert.match(log, /\[cache\] unable to store item no-equals-sign/);
      assert.match(log, /\[cache-error\] unable to read file ".*missing\.txt"/);
      assert.equal(count(log, /\[cache\] stored "greet" in "one"/), 1, "stored once by the master, not by each of the 2 workers");

      // a reload must not put the items back: delete one, reload, it stays deleted
      assert.equal(await probe.value(`return uwsgi.cache_del("greet", "one")`), true);
      const from = log.length;
      process.kill(probe.server.pid, "SIGHUP");
      await probe.server.waitForLog(/graceful reload complete/, 30_000, from);
      assert.equal(await probe.value(`return uwsgi.cache_get("greet", "one")`), null);
      assert.equal(count(probe.server.log(), /\[cache\] stored "greet" in "one"/), 1);

      // without --stats-no-cores / --stats-no-metrics the document has both
      const doc = await statsDocument(probe);
      assert.ok(Array.isArray(doc.workers[0]!.cores), "cores listed by default");
      assert.ok(doc.metrics !== undefined, "metrics listed by default");
    } finally {
      await probe.stop();
      tmp.cleanup();
    }
  });

  test("--stats-no-cores and --stats-no-metrics leave the cores lists and the metrics out of the stats document; --cache-report-freed-items logs each sweep's count", async () => {
    const probe = await startProbe([
      "--processes", "1", "--stats", "127.0.0.1:0", "--enable-metrics", "--stats-no-cores", "--stats-no-metrics",
      "--cache2", "name=c,items=10", "--cache-expire-freq", "1", "--cache-report-freed-items",
    ]);
    try {
      assert.equal(await probe.value(`return uwsgi.cache_set("a", "1", 1, "c")`), true);
      await probe.server.waitForLog(/freed 1 items for cache "c"/, 10_000);
      const doc = await statsDocument(probe);
      assert.equal(doc.workers.length, 1);
      assert.equal("cores" in doc.workers[0]!, false);
      assert.equal("metrics" in doc, false);
      assert.equal(typeof doc.workers[0]!.pid, "number", "the rest of the worker row is there");
    } finally {
      await probe.stop();
    }
  });

  test("--metrics-dir: a file per metric in uWSGI's layout (value, newline, NULs to 4096 bytes), rewritten when the value changes", async () => {
    const tmp = tempDir();
    const probe = await startProbe(["--processes", "1", "--metric", "name=seed.m,type=gauge,initial_value=7", "--metrics-dir", tmp.path]);
    try {
      const page = (name: string) => readFileSync(join(tmp.path, name));
      assert.equal(page("seed.m").length, 4096);
      assert.equal(page("seed.m").toString("latin1"), "7\n" + "\0".repeat(4094), "written at start");
      assert.ok(existsSync(join(tmp.path, "core.busy_workers")), "built-in metrics too");
      assert.equal(await probe.value(`return uwsgi.metric_set("seed.m", 123456)`), true);
      await eventually(() => page("seed.m").toString("latin1").startsWith("123456\n\0"), 10_000, "the file rewritten");
      assert.equal(page("seed.m").length, 4096);
    } finally {
      await probe.stop();
      tmp.cleanup();
    }
  });

  test("--metrics-dir naming a missing directory stops the start with a coded error", async () => {
    const asRoot = process.getuid?.() === 0 ? ["--uid", "root"] : [];
    const r = await runCli([...asRoot, "--http", "127.0.0.1:0", "--metrics-dir", "/nonexistent/uwsgi-node-metrics", fixtureApp("conformance-probe-app")]);
    assert.equal(r.code, 1);
    assert.match(r.stderr, /metrics-dir.*not a directory: \/nonexistent\/uwsgi-node-metrics/);
  });

  test("--worker-reload-mercy: a worker that does not exit on reload is ended once the mercy has passed (by itself, or killed by the master when its loop is blocked)", async () => {
    const tmp = tempDir();
    const marker = join(tmp.path, "blocking");
    const hangMarker = join(tmp.path, "hanging");
    const probe = await startProbe(["--processes", "1", "--worker-reload-mercy", "1"]);
    try {
      assert.match(probe.server.log(), /your mercy for graceful operations on workers is 1 seconds/);
      // 1. a request that never ends: the worker cuts it and exits when the mercy has passed
      const firstPid = (await probe.value("return process.pid")) as number;
      const hanging = httpRequest(probe.server.port, "/run", { method: "POST", body: `ctx.modules.fs.writeFileSync(${JSON.stringify(hangMarker)}, ""); await new Promise(() => {})`, timeoutMs: 60_000 }).catch((err: Error) => err);
      await eventually(() => existsSync(hangMarker), 5000, "the hanging request started");
      let from = probe.server.log().length;
      let started = Date.now();
      process.kill(probe.server.pid, "SIGHUP");
      await probe.server.waitForLog(/graceful reload complete/, 15_000, from);
      await eventually(() => !alive(firstPid), 10_000, "the first worker gone");
      assert.ok(Date.now() - started < 10_000, "ended after about 1 s, not uWSGI's default 60 s");
      assert.ok((await hanging) instanceof Error, "the hanging request's connection was cut");

      // 2. a worker whose event loop is blocked cannot end itself: the master kills it
      const secondPid = (await probe.value("return process.pid")) as number;
      assert.notEqual(secondPid, firstPid);
      const blocking = httpRequest(probe.server.port, "/run", {
        method: "POST",
        body: `ctx.modules.fs.writeFileSync(${JSON.stringify(marker)}, ""); const end = Date.now() + 30000; while (Date.now() < end) {}`,
        timeoutMs: 60_000,
      }).catch((err: Error) => err);
      await eventually(() => existsSync(marker), 5000, "the blocking request started");
      from = probe.server.log().length;
      started = Date.now();
      process.kill(probe.server.pid, "SIGHUP");
      await probe.server.waitForLog(new RegExp(`worker 1 \\(pid: ${secondPid}\\) did not stop within 1 seconds: killing it`), 15_000, from);
      await eventually(() => !alive(secondPid), 5000, "the blocked worker gone");
      assert.ok(Date.now() - started < 15_000, "killed after about 1 s, not uWSGI's default 60 s");
      assert.ok((await blocking) instanceof Error, "the blocked request's connection was cut");
      assert.notEqual(await probe.value("return process.pid"), secondPid, "a new worker serves");
    } finally {
      await probe.stop();
      tmp.cleanup();
    }
  });
});
