/**
 * The stub's spooler through the public facade (§3): real spool files in uWSGI's byte format,
 * runSpooler with the return-code protocol, `at`, `priority`, `body`, the `spooler` key, and
 * the task-reading functions.
 */
import { afterEach, beforeEach, describe, test } from "node:test";
import assert from "node:assert/strict";
import { existsSync, mkdtempSync, readFileSync, readdirSync, rmSync, statSync, utimesSync, writeFileSync } from "node:fs";
import { hostname, tmpdir } from "node:os";
import { basename, dirname, join } from "node:path";
import { uwsgi } from "../../../src/index.js";
import type { SpoolTask } from "../../../src/index.js";
import { advance, configure, reset, runSpooler } from "../../../src/testing.js";
import { isUwsgiError, type ErrorCode } from "../../../src/errors.js";
import { encodeSpoolFile } from "../../../src/protocol/spool-file.js";

const code = (c: ErrorCode) => (e: unknown) => isUwsgiError(e, c);
const b = (s: string) => Buffer.from(s);
const T0 = Date.UTC(2024, 0, 15, 12, 0, 0);

/** `[u16 len][bytes]` pairs of a uwsgi dict. */
function dict(...pairs: Array<[string, string]>): Buffer {
  const parts: Buffer[] = [];
  for (const [k, v] of pairs) {
    for (const s of [k, v]) {
      const len = Buffer.alloc(2);
      len.writeUInt16LE(Buffer.byteLength(s));
      parts.push(len, b(s));
    }
  }
  return Buffer.concat(parts);
}

let root: string;
let dirA: string;
let dirB: string;

beforeEach(() => {
  root = mkdtempSync(join(tmpdir(), "uwsgi-node-stub-spooler-"));
  dirA = join(root, "a");
  dirB = join(root, "b");
  configure(["--spooler", dirA, "--spooler", dirB], { startMs: T0 });
});

afterEach(() => {
  reset();
  rmSync(root, { recursive: true, force: true });
});

