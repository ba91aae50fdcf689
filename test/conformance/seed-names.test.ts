/**
 * Every seed name (shared/spec/seed-uwsgi-module.md, 130 names) called inside a real uwsgi-node
 * process (a worker's request; a mule or a spooler where the name is about them), asserting what
 * it does. Each check records the status it saw; the last test compares them with
 * seed-manifest.ts, from which the README feature table is generated.
 */
import assert from "node:assert/strict";
import { mkdtempSync, readFileSync, rmSync, writeFileSync, utimesSync } from "node:fs";
import { request } from "node:http";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, describe, test } from "node:test";
import { WebSocket } from "ws";
import { readUntilClose } from "../integration/server-harness.js";
import { eventually, fixtureApp, startProbe, type ProbeInstance, type ProbePlace } from "./harness.js";
import { SEED_MANIFEST, statusWord } from "./seed-manifest.js";

const SEED = JSON.parse(readFileSync(new URL("../../../test/fixtures/seed-names.json", import.meta.url), "utf8")) as { attributes: string[]; functions: string[] };

/** Status each name showed in the checks below: "real", "placeholder" or the coded error. */
const seen = new Map<string, string>();

const bytes = (s: string) => ({ bytes: s });
const b64 = (code: string) => Buffer.from(code).toString("base64url");

