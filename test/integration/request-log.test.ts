// Request logging as operators meet it: workers append their lines to the log themselves; lines
// are never lost, split or interleaved under load, across a reload, a worker's death, size
// rotation, an external rotation (mv + touch, copytruncate), and go where --req-logger says.
import { test } from "node:test";
import assert from "node:assert/strict";
import { copyFileSync, existsSync, readdirSync, readFileSync, renameSync, truncateSync, utimesSync, writeFileSync } from "node:fs";
import { spawn } from "node:child_process";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { eventually, fixtureApp, httpRequest, startServer, tempDir } from "./server-harness.js";

/** uWSGI's default request line for `GET /?n=N`, whole (nothing before, nothing after). */
const LINE = /^(?:\{address space usage: \d+ bytes\/\d+MB\} \{rss usage: \d+ bytes\/\d+MB\} )?\[pid: (\d+)\|app: 0\|req: \d+\/\d+\] 127\.0\.0\.1 \(\) \{\d+ vars in \d+ bytes\} \[[^\]]+\] GET \/pid\?n=(\d+)(?:&pad=x+)? => generated \d+ bytes in \d+ msecs \(HTTP\/1\.1 200\) \d+ headers in \d+ bytes \(1 switches on core 0\)$/;

/** Every 7th request of {@link load} with `pad` carries a query this long: batches of lines then cross PIPE_BUF. */
const PAD = "x".repeat(3000);

/**
 * Sends requests /pid?n=first..first+count-1, `concurrency` at a time, each on a new connection;
 * every one must succeed unless `allowErrors` (a worker killed under load drops its connections).
 * @returns the numbers of the requests that failed.
 */
async function load(
  port: number,
  first: number,
  count: number,
  concurrency = 16,
  during?: { at: number; run: () => void },
  allowErrors = false,
  served?: { pad: boolean; pids: Map<number, number> },
): Promise<Set<number>> {
  let next = first;
  const failed = new Set<number>();
  const end = first + count;
  const worker = async (): Promise<void> => {
    while (next < end) {
      const n = next++;
      if (during && n === during.at) during.run();
      try {
        const r = await httpRequest(port, served?.pad && n % 7 === 0 ? `/pid?n=${n}&pad=${PAD}` : `/pid?n=${n}`);
        assert.equal(r.status, 200, `request ${n}`);
        served?.pids.set(n, Number(r.body));
      } catch (err) {
        if (!allowErrors) throw err;
        failed.add(n);
      }
    }
  };
  await Promise.all(Array.from({ length: concurrency }, worker));
  return failed;
}

/**
 * Every request line in `files`: asserts each line is whole and returns how often each n appears
 * (and, in `pids`, the pid each line names).
 */
function requestLines(files: string[], pids?: Map<number, number>): Map<number, number> {
  const seen = new Map<number, number>();
  for (const f of files) {
    const text = readFileSync(f, "latin1");
    assert.ok(!text.includes("\0"), `${f} has no hole (NUL bytes)`);
    for (const line of text.split("\n")) {
      if (!line.includes("/pid?n=")) continue;
      const m = LINE.exec(line);
      assert.ok(m, `a whole request line in ${f}: ${JSON.stringify(line)}`);
      const n = Number(m[2]);
      seen.set(n, (seen.get(n) ?? 0) + 1);
      pids?.set(n, Number(m[1]));
    }
  }
  return seen;
}

/** Each request first..first+count-1 logged exactly once (one that failed on the client side: at most once). */
function assertEachOnce(seen: Map<number, number>, first: number, count: number, failed = new Set<number>()): void {
  const missing: number[] = [];
  for (let n = first; n < first + count; n++) if (failed.has(n) ? (seen.get(n) ?? 0) > 1 : seen.get(n) !== 1) missing.push(n);
  assert.deepEqual(missing.slice(0, 20), [], `every request logged exactly once (${missing.length} not)`);
}

function logFiles(dir: string, base: string): string[] {
  return readdirSync(dir).filter((f) => f === base || f.startsWith(`${base}.`)).map((f) => join(dir, f));
}