describe("stub spooler: spool files", () => {
  test("send_to_spooler writes a uWSGI spool file in the first spooler and returns its path", () => {
    const path = uwsgi.send_to_spooler({ a: "1" });
    assert.ok(Buffer.isBuffer(path));
    const p = path.toString();
    assert.equal(dirname(p), dirA);
    assert.match(basename(p), new RegExp(`^uwsgi_spoolfile_on_${hostname().replace(/[.]/g, "\\.")}_${process.pid}_\\d+_\\d+_\\d+_\\d+$`));
    assert.deepEqual(readFileSync(p), Buffer.from("11060000010061010031", "hex"), "probe bytes of {a: 1}");
    assert.equal(statSync(p).mode & 0o777, 0o600);
  });

  test("the spooler directories are created by configure", () => {
    assert.ok(statSync(dirA).isDirectory());
    assert.ok(statSync(dirB).isDirectory());
  });

  test("spool() is the same function", () => {
    const p = uwsgi.spool({ k: "v" }).toString();
    assert.deepEqual(readFileSync(p), Buffer.concat([Buffer.from([17, 6, 0, 0]), dict(["k", "v"])]));
  });

  test("priority puts the task in <dir>/<priority>/ and stays in the dict (probe bytes)", () => {
    const p = uwsgi.send_to_spooler({ priority: "5", action: "ok" }).toString();
    assert.equal(dirname(p), join(dirA, "5"));
    assert.deepEqual(readFileSync(p), Buffer.concat([Buffer.from("11190000", "hex"), dict(["priority", "5"], ["action", "ok"])]));
  });

  test("body is written raw after the dict and not kept in it", () => {
    const body = Buffer.from([0, 1, 2, 255, 0x61]);
    const p = uwsgi.send_to_spooler({ x: "y", body }).toString();
    assert.deepEqual(readFileSync(p), Buffer.concat([Buffer.from([17, 6, 0, 0]), dict(["x", "y"]), body]));
    assert.deepEqual(uwsgi.parsefile(p), { x: b("y") });
  });

  test("numbers are written in decimal; the kwargs object merges over the message", () => {
    const p = uwsgi.send_to_spooler({ n: 42, s: "keep", o: "old" }, { o: "new", f: 1.5 }).toString();
    assert.deepEqual(uwsgi.parsefile(p), { n: b("42"), s: b("keep"), o: b("new"), f: b("1.5") });
  });

  test("kwargs alone (null message) spool too", () => {
    const p = uwsgi.send_to_spooler(null, { only: "kw" }).toString();
    assert.deepEqual(uwsgi.parsefile(p), { only: b("kw") });
  });

  test("at sets the file time and stays in the dict", () => {
    const at = T0 / 1000 + 3600;
    const p = uwsgi.send_to_spooler({ at, job: "later" }).toString();
    assert.equal(statSync(p).mtimeMs, at * 1000);
    assert.deepEqual(uwsgi.parsefile(p), { at: b(String(at)), job: b("later") });
  });

  test("the spooler key picks the directory among the configured ones", () => {
    const p = uwsgi.send_to_spooler({ spooler: dirB, job: "b" }).toString();
    assert.equal(dirname(p), dirB);
    assert.deepEqual(uwsgi.parsefile(p), { spooler: b(dirB), job: b("b") }, "the reserved key stays in the dict");
    assert.equal(dirname(uwsgi.send_to_spooler({ spooler: dirA }).toString()), dirA);
  });

  test("a spooler key naming no configured spooler fails with UWSGI_ERR_SPOOL_FAILED and writes nothing", () => {
    assert.throws(() => uwsgi.send_to_spooler({ spooler: join(root, "c"), job: "x" }), code("UWSGI_ERR_SPOOL_FAILED"));
    assert.throws(() => uwsgi.send_to_spooler({ spooler: "b" }), code("UWSGI_ERR_SPOOL_FAILED"), "relative to the cwd, not to the spoolers");
    assert.deepEqual(readdirSync(dirA), []);
    assert.deepEqual(readdirSync(dirB), []);
  });

  test("bad messages are coded errors", () => {
    const bad: Array<[unknown, unknown]> = [
      [[["a", "b"]], undefined],
      [b("a"), undefined],
      ["text", undefined],
      [{ priority: "high" }, undefined],
      [{ priority: "../x" }, undefined],
      [{ at: "soon" }, undefined],
      [{ n: Number.NaN }, undefined],
      [{ big: "x".repeat(70_000) }, undefined],
      [{ "": "empty key" }, undefined],
      [{ v: { not: "bytes" } }, undefined],
    ];
    for (const [message, kwargs] of bad) {
      assert.throws(
        () => uwsgi.send_to_spooler(message as never, kwargs as never),
        (e: unknown) => isUwsgiError(e, "UWSGI_ERR_SPOOL_ARGUMENT") || isUwsgiError(e, "UWSGI_ERR_INVALID_ARGUMENT"),
        JSON.stringify(message)?.slice(0, 60),
      );
    }
    assert.deepEqual(readdirSync(dirA), [], "nothing written, not even a temporary file");
  });

  test("a big value goes through as the body", async () => {
    const body = Buffer.alloc(200_000, 0x62);
    uwsgi.send_to_spooler({ job: "big", body });
    let got: Buffer | undefined;
    uwsgi.spooler = (task) => {
      got = task.body;
      return uwsgi.SPOOL_OK;
    };
    await runSpooler();
    assert.ok(got?.equals(body));
  });
});

