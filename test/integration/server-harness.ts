/**
 * Starts real `uwsgi-node` servers for the integration tests: the compiled CLI in a child
 * process on an ephemeral port (the master binds port 0 and logs the port it got), its log
 * captured, and a small HTTP client. Every server is stopped by pid; temp dirs are removed.
 */
import { spawn, type ChildProcess } from "node:child_process";
import { existsSync, mkdtempSync, readFileSync, rmSync } from "node:fs";
import { Agent, request } from "node:http";
import net from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { cleanupStaleRegions } from "../../src/native/shared-region.js";
import { encodePacket, encodeVars } from "../../src/protocol/packet.js";

/**
 * How long startServer waits for the sockets and for every worker to be ready; also the deadline
 * for any wait on a process starting (a respawn, a reload's new worker or mule): a loaded machine
 * (2 cores running the suite in parallel) may take well over 10 s to start one. A deadline only
 * bounds a wait on an event, so a generous one costs nothing when the event comes.
 */
export const START_TIMEOUT_MS = 45000;

/** The compiled CLI (build/src/cli.js). */
export const CLI = fileURLToPath(new URL("../../src/cli.js", import.meta.url));

/** A compiled fixture app (build/test/fixtures/apps/NAME.js). */
export function fixtureApp(name: string): string {
  return fileURLToPath(new URL(`../fixtures/apps/${name}.js`, import.meta.url));
}

/**
 * Removes the shared-memory regions of instances whose master is gone (a SIGKILLed master cannot):
 * judged by their owner records' locks, so the regions of servers other tests run are never touched.
 */
export function removeDeadInstancesRegions(): void {
  cleanupStaleRegions();
}

/** A temporary directory removed by `cleanup()`. */
export function tempDir(): { path: string; cleanup(): void } {
  const path = mkdtempSync(join(tmpdir(), "uwsgi-node-server-test-"));
  return { path, cleanup: () => rmSync(path, { recursive: true, force: true }) };
}

/** A server started for a test. */
export interface TestServer {
  readonly child: ChildProcess;
  readonly pid: number;
  /** HTTP port of the first socket. */
  readonly port: number;
  /** Everything the master logged so far (stdout and stderr). */
  log(): string;
  /** Waits until the log matches `re` (searching from `from`, a log offset); rejects after `timeoutMs`. */
  waitForLog(re: RegExp, timeoutMs?: number, from?: number): Promise<RegExpMatchArray>;
  /** Resolves when the master exits. */
  readonly exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
  /** Sends `signal` (default SIGTERM) and waits for the exit; SIGKILLs after `timeoutMs`. */
  stop(signal?: NodeJS.Signals, timeoutMs?: number): Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
}

/**
 * Started as root (as in CI), the master refuses to run workers as root unless `--uid` is given:
 * the tests ask for root workers knowingly with `--uid root`, uWSGI's spelling, unless the args
 * name a user already or the test checks the refusal itself (`optIn` false).
 */
export function rootOptIn(args: readonly string[], optIn = true): string[] {
  const named = args.some((a) => a === "--uid" || a.startsWith("--uid="));
  return optIn && process.getuid?.() === 0 && !named ? ["--uid", "root", ...args] : [...args];
}

/** Runs the CLI with `args`; resolves once it exits (for option errors). */
export function runCli(args: string[], cwd?: string, opts: { rootOptIn?: boolean } = {}): Promise<{ code: number | null; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, [CLI, ...rootOptIn(args, opts.rootOptIn)], { stdio: ["ignore", "pipe", "pipe"], cwd });
    let stdout = "";
    let stderr = "";
    child.stdout!.on("data", (c: Buffer) => (stdout += c.toString()));
    child.stderr!.on("data", (c: Buffer) => (stderr += c.toString()));
    const timer = setTimeout(() => child.kill("SIGKILL"), 15000);
    child.on("close", (code) => {
      clearTimeout(timer);
      resolve({ code, stdout, stderr });
    });
  });
}

/**
 * Starts `uwsgi-node ARGS` (give `--http 127.0.0.1:0` or similar) and waits until every worker
 * is ready (or only until the port is known with `waitReady: false`).
 */
