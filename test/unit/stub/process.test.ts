/**
 * The stub's process and introspection API through the public facade (§8): the seed's stub
 * defaults, values taken from `configure()`, counted reload/stop, the log, the clock, memory.
 */
import { beforeEach, describe, test } from "node:test";
import assert from "node:assert/strict";
import { uwsgi, SPOOL_IGNORE, SPOOL_OK, SPOOL_RETRY } from "../../../src/index.js";
import { advance, configure, logLines, now, processRequests, reset, runAs } from "../../../src/testing.js";
import { isUwsgiError, type ErrorCode } from "../../../src/errors.js";
import { eventually } from "../../support/eventually.js";

const code = (c: ErrorCode) => (e: unknown) => isUwsgiError(e, c);
const b = (s: string) => Buffer.from(s);
const T0 = Date.UTC(2024, 0, 15, 12, 0, 0);

beforeEach(() => {
  reset({ startMs: T0 });
});

describe("stub process: the seed's stub defaults", () => {
  test("attributes", () => {
    assert.equal(uwsgi.is_stub, true);
    assert.equal(uwsgi.SPOOL_OK, -2);
    assert.equal(uwsgi.SPOOL_RETRY, -1);
    assert.equal(uwsgi.SPOOL_IGNORE, 0);
    assert.deepEqual([SPOOL_OK, SPOOL_RETRY, SPOOL_IGNORE], [-2, -1, 0], "the package exports the same constants");
    assert.equal(uwsgi.SymbolsImporter, null);
    assert.equal(uwsgi.SymbolsZipImporter, null);
    assert.equal(uwsgi.ZipImporter, null);
    assert.equal(uwsgi.applications, null);
    assert.equal(uwsgi.buffer_size, 0);
    assert.equal(uwsgi.cores, 0);
    assert.deepEqual(uwsgi.env, {});
    assert.equal(uwsgi.has_threads, false);
    assert.deepEqual(uwsgi.hostname, Buffer.alloc(0));
    assert.deepEqual(uwsgi.magic_table, {});
    assert.equal(uwsgi.mule_msg_hook, null);
    assert.equal(uwsgi.numproc, 0);
    assert.deepEqual(uwsgi.opt, {});
    assert.equal(uwsgi.post_fork_hook, null);
    assert.deepEqual(uwsgi.sockets, []);
    assert.equal(uwsgi.spooler, null);
    assert.equal(uwsgi.start_response, null);
    assert.equal(uwsgi.started_on, 0);
    assert.equal(uwsgi.unbit, false);
    assert.deepEqual(uwsgi.version, b("0.0.0"));
    assert.deepEqual([...uwsgi.version_info], [0, 0, 0, 0, Buffer.alloc(0)]);
  });

  test("functions", () => {
    assert.equal(uwsgi.worker_id(), 0);
    assert.equal(uwsgi.mule_id(), 0);
    assert.equal(uwsgi.masterpid(), 0);
    assert.deepEqual(uwsgi.workers(), []);
    assert.equal(uwsgi.total_requests(), 0);
    assert.equal(uwsgi.request_id(), 0);
    assert.equal(uwsgi.ready(), true);
    assert.equal(uwsgi.is_a_reload(), false);
    assert.equal(uwsgi.loop(), null);
    assert.equal(uwsgi.i_am_the_spooler(), false);
    assert.equal(uwsgi.i_am_the_lord("legion"), false);
    assert.equal(uwsgi.lord_scroll("legion"), null);
    assert.equal(uwsgi.scrolls("legion"), null);
    assert.equal(uwsgi.in_farm("f"), null);
  });

  test("read-only attributes cannot be assigned", () => {
    assert.throws(() => {
      (uwsgi as unknown as { numproc: number }).numproc = 5;
    }, TypeError);
    assert.throws(() => {
      (uwsgi as unknown as { is_stub: boolean }).is_stub = false;
    }, TypeError);
    assert.equal(uwsgi.numproc, 0);
  });

  test("hooks and applications are assignable and reset() clears them", () => {
    const fn = () => uwsgi.SPOOL_OK;
    uwsgi.spooler = fn;
    uwsgi.post_fork_hook = () => undefined;
    uwsgi.applications = { "/": () => undefined };
    assert.equal(uwsgi.spooler, fn);
    assert.equal(typeof uwsgi.post_fork_hook, "function");
    assert.deepEqual(Object.keys(uwsgi.applications ?? {}), ["/"]);
    reset();
    assert.equal(uwsgi.spooler, null);
    assert.equal(uwsgi.post_fork_hook, null);
    assert.equal(uwsgi.applications, null);
  });
});

describe("stub process: values from configure", () => {
  test("numproc, buffer_size, cores, has_threads follow the options", () => {
    configure(["--processes", "4", "--buffer-size", "8192", "--threads", "2"]);
    assert.equal(uwsgi.numproc, 4);
    assert.equal(uwsgi.buffer_size, 8192);
    assert.equal(uwsgi.cores, 2);
    assert.equal(uwsgi.has_threads, true);
    configure(["--enable-threads"]);
    assert.equal(uwsgi.has_threads, true);
    assert.equal(uwsgi.cores, 0);
    assert.equal(uwsgi.numproc, 0, "back to the default once the option is gone");
  });

  test("opt: Buffer values, true for flags, lists for repeated options", () => {
    configure(["--master", "--processes", "2", "--cache2", "name=a,items=10", "--cache2", "name=b,items=10"]);
    const opt = uwsgi.opt;
    assert.equal(opt.master, true);
    assert.deepEqual(opt.processes, b("2"));
    assert.deepEqual(opt.cache2, [b("name=a,items=10"), b("name=b,items=10")], "uWSGI keeps only the last (py3 bug)");
  });

  test("configure accepts --opt=value and option aliases the parser knows", () => {
    configure(["--processes=3", "-p", "5"]);
    assert.equal(uwsgi.numproc, 5, "the last value wins");
  });

  test("bad options are coded errors and leave the previous configuration in place", () => {
    configure(["--processes", "3"]);
    assert.throws(() => configure(["--no-such-option-at-all", "1"]), (e) => isUwsgiError(e));
    assert.throws(() => configure(["--processes", "many"]), code("UWSGI_ERR_OPTION_VALUE"));
    assert.throws(() => configure(["positional"]), code("UWSGI_ERR_OPTION_VALUE"));
    assert.equal(uwsgi.numproc, 3);
  });

  test("worker_id follows runAs", () => {
    assert.equal(runAs({ kind: "worker", id: 3 }, () => uwsgi.worker_id()), 3);
    assert.equal(runAs({ kind: "mule", id: 1 }, () => uwsgi.worker_id()), 0);
    assert.equal(uwsgi.worker_id(), 0);
  });
});