describe("stub spooler: runSpooler and the return codes", () => {
  test("the callable gets the dict with Buffer values plus spooler_task_name; SPOOL_OK removes the file", async () => {
    const tasks: SpoolTask[] = [];
    uwsgi.spooler = (task) => {
      tasks.push(task);
      return uwsgi.SPOOL_OK;
    };
    const p = uwsgi.send_to_spooler({ to: "a@example.com", n: 3 }).toString();
    const outcomes = await runSpooler();
    assert.deepEqual(tasks, [{ to: b("a@example.com"), n: b("3"), spooler_task_name: b(basename(p)) }]);
    assert.equal(outcomes.length, 1);
    assert.equal(outcomes[0]?.status, "done");
    assert.equal(outcomes[0]?.path, p);
    assert.equal(existsSync(p), false);
    assert.deepEqual(await runSpooler(), [], "nothing left");
  });

  test("the task gets body when one was spooled", async () => {
    let task: SpoolTask | undefined;
    uwsgi.spooler = (t) => {
      task = t;
      return uwsgi.SPOOL_OK;
    };
    uwsgi.send_to_spooler({ k: "v", body: "payload" });
    await runSpooler();
    assert.deepEqual(task?.body, b("payload"));
    assert.deepEqual(task?.k, b("v"));
  });

  for (const [name, result, status] of [
    ["SPOOL_RETRY", -1, "retry"],
    ["SPOOL_IGNORE", 0, "ignored"],
    ["another number", 5, "retry"],
    ["a non-number", "x", "retry"],
    ["nothing", undefined, "retry"],
  ] as const) {
    test(`returning ${name} keeps the task; it runs again once its retry backoff (the scan period) has passed`, async () => {
      let calls = 0;
      uwsgi.spooler = () => {
        calls++;
        return result as number;
      };
      const p = uwsgi.send_to_spooler({ job: "j" }).toString();
      const [first] = await runSpooler();
      assert.equal(first?.status, status);
      assert.equal(first?.returned, result);
      assert.equal(first?.attempts, 1);
      assert.equal(first?.retryAtMs, T0 + 30_000, "first retry one --spooler-frequency (30 s) later");
      assert.ok(existsSync(p));
      assert.deepEqual(await runSpooler(), [], "not before its retry time");
      await advance(30_000);
      const [second] = await runSpooler();
      assert.equal(calls, 2);
      assert.equal(second?.retryAtMs, T0 + 30_000 + 60_000, "the backoff doubles");
      assert.ok(existsSync(p));
    });
  }

  test("a callable that throws keeps the task (status failed, the error reported)", async () => {
    uwsgi.spooler = () => {
      throw new Error("smtp down");
    };
    const p = uwsgi.send_to_spooler({ job: "j" }).toString();
    const [outcome] = await runSpooler();
    assert.equal(outcome?.status, "failed");
    assert.match(String((outcome?.error as Error).message), /smtp down/);
    assert.ok(existsSync(p));
  });

  test("an async callable is awaited", async () => {
    uwsgi.spooler = async () => {
      await new Promise((r) => setImmediate(r));
      return uwsgi.SPOOL_OK;
    };
    const p = uwsgi.send_to_spooler({ job: "j" }).toString();
    const [outcome] = await runSpooler();
    assert.equal(outcome?.status, "done");
    assert.equal(existsSync(p), false);
  });

  test("without uwsgi.spooler the task is kept (ignored)", async () => {
    const p = uwsgi.send_to_spooler({ job: "j" }).toString();
    const [outcome] = await runSpooler();
    assert.equal(outcome?.status, "ignored");
    assert.ok(existsSync(p));
  });

  test("i_am_the_spooler is true inside the callable, false outside; worker_id and mule_id are 0 there", async () => {
    let inside: unknown[] = [];
    uwsgi.spooler = () => {
      inside = [uwsgi.i_am_the_spooler(), uwsgi.worker_id(), uwsgi.mule_id()];
      return uwsgi.SPOOL_OK;
    };
    uwsgi.send_to_spooler({ job: "j" });
    await runSpooler();
    assert.deepEqual(inside, [true, 0, 0]);
    assert.equal(uwsgi.i_am_the_spooler(), false);
  });

  test("a task with at in the future runs only once the clock reaches it", async () => {
    const ran: string[] = [];
    uwsgi.spooler = (t) => {
      ran.push(String(t.job));
      return uwsgi.SPOOL_OK;
    };
    uwsgi.send_to_spooler({ job: "later", at: T0 / 1000 + 60 });
    uwsgi.send_to_spooler({ job: "now" });
    await runSpooler();
    assert.deepEqual(ran, ["now"]);
    await advance(59_999);
    assert.deepEqual(await runSpooler(), []);
    await advance(1);
    await runSpooler();
    assert.deepEqual(ran, ["now", "later"]);
  });

  test("numeric priority directories run first, lowest first, then the top-level tasks", async () => {
    const ran: string[] = [];
    uwsgi.spooler = (t) => {
      ran.push(String(t.job));
      return uwsgi.SPOOL_OK;
    };
    uwsgi.send_to_spooler({ job: "plain" });
    uwsgi.send_to_spooler({ job: "p10", priority: 10 });
    uwsgi.send_to_spooler({ job: "p2", priority: "2" });
    uwsgi.send_to_spooler({ job: "p0", priority: 0 });
    await runSpooler();
    assert.deepEqual(ran, ["p0", "p2", "p10", "plain"]);
  });

  test("runSpooler serves every configured spooler directory", async () => {
    const ran: string[] = [];
    uwsgi.spooler = (t) => {
      ran.push(String(t.job));
      return uwsgi.SPOOL_OK;
    };
    uwsgi.send_to_spooler({ job: "a" });
    uwsgi.send_to_spooler({ job: "b", spooler: dirB });
    await runSpooler();
    assert.deepEqual(ran.sort(), ["a", "b"]);
    assert.deepEqual(readdirSync(dirB), []);
  });

  test("--spooler-external is a valid target that the stub does not run", async () => {
    const ext = join(root, "ext");
    configure(["--spooler", dirA, "--spooler-external", ext], { startMs: T0 });
    let calls = 0;
    uwsgi.spooler = () => {
      calls++;
      return uwsgi.SPOOL_OK;
    };
    const p = uwsgi.send_to_spooler({ spooler: ext, job: "x" }).toString();
    assert.equal(dirname(p), ext);
    assert.deepEqual(await runSpooler(), []);
    assert.equal(calls, 0);
    assert.ok(existsSync(p));
  });

  test("a malformed task file is set aside as malformed_<name>, not run and not deleted", async () => {
    let calls = 0;
    uwsgi.spooler = () => {
      calls++;
      return uwsgi.SPOOL_OK;
    };
    const bad = join(dirA, "uwsgi_spoolfile_on_x_1_1_1_1_1");
    writeFileSync(bad, Buffer.from([17, 50, 0, 0, 1]));
    utimesSync(bad, T0 / 1000, T0 / 1000);
    const [outcome] = await runSpooler();
    assert.equal(outcome?.status, "malformed");
    assert.equal(calls, 0);
    assert.equal(existsSync(bad), false);
    assert.ok(existsSync(join(dirA, "malformed_uwsgi_spoolfile_on_x_1_1_1_1_1")));
    assert.deepEqual(await runSpooler(), [], "never scanned again");
  });

  test("files not named uwsgi_spoolfile_on_* are left alone", async () => {
    writeFileSync(join(dirA, "notes.txt"), "hello");
    assert.deepEqual(await runSpooler(), []);
    assert.ok(existsSync(join(dirA, "notes.txt")));
  });

  test("concurrent runSpooler calls share one pass (a task runs once)", async () => {
    let calls = 0;
    uwsgi.spooler = async () => {
      calls++;
      await new Promise((r) => setImmediate(r));
      return uwsgi.SPOOL_OK;
    };
    uwsgi.send_to_spooler({ job: "once" });
    const [x, y] = await Promise.all([runSpooler(), runSpooler()]);
    assert.equal(calls, 1);
    assert.deepEqual(x, y);
  });

  test("with the real clock the spooler runs a new task by itself", async () => {
    configure(["--spooler", dirA], { clock: "real", echoLog: false });
    let resolveRan!: (t: SpoolTask) => void;
    const ran = new Promise<SpoolTask>((r) => (resolveRan = r));
    uwsgi.spooler = (t) => {
      resolveRan(t);
      return uwsgi.SPOOL_OK;
    };
    const p = uwsgi.send_to_spooler({ job: "auto" }).toString();
    let timer: NodeJS.Timeout | undefined;
    const task = await Promise.race([ran, new Promise<never>((_, rej) => (timer = setTimeout(() => rej(new Error("the spooler did not run")), 5_000)))]);
    clearTimeout(timer);
    assert.deepEqual(task.job, b("auto"));
    await runSpooler();
    assert.equal(existsSync(p), false);
  });
  test("with the real clock the spooler scans again every --spooler-frequency seconds (retries, later at)", async () => {
    configure(["--spooler", dirA, "--spooler-frequency", "1"], { clock: "real", echoLog: false });
    const runs: string[] = [];
    let resolveDone!: () => void;
    const done = new Promise<void>((r) => (resolveDone = r));
    uwsgi.spooler = (t) => {
      runs.push(String(t.job));
      if (runs.length === 3) resolveDone();
      if (String(t.job) === "flaky" && runs.filter((j) => j === "flaky").length === 1) return uwsgi.SPOOL_RETRY;
      return uwsgi.SPOOL_OK;
    };
    uwsgi.send_to_spooler({ job: "flaky" });
    uwsgi.send_to_spooler({ job: "later", at: Math.floor(Date.now() / 1000) + 1 });
    let timer: NodeJS.Timeout | undefined;
    await Promise.race([done, new Promise<never>((_, rej) => (timer = setTimeout(() => rej(new Error(`runs so far: ${runs.join(",")}`)), 6_000)))]);
    clearTimeout(timer);
    assert.deepEqual(runs.sort(), ["flaky", "flaky", "later"]);
    assert.deepEqual(uwsgi.spooler_jobs(), []);
  });
});