export async function startServer(
  args: string[],
  opts: { cwd?: string; waitReady?: boolean; env?: NodeJS.ProcessEnv; logFile?: string; cli?: string; wrap?: readonly string[]; rootOptIn?: boolean } = {},
): Promise<TestServer> {
  // `wrap` runs the CLI under another command (e.g. `unshare --pid --fork`); `pid` is then the wrapper's
  const cliArgs = [process.execPath, opts.cli ?? CLI, ...rootOptIn(args, opts.rootOptIn)];
  const command = opts.wrap ? [...opts.wrap, ...cliArgs] : cliArgs;
  const child = spawn(command[0]!, command.slice(1), { stdio: ["ignore", "pipe", "pipe"], cwd: opts.cwd, env: opts.env ?? process.env });
  let captured = "";
  // with --logto the log goes to a file: read it instead
  const readLog = (): string => (opts.logFile && existsSync(opts.logFile) ? readFileSync(opts.logFile, "utf8") : "");
  let text = "";
  const waiters = new Set<() => void>();
  const onData = (c: Buffer): void => {
    captured += c.toString();
    text = captured + readLog();
    for (const w of [...waiters]) w();
  };
  const poll = opts.logFile
    ? setInterval(() => {
        text = captured + readLog();
        for (const w of [...waiters]) w();
      }, 50)
    : null;
  child.stdout!.on("data", onData);
  child.stderr!.on("data", onData);
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) => {
    child.on("exit", (code, signal) => {
      if (poll) clearInterval(poll);
      // A master that was SIGKILLed cannot remove its shared memory; do it for it (its lock is free).
      removeDeadInstancesRegions();
      text = captured + readLog();
      for (const w of [...waiters]) w();
      resolve({ code, signal });
    });
  });
  let done = false;
  void exited.then(() => (done = true));

  const waitForLog = (re: RegExp, timeoutMs = 10000, from = 0): Promise<RegExpMatchArray> =>
    new Promise((resolve, reject) => {
      const check = (): void => {
        const m = text.slice(from).match(re);
        if (m) {
          cleanup();
          resolve(m);
        } else if (done) {
          cleanup();
          reject(new Error(`server exited before logging ${re}; log:\n${text}`));
        }
      };
      const timer = setTimeout(() => {
        cleanup();
        reject(new Error(`timed out waiting for ${re}; log:\n${text}`));
      }, timeoutMs);
      const cleanup = (): void => {
        clearTimeout(timer);
        waiters.delete(check);
      };
      waiters.add(check);
      check();
    });

  const stop = async (signal: NodeJS.Signals = "SIGTERM", timeoutMs = 10000) => {
    if (!done) child.kill(signal);
    const timer = setTimeout(() => {
      if (!done) child.kill("SIGKILL");
    }, timeoutMs);
    const result = await exited;
    clearTimeout(timer);
    return result;
  };

  try {
    // start-up is an event: a generous deadline costs nothing when it comes, and a loaded machine
    // (2 cores running the suite in parallel) may take well over 10 s to start 4 workers
    const bound = await waitForLog(/bound to TCP address [^\s]+:(\d+) /, START_TIMEOUT_MS);
    if (opts.waitReady !== false) await waitForLog(/\*\*\* uwsgi-node is ready/, START_TIMEOUT_MS);
    return { child, pid: child.pid!, port: Number(bound[1]), log: () => (opts.logFile ? captured + readLog() : text), waitForLog, exited, stop };
  } catch (err) {
    await stop("SIGKILL");
    throw err;
  }
}

/** A response read whole. */
export interface Reply {
  status: number;
  headers: Record<string, string | string[] | undefined>;
  body: string;
  /** Whether the request went over a reused keep-alive connection. */
  reused: boolean;
}

/** Sends one request to 127.0.0.1:`port`. Without an agent each request uses a new connection. */
export function httpRequest(port: number, path: string, init: { method?: string; body?: string; headers?: Record<string, string>; agent?: Agent; timeoutMs?: number } = {}): Promise<Reply> {
  return new Promise((resolve, reject) => {
    const req = request(
      { host: "127.0.0.1", port, path, method: init.method ?? "GET", headers: init.headers, agent: init.agent ?? false },
      (res) => {
        const chunks: Buffer[] = [];
        res.on("data", (c: Buffer) => chunks.push(c));
        res.on("end", () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body: Buffer.concat(chunks).toString(), reused: req.reusedSocket }));
        res.on("error", reject);
      },
    );
    req.setTimeout(init.timeoutMs ?? 10000, () => req.destroy(new Error(`request ${path} timed out`)));
    req.on("error", reject);
    req.end(init.body);
  });
}

/**
 * Sends GET `path` and resolves once the first body chunk arrives (the request is then in flight in
 * a worker), with the promise of the status and whole body (rejected if the connection drops).
 */
export function startedRequest(port: number, path: string): Promise<{ done: Promise<{ status: number; body: string }> }> {
  return new Promise((started, fail) => {
    const req = request({ host: "127.0.0.1", port, path, agent: false }, (res) => {
      let body = "";
      const done = new Promise<{ status: number; body: string }>((resolve, reject) => {
        res.on("end", () => resolve({ status: res.statusCode ?? 0, body }));
        res.on("error", reject);
        res.on("aborted", () => reject(new Error(`request ${path} aborted`)));
        req.on("error", reject);
      });
      // a promise is adopted when resolved with one: wrap it
      res.once("data", () => started({ done }));
      res.on("data", (c: Buffer) => (body += c.toString()));
    });
    req.on("error", fail);
    req.end();
  });
}

export { eventually } from "../support/eventually.js";

/** True while the process `pid` exists. */
export function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

/**
 * Connects to 127.0.0.1:`port`, writes `bytes` (if any) and reads the raw reply until the server
 * closes the connection (a stats document, a uwsgi response).
 */
export function readUntilClose(port: number, bytes?: Buffer): Promise<string> {
  return new Promise((resolve, reject) => {
    const socket = net.connect(port, "127.0.0.1");
    const chunks: Buffer[] = [];
    socket.on("data", (c: Buffer) => chunks.push(c));
    socket.on("end", () => resolve(Buffer.concat(chunks).toString()));
    socket.on("error", reject);
    socket.setTimeout(10000, () => socket.destroy(new Error(`no reply from port ${port} within 10 s`)));
    if (bytes) socket.write(bytes);
  });
}

/** Sends one uwsgi request (modifier1 0) to 127.0.0.1:`port` and reads the raw reply until the server closes the connection. */
export function uwsgiRequest(port: number, vars: Record<string, string>): Promise<string> {
  return readUntilClose(port, encodePacket(0, 0, encodeVars(vars)));
}