for (const via of ["written by the workers", "through the master (--log-master)"]) {
  test(`no request line lost, split or interleaved: 4 workers under load through a reload, ${via}`, async () => {
    const dir = tempDir();
    const log = join(dir.path, "app.log");
    const viaMaster = via.includes("--log-master") ? ["--log-master"] : [];
    const server = await startServer(["--http-socket", "127.0.0.1:0", "--master", "--processes", "4", "--logto", log, ...viaMaster, fixtureApp("node-listener-app")], { logFile: log });
    try {
      const N = 400;
      const served = { pad: true, pids: new Map<number, number>() };
      // a request the shared machine makes time out on the client side is still answered and logged
      // by the server, or not: such requests must be logged at most once, every other exactly once
      const failed = await load(server.port, 0, N, 16, { at: 120, run: () => process.kill(server.pid, "SIGHUP") }, true, served);
      assert.ok(failed.size <= N / 10, `${failed.size} requests failed`);
      await server.waitForLog(/graceful reload complete/, 60000);
      // then the new workers, under load again
      const early = new Set([...served.pids].filter(([n]) => n < 120).map(([, pid]) => pid));
      await load(server.port, N, 100, 16, undefined, false, served);
      const linePids = new Map<number, number>();
      const seen = await eventually(() => {
        const s = requestLines([log], linePids);
        return s.size >= N + 100 - failed.size ? s : null;
      }, 30000, `${N + 100} request lines in the log`);
      assertEachOnce(seen, 0, N + 100, failed);
      // each line names the worker that served its request: no line holds another one's fields
      const wrongPid = [...served.pids].filter(([n, pid]) => linePids.get(n) !== pid);
      assert.deepEqual(wrongPid.slice(0, 10), [], "every line names the pid that answered its request");
      // the lines came from several workers, before the reload and after it (new workers)
      const late = new Set([...served.pids].filter(([n]) => n >= N).map(([, pid]) => pid));
      assert.ok(early.size >= 2 && late.size >= 2, `several workers wrote (${early.size} before the reload, ${late.size} after)`);
      assert.ok([...late].every((pid) => !early.has(pid)), "after the reload, the lines come from the new workers");
    } finally {
      await server.stop();
      dir.cleanup();
    }
  });
}

test("a worker killed with SIGKILL under load: the lines it wrote stay whole, its successor's lines follow", async () => {
  const dir = tempDir();
  const log = join(dir.path, "app.log");
  const server = await startServer(["--http-socket", "127.0.0.1:0", "--master", "--processes", "2", "--logto", log, fixtureApp("node-listener-app")], { logFile: log });
  try {
    const pid = Number((await httpRequest(server.port, "/pid")).body);
    // killed while requests are being served and logged (a request whose response the client got
    // but whose end the worker had not yet processed has no line: the line is written at its end)
    await load(server.port, 0, 300, 8, { at: 150, run: () => process.kill(pid, "SIGKILL") }, true);
    await server.waitForLog(new RegExp(`\\(pid: ${pid}\\) died`), 20000);
    await load(server.port, 300, 100, 4);
    const seen = await eventually(() => {
      const s = requestLines([log]);
      return s.has(399) ? s : null;
    }, 20000, "the lines after the death");
    assert.ok([...seen.values()].every((c) => c === 1), "no line twice");
    assert.ok(seen.size >= 300, `the lines of the requests served are there (${seen.size} of 400)`);
    assertEachOnce(seen, 300, 100);
  } finally {
    await server.stop();
    dir.cleanup();
  }
});