describe("stub process: requests to the process", () => {
  test("reload() and stop() are counted and return true", () => {
    assert.equal(processRequests().reloads, 0);
    assert.equal(uwsgi.reload(), true);
    assert.equal(uwsgi.reload(), true);
    assert.equal(uwsgi.stop(), true);
    assert.equal(processRequests().reloads, 2);
    assert.equal(processRequests().stops, 1);
    configure([]);
    assert.deepEqual([processRequests().reloads, processRequests().stops], [0, 0], "configure starts over");
  });

  test("accepting, setprocname, set_user_harakiri, set_warning_message are recorded", () => {
    uwsgi.accepting();
    assert.equal(processRequests().accepting, true);
    uwsgi.accepting(false);
    assert.equal(processRequests().accepting, false);
    uwsgi.setprocname("my worker");
    assert.equal(processRequests().procname, "my worker");
    uwsgi.set_user_harakiri(30);
    assert.equal(processRequests().userHarakiri, T0 / 1000 + 30, "an absolute deadline on the stub clock");
    uwsgi.set_user_harakiri(0);
    assert.equal(processRequests().userHarakiri, 0);
    assert.throws(() => uwsgi.set_user_harakiri(-1), code("UWSGI_ERR_INVALID_ARGUMENT"));
    assert.equal(uwsgi.set_warning_message("careful"), true);
    assert.equal(processRequests().warning, "careful");
  });

  test("set_warning_message keeps at most 80 bytes and logs the truncation", () => {
    uwsgi.set_warning_message("w".repeat(100));
    assert.equal(processRequests().warning, "w".repeat(80));
    assert.ok(logLines().some((l) => l.includes("truncated")));
  });

  test("listen_queue: the stub has no sockets, so any socket number is unknown", () => {
    assert.throws(() => uwsgi.listen_queue(), code("UWSGI_ERR_SOCKET_UNKNOWN"));
    assert.throws(() => uwsgi.listen_queue(1), code("UWSGI_ERR_SOCKET_UNKNOWN"));
  });

  test("alarm is logged (the stub runs no alarm plugins), not thrown", () => {
    assert.equal(uwsgi.alarm("nope", "disk full"), undefined);
    assert.ok(logLines().some((l) => l.includes("nope") && l.includes("disk full")));
  });
});

describe("stub process: log, clock, memory", () => {
  test("log() returns true, records the line and logsize() counts bytes written (line + newline)", () => {
    assert.equal(uwsgi.logsize(), 0);
    assert.equal(uwsgi.log("hello"), true);
    assert.equal(uwsgi.log("héllo"), true);
    assert.deepEqual(logLines().slice(-2), ["hello", "héllo"]);
    assert.equal(uwsgi.logsize(), 6 + 7);
    configure([]);
    assert.equal(uwsgi.logsize(), 0);
    assert.deepEqual(logLines(), []);
  });

  test("micros() follows the stub clock", async () => {
    assert.equal(uwsgi.micros(), T0 * 1000);
    assert.equal(now(), T0);
    await advance(1_500);
    assert.equal(uwsgi.micros(), (T0 + 1_500) * 1000);
    assert.ok(Number.isInteger(uwsgi.micros()));
  });

  test("the manual clock only moves forward, and only through advance()", async () => {
    await assert.rejects(advance(-1), code("UWSGI_ERR_INVALID_ARGUMENT"));
    await assert.rejects(advance(Number.NaN), code("UWSGI_ERR_INVALID_ARGUMENT"));
    const realStart = Date.now();
    await eventually(() => Date.now() - realStart >= 5, 2_000, "the real clock moving 5 ms", 1);
    assert.equal(now(), T0, "real time passing does not move it");
    assert.deepEqual(await advance(0), []);
    assert.equal(now(), T0);
  });

  test("micros() on the real clock is the wall clock", () => {
    configure([], { clock: "real" });
    const before = Date.now() * 1000;
    const m = uwsgi.micros();
    assert.ok(m >= before && m <= Date.now() * 1000 + 1000, `${m} vs ${before}`);
  });

  test("mem() returns (rss, vsz): two positive integers", () => {
    const [rss, vsz] = uwsgi.mem();
    assert.ok(Number.isInteger(rss) && rss > 0, `rss ${rss}`);
    assert.ok(Number.isInteger(vsz) && vsz > 0, `vsz ${vsz}`);
    assert.ok(vsz >= rss, "virtual size covers the resident set");
  });

  test("async_sleep, suspend and green_schedule resolve", async () => {
    assert.deepEqual(await uwsgi.async_sleep(0), Buffer.alloc(0));
    assert.equal(await uwsgi.suspend(), true);
    assert.equal(await uwsgi.green_schedule(), true);
  });
});