describe("conformance (server): every seed name inside a real process", { timeout: 180_000 }, () => {
  let probe: ProbeInstance;
  const tmp = mkdtempSync(join(tmpdir(), "uwsgi-node-seed-conf-"));
  const spoolDir = join(tmp, "spool");
  const watched = join(tmp, "watched.txt");
  const file = join(tmp, "file.txt");

  /** Runs `code` in `where`, asserts no error and `expect(value)`, records the names as real. */
  async function real(names: string | string[], code: string, expect: (v: any) => void, where: ProbePlace = "worker"): Promise<void> {
    const v = await probe.value(code, where);
    expect(v);
    for (const n of [names].flat()) seen.set(n, "real");
  }
  async function placeholder(name: string, code: string, expected: unknown): Promise<void> {
    assert.deepEqual(await probe.value(code), expected, name);
    seen.set(name, "placeholder");
  }
  async function coded(name: string, code: string, expected: string): Promise<void> {
    assert.equal(await probe.errorCode(code), expected, name);
    seen.set(name, expected);
  }
  /** Sends a raw GET /run?code= and resolves with the status and body. */
  function raw(code: string, init: { method?: string; body?: Buffer[]; headers?: Record<string, string> } = {}): Promise<{ status: number; body: Buffer }> {
    return new Promise((resolve, reject) => {
      const req = request({ host: "127.0.0.1", port: probe.server.port, path: `/run?code=${b64(code)}`, method: init.method ?? "GET", headers: init.headers, agent: false }, (res) => {
        const chunks: Buffer[] = [];
        res.on("data", (c: Buffer) => chunks.push(c));
        res.on("end", () => resolve({ status: res.statusCode ?? 0, body: Buffer.concat(chunks) }));
        res.on("error", reject);
      });
      req.on("error", reject);
      req.setTimeout(10_000, () => req.destroy(new Error("raw request timed out")));
      for (const c of init.body ?? []) req.write(c);
      req.end();
    });
  }

  async function statsDocument(): Promise<{ workers: Array<Record<string, unknown>> }> {
    const port = Number(/Stats server enabled on 127\.0\.0\.1:(\d+)/.exec(probe.server.log())![1]);
    return JSON.parse(await readUntilClose(port)) as { workers: Array<Record<string, unknown>> };
  }

  before(async () => {
    writeFileSync(watched, "0");
    writeFileSync(file, "file-content\n");
    probe = await startProbe([
      "--processes", "1", "--socket", "127.0.0.1:0", "--stats", "127.0.0.1:0", "--buffer-size", "8192",
      "--cache2", "name=c,items=100", "--cache2", "name=probe,items=200,blocksize=65536",
      "--spooler", spoolDir, "--mules", "1", `--mule=${fixtureApp("conformance-probe-mule")}`, "--farm", "f:2", "--locks", "2",
      "--enable-metrics", "--metric", "name=m1",
    ]);
  });
  after(async () => {
    await probe?.stop();
    rmSync(tmp, { recursive: true, force: true });
  });

  test("process, master and introspection", async () => {
    await real(["buffer_size", "cores", "has_threads", "is_stub", "numproc", "unbit"], "return [uwsgi.buffer_size, uwsgi.cores, uwsgi.has_threads, uwsgi.is_stub, uwsgi.numproc, uwsgi.unbit]", (v) =>
      assert.deepEqual(v, [8192, 1, false, false, 1, false]),
    );
    await real(["hostname", "version", "version_info", "started_on", "masterpid"], "return [uwsgi.hostname, uwsgi.version, uwsgi.version_info, uwsgi.started_on, uwsgi.masterpid(), ctx.modules.os.hostname()]", (v) => {
      assert.deepEqual(v[0], bytes(v[5]));
      assert.match(v[1].bytes, /^2\.0\.21-uwsgi-node-/);
      assert.deepEqual(v[2].slice(0, 4), [2, 0, 21, 0]);
      assert.ok(Math.abs(v[3] - Date.now() / 1000) < 120);
      assert.equal(v[4], probe.server.pid);
    });
    await real(["magic_table", "opt"], "return [[uwsgi.magic_table.h, uwsgi.magic_table.v], uwsgi.opt.processes, uwsgi.opt.cache2, [ctx.modules.os.hostname(), process.cwd()]]", (v) => {
      assert.deepEqual(v[0], v[3].map(bytes), "%h and %v: hostname and cwd");
      assert.deepEqual(v[1], bytes("1"));
      assert.deepEqual(v[2], [bytes("name=c,items=100"), bytes("name=probe,items=200,blocksize=65536")]);
    });
    await real("sockets", "return uwsgi.sockets.map((fd) => ctx.modules.fs.fstatSync(fd).isSocket())", (v) => assert.deepEqual(v, [true, true]));
    await real("post_fork_hook", "return typeof uwsgi.post_fork_hook", (v) => assert.ok(["object", "function"].includes(v)));
    await real(["worker_id", "workers", "total_requests"], "return [uwsgi.worker_id(), uwsgi.workers().map((w) => [w.id, w.pid === process.pid]), uwsgi.total_requests()]", (v) => {
      assert.equal(v[0], 1);
      assert.deepEqual(v[1], [[1, true]]);
      assert.ok(v[2] >= 1);
    });
    await real(["mem", "micros", "ready", "loop", "listen_queue"], "return [uwsgi.mem(), uwsgi.micros(), Date.now(), uwsgi.ready(), uwsgi.loop(), uwsgi.listen_queue()]", (v) => {
      assert.ok(v[0][0] > 1e6 && v[0][1] >= v[0][0], "rss and vsz in bytes");
      assert.ok(Math.abs(v[1] / 1000 - v[2]) < 5000, "micros is the wall clock in µs");
      assert.equal(v[3], true);
      assert.equal(v[4], null);
      assert.equal(typeof v[5], "number");
    });
    await real(["log", "logsize"], "const before = uwsgi.logsize(); return [uwsgi.log('seed-conformance-log-line'), before]", (v) => assert.deepEqual([v[0], typeof v[1]], [true, "number"]));
    await probe.server.waitForLog(/seed-conformance-log-line/);
    await real("setprocname", "uwsgi.setprocname('uwsgi-node seed-probe'); return process.title", (v) => assert.equal(v, "uwsgi-node seed-probe"));
    await real("set_user_harakiri", "uwsgi.set_user_harakiri(30); uwsgi.set_user_harakiri(0); return true", (v) => assert.equal(v, true));
    await real("set_warning_message", "return uwsgi.set_warning_message('seed warning')", (v) => assert.equal(v, true));
    // accepting(false) shows in the stats document's worker row, accepting(true) again
    await real("accepting", "uwsgi.accepting(false); return true", (v) => assert.equal(v, true));
    await eventually(async () => (await statsDocument()).workers[0]!.accepting === 0, 10_000, "accepting 0 in the stats");
    await probe.value("uwsgi.accepting(true); return true");
    await eventually(async () => (await statsDocument()).workers[0]!.accepting === 1, 10_000, "accepting 1 in the stats");
    await real("alarm", "uwsgi.alarm('no-such-alarm', 'seed alarm message'); return true", (v) => assert.equal(v, true));
    await probe.server.waitForLog(/no-such-alarm/);
    await real("is_a_reload", "return uwsgi.is_a_reload()", (v) => assert.equal(v, false));
  });

  test("caches", async () => {
    await real(["cache_set", "cache_get", "cache_exists", "cache_update", "cache_del", "cache_keys", "cache_clear"], `
      const out = [];
      out.push(uwsgi.cache_set("k", "v1"), uwsgi.cache_set("k", "v2"), uwsgi.cache_get("k"), uwsgi.cache_exists("k"));
      out.push(uwsgi.cache_update("k", "v3", 0, "c"), uwsgi.cache_get("k", "c"), uwsgi.cache_keys("c").map(String));
      out.push(uwsgi.cache_del("k"), uwsgi.cache_del("k"), uwsgi.cache_get("k"), uwsgi.cache_exists("k"));
      uwsgi.cache_set("x", "1"); out.push(uwsgi.cache_clear("c"), uwsgi.cache_keys("c").length);
      return out;`, (v) => assert.deepEqual(v, [true, false, bytes("v1"), true, true, bytes("v3"), ["k"], true, false, null, false, true, 0]));
    await real(["cache_inc", "cache_dec", "cache_mul", "cache_div", "cache_num"], `
      return [uwsgi.cache_inc("n", 5), uwsgi.cache_num("n"), uwsgi.cache_mul("n", 6), uwsgi.cache_div("n", 3), uwsgi.cache_dec("n", 4), uwsgi.cache_num("n")];`,
      (v) => assert.deepEqual(v, [true, 5, true, true, true, 6]));
    // shared: the mule sees what the worker stored
    await probe.value(`return uwsgi.cache_update("shared", "from-worker")`);
    assert.deepEqual(await probe.value(`return uwsgi.cache_get("shared")`, "mule1"), bytes("from-worker"));
  });

  test("metrics", async () => {
    await real(["metric_set", "metric_get", "metric_inc", "metric_dec", "metric_mul", "metric_div", "metric_set_max", "metric_set_min"], `
      const g = () => uwsgi.metric_get("m1");
      const out = [uwsgi.metric_set("m1", 10), g(), uwsgi.metric_inc("m1", 5), g(), uwsgi.metric_dec("m1", 3), g(), uwsgi.metric_mul("m1", 2), g(), uwsgi.metric_div("m1", 4), g()];
      out.push(uwsgi.metric_set_max("m1", 100), g(), uwsgi.metric_set_max("m1", 1), g(), uwsgi.metric_set_min("m1", 7), g(), uwsgi.metric_set_min("m1", 50), g());
      return out;`, (v) => assert.deepEqual(v, [true, 10, true, 15, true, 12, true, 24, true, 6, true, 100, true, 100, true, 7, true, 7]));
    assert.equal(await probe.value(`return uwsgi.metric_get("m1")`, "mule1"), 7, "the mule reads the shared metric");
  });

  test("user locks", async () => {
    await real(["lock", "is_locked", "unlock"], "const a = uwsgi.is_locked(1); uwsgi.lock(1); const b = uwsgi.is_locked(1); uwsgi.unlock(1); return [a, b, uwsgi.is_locked(1)]", (v) => assert.deepEqual(v, [false, true, false]));
    // held by the worker: another process sees it locked
    await probe.value("uwsgi.lock(2); return true");
    assert.equal(await probe.value("return uwsgi.is_locked(2)", "mule1"), true);
    await probe.value("uwsgi.unlock(2); return true");
    assert.equal(await probe.value("return uwsgi.is_locked(2)", "mule1"), false);
  });

  test("signals, timers, cron, file monitors", async () => {
    await real(["register_signal", "signal_registered", "signal"], `
      const before = uwsgi.signal_registered(40);
      uwsgi.register_signal(40, "worker", () => uwsgi.cache_inc("sig40"));
      await uwsgi.signal(40);
      return [before, uwsgi.signal_registered(40)];`, (v) => assert.deepEqual(v, [false, true]));
    await eventually(async () => (await probe.value(`return uwsgi.cache_num("sig40")`)) === 1, 10_000, "signal 40 handled once");
    await real(["signal_wait", "signal_received"], `
      uwsgi.register_signal(41, "worker", () => {});
      const waiting = uwsgi.signal_wait(41); // waiting from the call on: the signal raised next wakes it
      void uwsgi.signal(41);
      return [await waiting, uwsgi.signal_received()];`, (v) => assert.deepEqual(v, [bytes(""), 41]));
    await real(["add_timer", "add_ms_timer", "add_rb_timer"], `
      uwsgi.register_signal(42, "worker", () => uwsgi.cache_inc("t42"));
      uwsgi.register_signal(43, "worker", () => uwsgi.cache_inc("t43"));
      uwsgi.register_signal(44, "worker", () => uwsgi.cache_inc("t44"));
      uwsgi.add_timer(42, 1); uwsgi.add_ms_timer(43, 100); uwsgi.add_rb_timer(44, 1, 2);
      return true;`, (v) => assert.equal(v, true));
    await eventually(async () => {
      const [t42, t43, t44] = (await probe.value(`return [uwsgi.cache_num("t42"), uwsgi.cache_num("t43"), uwsgi.cache_num("t44")]`)) as number[];
      return t42! >= 2 && t43! >= 10 && t44 === 2;
    }, 15_000, "the timers ticking (rb timer: exactly 2 times)");
    await real("add_cron", `uwsgi.register_signal(45, "worker", () => {}); let bad; try { uwsgi.add_cron(45, 99); } catch (e) { bad = e.code; } return [uwsgi.add_cron(45, -1, -1, -1, -1, -1), bad]`, (v) => assert.deepEqual(v, [true, "UWSGI_ERR_CRON_ADD"]));
    await real("add_file_monitor", `uwsgi.register_signal(46, "worker", () => uwsgi.cache_inc("fm46")); uwsgi.add_file_monitor(46, ${JSON.stringify(watched)}); return true`, (v) => assert.equal(v, true));
    await eventually(async () => {
      writeFileSync(watched, String(Date.now()));
      utimesSync(watched, new Date(), new Date());
      return ((await probe.value(`return uwsgi.cache_num("fm46")`)) as number) >= 1;
    }, 15_000, "the file monitor's signal");
  });

  test("RPC", async () => {
    await real(["register_rpc", "call", "rpc", "rpc_list"], `
      const ok = uwsgi.register_rpc("seed_w", (...a) => "w:" + a.map(String).join(","));
      return [ok, await uwsgi.call("seed_w", "a", "b"), await uwsgi.rpc(null, "seed_w", "c"), uwsgi.rpc_list().map(String).includes("seed_w"), await uwsgi.call("seed_missing")];`,
      (v) => assert.deepEqual(v, [true, bytes("w:a,b"), bytes("w:c"), true, null]));
    // a worker calls a function only the mule registered (routed by the master)
    const fromMule = await probe.value(`return String(await uwsgi.call("probe_mule1", "return uwsgi.mule_id()"))`);
    assert.deepEqual(JSON.parse(fromMule as string), { value: 1 });
  });

  test("spooler", async () => {
    await real(["SPOOL_OK", "SPOOL_RETRY", "SPOOL_IGNORE"], "return [uwsgi.SPOOL_OK, uwsgi.SPOOL_RETRY, uwsgi.SPOOL_IGNORE]", (v) => assert.deepEqual(v, [-2, -1, 0]));
    await real("spooler", "return typeof uwsgi.spooler", (v) => assert.equal(v, "function"));
    await real(["spooler_pid", "spooler_pids", "i_am_the_spooler", "set_spooler_frequency"], "return [uwsgi.spooler_pid(), uwsgi.spooler_pids(), uwsgi.i_am_the_spooler(), uwsgi.set_spooler_frequency(30), uwsgi.workers().map(w => w.pid)]", (v) => {
      assert.ok(v[0] > 0 && v[0] !== probe.server.pid && !v[4].includes(v[0]), "a spooler process");
      assert.deepEqual(v[1], [v[0]]);
      assert.equal(v[2], false);
      assert.equal(v[3], true);
    });
    assert.deepEqual(await probe.value("return [uwsgi.i_am_the_spooler(), process.pid === uwsgi.spooler_pid(), uwsgi.worker_id()]", "spooler"), [true, true, 0]);
    // a task for later: it waits in the directory, readable with spooler_jobs / spooler_get_task / parsefile
    await real(["send_to_spooler", "spooler_jobs", "spooler_get_task", "parsefile"], `
      const path = uwsgi.send_to_spooler({ seed: "later", at: String(Math.floor(Date.now() / 1000) + 3600) }).toString();
      const jobs = uwsgi.spooler_jobs().map(String);
      const task = uwsgi.spooler_get_task(path);
      const parsed = uwsgi.parsefile(path);
      ctx.modules.fs.unlinkSync(path);
      return [jobs.includes(path), task && String(task.seed), parsed && String(parsed.seed), uwsgi.spool({ seed: "now" }).length > 0];`,
      (v) => assert.deepEqual(v, [true, "later", "later", true]));
  });

  test("mules and farms", async () => {
    await real(["mule_id", "in_farm"], "return [uwsgi.mule_id(), uwsgi.in_farm(), uwsgi.in_farm('f')]", (v) => assert.deepEqual(v, [0, null, null]));
    assert.deepEqual(await probe.value("return [uwsgi.mule_id(), uwsgi.worker_id(), uwsgi.in_farm(), uwsgi.in_farm('f')]", "mule1"), [1, 0, false, false]);
    assert.deepEqual(await probe.value("return [uwsgi.mule_id(), uwsgi.worker_id(), uwsgi.in_farm(), uwsgi.in_farm('f'), uwsgi.in_farm('nope')]", "mule2"), [2, 0, true, true, false]);
    // mule 1 runs the message loop: its mule_msg_hook gets the message
    await real(["mule_msg", "mule_msg_hook"], `return [uwsgi.mule_msg("to-hook", 1), typeof uwsgi.mule_msg_hook]`, (v) => assert.deepEqual(v, [true, "object"]));
    await eventually(async () => JSON.stringify(await probe.value(`return uwsgi.cache_get("mule1_hook_last", "probe")`)) === JSON.stringify(bytes("to-hook")), 10_000, "mule 1's hook");
    // mule 2 is programmed: it takes its own message, then the farm's. Messages wait in the
    // master's queues until the mule asks; the farm's is sent only once mule 2 reported taking its
    // own (so mule_get_msg, which also takes farm messages, cannot see both at once).
    const waiting = probe.run(`const own = await uwsgi.mule_get_msg({ timeout: 10 });
      uwsgi.cache_update("mule2_own", own, 0, "probe");
      return [own, await uwsgi.farm_get_msg()]`, "mule2");
    assert.equal(await probe.value(`return uwsgi.mule_msg("to-mule-2", 2)`), true);
    await eventually(async () => (await probe.value(`return uwsgi.cache_exists("mule2_own", "probe")`)) === true, 10_000, "mule 2 taking its own message");
    await real("farm_msg", `return uwsgi.farm_msg("f", "to-farm-f")`, (v) => assert.deepEqual(v, { undefined: true }, "farm_msg returns nothing"));
    assert.deepEqual(await waiting, { value: [bytes("to-mule-2"), bytes("to-farm-f")] });
    seen.set("mule_get_msg", "real");
    seen.set("farm_get_msg", "real");
    assert.equal(await probe.errorCode("return await uwsgi.mule_get_msg()"), "UWSGI_ERR_NOT_IN_MULE", "receiving is for mules");
  });

  test("request I/O and request log", async () => {
    await real(["env", "request_id", "cl", "connection_fd", "add_var", "set_logvar", "get_logvar", "log_this_request", "ready_fd"], `
      const out = [uwsgi.env.REQUEST_METHOD, uwsgi.env.PATH_INFO, uwsgi.request_id() > 0, uwsgi.cl(), uwsgi.connection_fd() > 2];
      out.push(uwsgi.add_var("SEED_VAR", "sv"), uwsgi.env.SEED_VAR);
      out.push(uwsgi.get_logvar("seed_lv")); uwsgi.set_logvar("seed_lv", "lv1"); out.push(uwsgi.get_logvar("seed_lv"));
      uwsgi.log_this_request();
      out.push(typeof uwsgi.ready_fd());
      return out;`, (v) => assert.deepEqual(v, ["POST", "/run", true, v[3], true, true, "sv", null, bytes("lv1"), "boolean"]));
    await real("extract", `return uwsgi.extract(${JSON.stringify(file)})`, (v) => assert.deepEqual(v, bytes("file-content\n")));
    // the snippet reads the body itself
    const chunked = await raw(`ctx.answered(); const parts = []; for (let c = await uwsgi.chunked_read(5); c.length > 0; c = await uwsgi.chunked_read(5)) parts.push(String(c)); const nb = await uwsgi.chunked_read_nb(); ctx.res.end(JSON.stringify([parts.join("|"), nb === null ? null : nb.length]));`, {
      method: "POST", headers: { "transfer-encoding": "chunked" }, body: [Buffer.from("abc"), Buffer.from("defg")],
    });
    assert.equal(chunked.status, 200, chunked.body.toString());
    const [joined, nb] = JSON.parse(chunked.body.toString()) as [string, number | null];
    assert.equal(joined.replace(/\|/g, ""), "abcdefg");
    assert.ok(nb === null || nb === 0);
    seen.set("chunked_read", "real");
    seen.set("chunked_read_nb", "real");
    const sent = await raw(`ctx.answered(); ctx.res.setHeader("content-type", "text/plain"); await uwsgi.send("hello "); await uwsgi.send(Buffer.from("world")); ctx.res.end();`);
    assert.equal(sent.body.toString(), "hello world");
    seen.set("send", "real");
    const sentFile = await raw(`ctx.answered(); await uwsgi.sendfile(${JSON.stringify(file)}); ctx.res.end();`);
    assert.equal(sentFile.body.toString(), "file-content\n");
    seen.set("sendfile", "real");
    const offloaded = await raw(`ctx.answered(); await uwsgi.offload(${JSON.stringify(file)});`);
    assert.equal(offloaded.body.toString(), "file-content\n");
    seen.set("offload", "real");
    await assert.rejects(raw("ctx.answered(); uwsgi.disconnect();"), /socket hang up|ECONNRESET/);
    seen.set("disconnect", "real");
  });

  test("websockets", async () => {
    const code = `ctx.answered();
      await uwsgi.websocket_handshake();
      await uwsgi.websocket_send("ready");
      const m = await uwsgi.websocket_recv();
      const none = await uwsgi.websocket_recv_nb(); // the client sends nothing more until the echo
      await uwsgi.websocket_send_binary(Buffer.concat([Buffer.from("echo:"), m]));
      const nb = await ctx.eventually(async () => {
        const got = await uwsgi.websocket_recv_nb();
        return got.length > 0 ? got : null;
      }, 10000, "a message for websocket_recv_nb", 5);
      await uwsgi.websocket_send("nb:" + nb + " after " + none.length);`;
    const ws = new WebSocket(`ws://127.0.0.1:${probe.server.port}/run?code=${b64(code)}`);
    const messages: Array<{ text: string; binary: boolean }> = [];
    const waiters: Array<() => void> = [];
    ws.on("message", (data: Buffer, binary: boolean) => {
      messages.push({ text: data.toString(), binary });
      for (const w of waiters.splice(0)) w();
    });
    const until = (n: number) => eventually(() => messages.length >= n, 10_000, `${n} websocket messages`);
    await new Promise((resolve, reject) => ws.once("open", resolve).once("error", reject));
    await until(1);
    ws.send("ping-1");
    await until(2);
    ws.send("later");
    await until(3);
    ws.close();
    assert.deepEqual(messages, [{ text: "ready", binary: false }, { text: "echo:ping-1", binary: true }, { text: "nb:later after 0", binary: false }]);
    for (const n of ["websocket_handshake", "websocket_send", "websocket_recv", "websocket_send_binary", "websocket_recv_nb"]) seen.set(n, "real");
    assert.equal(await probe.errorCode("return await uwsgi.websocket_recv()"), "UWSGI_ERR_WEBSOCKET_NONE", "no websocket on a plain request");
  });

  test("sockets and async primitives", async () => {
    await real(["connect", "is_connected", "send", "wait_fd_write", "wait_fd_read", "recv", "close"], `
      const fd = await uwsgi.connect("127.0.0.1:" + ctx.req.socket.localPort, 5);
      const out = [fd >= 0, uwsgi.is_connected(fd)];
      await uwsgi.wait_fd_write(fd, 5);
      out.push(await uwsgi.send(fd, "GET /spooled?key=none HTTP/1.0\\r\\n\\r\\n"));
      await uwsgi.wait_fd_read(fd, 5);
      let text = "";
      for (let c = await uwsgi.recv(fd); c.length > 0; c = await uwsgi.recv(fd)) text += c;
      out.push(text.startsWith("HTTP/1.") && text.includes('{"pending":true}'));
      uwsgi.close(fd);
      out.push(uwsgi.is_connected(fd));
      return out;`, (v) => assert.deepEqual(v, [true, true, true, true, false]));
    await real("async_connect", "return [await uwsgi.async_connect('127.0.0.1:' + ctx.req.socket.localPort) >= 0, await uwsgi.async_connect('127.0.0.1:1')]", (v) => assert.deepEqual(v, [true, -1]));
    await real(["async_sleep", "suspend", "green_schedule"], "const t = Date.now(); const s = await uwsgi.async_sleep(0.1); return [s, Date.now() - t >= 90, await uwsgi.suspend(), await uwsgi.green_schedule()]", (v) =>
      assert.deepEqual(v, [bytes(""), true, true, true]),
    );
  });

  test("legions: no legion configured", async () => {
    await real(["i_am_the_lord", "lord_scroll", "scrolls"], "return [uwsgi.i_am_the_lord('none'), uwsgi.lord_scroll('none'), uwsgi.scrolls('none')]", (v) => assert.deepEqual(v, [false, null, null]));
  });

  test("Python-only names, embedded_data and internal routing", async () => {
    for (const n of ["SymbolsImporter", "SymbolsZipImporter", "ZipImporter", "applications", "start_response"]) await placeholder(n, `return uwsgi.${n}`, null);
    // a blob registered with registerEmbeddedData is read in test/conformance/request.test.ts; nothing is registered here
    await real("embedded_data", "try { uwsgi.embedded_data('never-registered'); return 'no error'; } catch (e) { return e.code; }", (v) => assert.equal(v, "UWSGI_ERR_EMBEDDED_DATA"));
    await real("route", "return [uwsgi.route('addvar', 'SEED_ROUTE=${REQUEST_METHOD}'), uwsgi.env.SEED_ROUTE, uwsgi.env.REQUEST_METHOD, uwsgi.route('static', '/etc/passwd')]", (v) => {
      assert.equal(v[0], 0, "NEXT");
      assert.equal(v[1], v[2], "${REQUEST_METHOD} translated");
      assert.equal(v[3], -1, "an action uwsgi-node does not provide");
    });
  });

  test("reload: workers replaced, is_a_reload() true in the new one; stop ends the instance", async () => {
    const oldPid = await probe.value("return process.pid");
    const from = probe.server.log().length;
    await real("reload", "return uwsgi.reload()", (v) => assert.equal(v, true));
    await probe.server.waitForLog(/graceful reload complete/, 30_000, from);
    assert.deepEqual(await probe.value("return [uwsgi.is_a_reload(), process.pid]").then((v) => [(v as unknown[])[0], (v as unknown[])[1] !== oldPid]), [true, true]);
    // stop() is uWSGI's brutal stop (SIGQUIT to the master: workers are killed without waiting for
    // their requests), so the reply to the request that calls it races the kill: the call returns
    // true or loses only its own reply, and the instance must end cleanly
    await probe.value("return uwsgi.stop()").then(
      (v) => assert.equal(v, true),
      (err: unknown) => assert.match(String(err), /socket hang up|ECONNRESET/),
    );
    seen.set("stop", "real");
    const exit = await probe.server.exited;
    assert.equal(exit.code, 0);
  });

  test("every seed name was checked, with the status seed-manifest.ts declares", () => {
    const names = [...SEED.attributes, ...SEED.functions];
    assert.equal(names.length, 130);
    assert.deepEqual(Object.keys(SEED_MANIFEST).sort(), [...names].sort(), "the manifest lists exactly the seed names");
    const mismatched = names.filter((n) => seen.get(n) !== statusWord(SEED_MANIFEST[n]!.server)).map((n) => `${n}: saw ${seen.get(n) ?? "(not checked)"}, manifest ${statusWord(SEED_MANIFEST[n]!.server)}`);
    assert.deepEqual(mismatched, []);
  });
});