describe("stub spooler: jobs, tasks, parsefile and the rest", () => {
  test("a spooled key named __proto__ stays a key in the task and in parsefile", async () => {
    const path = join(dirA, "uwsgi_spoolfile_on_x_1_1_1_1_2");
    writeFileSync(path, encodeSpoolFile([["__proto__", "p"], ["k", "v"]]), { mode: 0o600 });
    utimesSync(path, T0 / 1000, T0 / 1000);
    const parsed = uwsgi.parsefile(path)!;
    assert.deepEqual(Object.keys(parsed), ["__proto__", "k"]);
    assert.deepEqual(parsed["__proto__"], b("p"));
    assert.equal(Object.getPrototypeOf(parsed), Object.prototype);
    let seen: SpoolTask | null = null;
    uwsgi.spooler = (task) => {
      seen = task;
      return uwsgi.SPOOL_OK;
    };
    await runSpooler();
    assert.ok(seen);
    assert.deepEqual(Object.getOwnPropertyDescriptor(seen, "__proto__")?.value, b("p"));
  });

  test("spooler_jobs lists the full paths of the first spooler's top-level tasks", () => {
    assert.deepEqual(uwsgi.spooler_jobs(), []);
    const p1 = uwsgi.send_to_spooler({ job: "1" });
    const p2 = uwsgi.send_to_spooler({ job: "2", at: T0 / 1000 + 3600 });
    uwsgi.send_to_spooler({ job: "3", priority: 1 });
    uwsgi.send_to_spooler({ job: "4", spooler: dirB });
    const jobs = uwsgi.spooler_jobs();
    assert.ok(jobs.every((j) => Buffer.isBuffer(j)));
    assert.deepEqual(jobs.map(String).sort(), [p1.toString(), p2.toString()].sort(), "scheduled tasks included; priority dirs and other spoolers not");
  });

  test("spooler_get_task reads a task like the callable gets it, spooler_task_name = the path given", () => {
    const p = uwsgi.send_to_spooler({ job: "x", body: "B" }).toString();
    assert.deepEqual(uwsgi.spooler_get_task(p), { job: b("x"), spooler_task_name: b(p), body: b("B") });
    assert.equal(uwsgi.spooler_get_task(join(dirA, "missing")), null);
    writeFileSync(join(dirA, "junk"), "garbage!");
    assert.equal(uwsgi.spooler_get_task(join(dirA, "junk")), null);
  });

  test("parsefile reads a modifier1 17 or 0 file into a dict; null for missing or malformed files", () => {
    const p = uwsgi.send_to_spooler({ a: "1", b: "2", body: "ignored" }).toString();
    assert.deepEqual(uwsgi.parsefile(p), { a: b("1"), b: b("2") });
    const wsgi = join(root, "wsgi-packet");
    writeFileSync(wsgi, Buffer.concat([Buffer.from([0, 14, 0, 0]), dict(["PATH_INFO", "/"])]));
    assert.deepEqual(uwsgi.parsefile(wsgi), { PATH_INFO: b("/") });
    assert.equal(uwsgi.parsefile(join(root, "missing")), null);
    const junk = join(root, "junk");
    writeFileSync(junk, Buffer.from([99, 1, 0, 0, 0]));
    assert.equal(uwsgi.parsefile(junk), null);
  });

  test("set_spooler_frequency returns true; bad values are coded errors", () => {
    assert.equal(uwsgi.set_spooler_frequency(5), true);
    assert.equal(uwsgi.set_spooler_frequency(0), true);
    assert.throws(() => uwsgi.set_spooler_frequency(-1), code("UWSGI_ERR_INVALID_ARGUMENT"));
    assert.throws(() => uwsgi.set_spooler_frequency(1.5), code("UWSGI_ERR_INVALID_ARGUMENT"));
  });

  test("the stub has no spooler processes: spooler_pid 0, spooler_pids []", () => {
    assert.equal(uwsgi.spooler_pid(), 0);
    assert.deepEqual(uwsgi.spooler_pids(), []);
  });

  test("without --spooler send_to_spooler throws UWSGI_ERR_SPOOLER_NONE, as in the server", () => {
    configure([], { startMs: T0 });
    assert.throws(() => uwsgi.send_to_spooler({ job: "tmp" }), code("UWSGI_ERR_SPOOLER_NONE"));
    assert.throws(() => uwsgi.spool({ job: "tmp" }), code("UWSGI_ERR_SPOOLER_NONE"));
    assert.deepEqual(uwsgi.spooler_jobs(), []);
  });
});