test("--log-maxsize rotates under load and loses no line (FILE.<unix time> backups, never overwritten)", async () => {
  const dir = tempDir();
  const log = join(dir.path, "app.log");
  const server = await startServer(["--http-socket", "127.0.0.1:0", "--master", "--processes", "4", "--logto", log, "--log-maxsize", "8192", fixtureApp("node-listener-app")], { logFile: log });
  try {
    // the master checks the size about once a second: a fast run of 300 requests can end before
    // its first check, so the load goes on in rounds of 300 until the log has rotated (at most 20)
    const N = 300;
    let total = 0;
    for (let round = 0; round < 20 && (round === 0 || logFiles(dir.path, "app.log").length < 2); round++) {
      await load(server.port, total, N, 16);
      total += N;
    }
    const seen = await eventually(() => {
      const s = requestLines(logFiles(dir.path, "app.log"));
      return s.size >= total ? s : null;
    }, 20000, `${total} request lines across the rotated files`);
    assertEachOnce(seen, 0, total);
    const backups = logFiles(dir.path, "app.log").filter((f) => f !== log);
    assert.ok(backups.length >= 1, `rotated under load (${backups.length} backups after ${total} requests)`);
    assert.match(readFileSync(log, "utf8") + backups.map((f) => readFileSync(f, "utf8")).join(""), /logsize: \d+, triggering rotation to .*app\.log\.\d+/);
  } finally {
    await server.stop();
    dir.cleanup();
  }
});

test("mv then --touch-logreopen: workers move to the new file, the old one keeps what was written before", async () => {
  const dir = tempDir();
  const log = join(dir.path, "app.log");
  const trigger = join(dir.path, "reopen");
  writeFileSync(trigger, "");
  const server = await startServer(["--http-socket", "127.0.0.1:0", "--master", "--processes", "2", "--logto", log, "--touch-logreopen", trigger, fixtureApp("node-listener-app")], { logFile: log });
  try {
    await load(server.port, 0, 100, 8);
    renameSync(log, `${log}.old`);
    const later = new Date(Date.now() + 5000);
    utimesSync(trigger, later, later);
    await eventually(() => existsSync(log) && readFileSync(log, "utf8").includes("reopening log files"), 10000, "the log reopened");
    // until every worker has reopened, its lines still go to app.log.old: none is lost either way
    await load(server.port, 100, 100, 8);
    const seen = await eventually(() => {
      const s = requestLines([log, `${log}.old`]);
      return s.size >= 200 ? s : null;
    }, 20000, "200 request lines");
    assertEachOnce(seen, 0, 200);
    await load(server.port, 200, 20, 4);
    await eventually(() => requestLines([log]).has(219), 10000, "new lines in the new file");
    assert.ok(!requestLines([`${log}.old`]).has(219), "nothing new goes to the moved file");
  } finally {
    await server.stop();
    dir.cleanup();
  }
});

test("copytruncate: after the file is copied and truncated, lines continue at offset 0 (O_APPEND, no hole)", async () => {
  const dir = tempDir();
  const log = join(dir.path, "app.log");
  const server = await startServer(["--http-socket", "127.0.0.1:0", "--master", "--processes", "2", "--logto", log, fixtureApp("node-listener-app")], { logFile: log });
  try {
    await load(server.port, 0, 100, 8);
    await eventually(() => requestLines([log]).size >= 100, 10000, "100 lines");
    copyFileSync(log, `${log}.1`);
    truncateSync(log, 0);
    await load(server.port, 100, 50, 8);
    const seen = await eventually(() => {
      const s = requestLines([log]);
      return s.size >= 50 ? s : null;
    }, 10000, "50 lines after the truncation");
    assertEachOnce(new Map([...seen].filter(([n]) => n >= 100)), 100, 50);
    assert.ok(readFileSync(log).length < readFileSync(`${log}.1`).length + 50 * 400, "the file restarted from 0");
  } finally {
    await server.stop();
    dir.cleanup();
  }
});

test("docs/logrotate/uwsgi-node run by logrotate under load (rename, then --touch-logreopen): no line lost or split", async () => {
  const dir = tempDir();
  const log = join(dir.path, "uwsgi.log");
  const trigger = join(dir.path, "logreopen");
  writeFileSync(trigger, "");
  const policy = join(dir.path, "policy");
  const example = readFileSync(fileURLToPath(new URL("../../../docs/logrotate/uwsgi-node", import.meta.url)), "utf8");
  writeFileSync(policy, example.replaceAll("/var/log/app/uwsgi.log", log).replaceAll("/run/app/logreopen", trigger), { mode: 0o644 });
  const server = await startServer(["--http-socket", "127.0.0.1:0", "--master", "--processes", "2", "--logto", log, "--touch-logreopen", trigger, fixtureApp("node-listener-app")], { logFile: log });
  try {
    let rotated: Promise<{ code: number | null; out: string }> | null = null;
    await load(server.port, 0, 300, 8, {
      at: 100,
      run: () => {
        rotated = new Promise((resolve) => {
          const child = spawn("logrotate", ["-f", "-s", join(dir.path, "state"), policy], { stdio: ["ignore", "pipe", "pipe"] });
          let out = "";
          child.stdout!.on("data", (c: Buffer) => (out += c.toString()));
          child.stderr!.on("data", (c: Buffer) => (out += c.toString()));
          child.on("close", (code) => resolve({ code, out }));
        });
      },
    });
    const result = await rotated!;
    assert.equal(result.code, 0, result.out);
    await eventually(() => existsSync(log) && readFileSync(log, "utf8").includes("reopening log files"), 10000, "the log reopened");
    await load(server.port, 300, 20, 4);
    const seen = await eventually(() => {
      const s = requestLines([log, `${log}.1`]);
      return s.size >= 320 ? s : null;
    }, 20000, "320 request lines in uwsgi.log and uwsgi.log.1");
    assertEachOnce(seen, 0, 320);
    assert.ok(requestLines([`${log}.1`]).has(0), "the rotated file keeps the lines from before");
    assert.ok(requestLines([log]).has(319), "new lines go to the new file");
  } finally {
    await server.stop();
    dir.cleanup();
  }
});

test("--req-logger file: request lines go to their own file, --memory-report prefixes them with the worker's memory", async () => {
  const dir = tempDir();
  const log = join(dir.path, "app.log");
  const req = join(dir.path, "requests.log");
  const server = await startServer(["--http-socket", "127.0.0.1:0", "--master", "--processes", "2", "--logto", log, "--req-logger", `file:${req}`, "--memory-report", fixtureApp("node-listener-app")], { logFile: log });
  try {
    await load(server.port, 0, 30, 4);
    const seen = await eventually(() => {
      const s = existsSync(req) ? requestLines([req]) : new Map<number, number>();
      return s.size >= 30 ? s : null;
    }, 10000, "30 lines in the request log");
    assertEachOnce(seen, 0, 30);
    assert.match(readFileSync(req, "utf8"), /^\{address space usage: \d+ bytes\/\d+MB\} \{rss usage: \d+ bytes\/\d+MB\} \[pid: /m);
    assert.equal(requestLines([log]).size, 0, "no request line in the instance log");
  } finally {
    await server.stop();
    dir.cleanup();
  }
});

test("--log-master: request lines go through the master and still arrive whole", async () => {
  const dir = tempDir();
  const log = join(dir.path, "app.log");
  const server = await startServer(["--http-socket", "127.0.0.1:0", "--master", "--processes", "2", "--logto", log, "--log-master", fixtureApp("node-listener-app")], { logFile: log });
  try {
    await load(server.port, 0, 100, 8);
    const seen = await eventually(() => {
      const s = requestLines([log]);
      return s.size >= 100 ? s : null;
    }, 10000, "100 lines");
    assertEachOnce(seen, 0, 100);
  } finally {
    await server.stop();
    dir.cleanup();
  }
});

test("unavailable loggers and rotation without a file are refused at start with a coded error", async () => {
  const { runCli } = await import("./server-harness.js");
  const app = fixtureApp("node-listener-app");
  const syslog = await runCli(["--http-socket", "127.0.0.1:0", "--logger", "syslog:uwsgi", app]);
  assert.equal(syslog.code, 1);
  assert.match(syslog.stderr, /logger "syslog" is not available/);
  const maxsize = await runCli(["--http-socket", "127.0.0.1:0", "--log-maxsize", "1000", app]);
  assert.equal(maxsize.code, 1);
  assert.match(maxsize.stderr, /log-maxsize.*needs a log file/);
});
