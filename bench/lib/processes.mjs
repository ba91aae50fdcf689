// The processes a benchmark starts: one work directory per run (logs, spool dirs, configs; removed
// at exit), free loopback ports, launching a program in its own process group with its output in a
// log file, stopping it by pid and waiting for its exit, and a bounded wait for a condition.
// Everything launched here is SIGKILLed (its whole process group) if the benchmark exits early.
import { spawn } from "node:child_process";
import { createSocket } from "node:dgram";
import { existsSync, mkdtempSync, openSync, closeSync, readFileSync, rmSync } from "node:fs";
import { createServer } from "node:net";
import { tmpdir } from "node:os";
import { basename, join } from "node:path";
import { ROOT_OPT_IN } from "./root-opt-in.mjs";

/** The repository's root (the benchmarks run the server built there). */
export const ROOT = join(import.meta.dirname, "..", "..");

/** uwsgi-node's CLI as built by `npm run build` (dist/) or `npm run build:test` (build/), else null. */
export const CLI = [join(ROOT, "dist", "cli.js"), join(ROOT, "build", "src", "cli.js")].find((p) => existsSync(p)) ?? null;

const started = new Set();
let work = null;

process.on("exit", () => {
  for (const child of started) killGroup(child);
  if (work) rmSync(work, { recursive: true, force: true });
});
process.on("SIGINT", () => process.exit(130));

function killGroup(child) {
  try {
    process.kill(-child.pid, "SIGKILL"); // the process group launch() created for it
  } catch {
    child.kill("SIGKILL"); // a tracked child in our own group, or already gone
  }
}

/** Has `child` (spawned by the caller, e.g. with piped output) killed if the benchmark exits early. */
export function track(child) {
  started.add(child);
  child.once("exit", () => started.delete(child));
  return child;
}

/** This run's temporary directory (created on first use, removed when the benchmark exits). */
export function workDir() {
  work ??= mkdtempSync(join(tmpdir(), `uwsgi-node-bench-${basename(process.argv[1] ?? "bench", ".mjs").replace(/\.bench$/, "")}-`));
  return work;
}

/** A port free on 127.0.0.1 right now (TCP, or UDP with `{ udp: true }`). */
export function freePort({ udp = false } = {}) {
  return new Promise((resolve, reject) => {
    const s = udp ? createSocket("udp4") : createServer();
    s.once("error", reject);
    const done = () => {
      const { port } = s.address();
      s.close(() => resolve(port));
    };
    if (udp) s.bind(0, "127.0.0.1", done);
    else s.listen(0, "127.0.0.1", done);
  });
}

/**
 * Starts `cmd args` in a process group of its own, stdout and stderr appended to `<workDir>/<name>.log`.
 * Returns `{ name, child, pid, log, output() }` (log: the file's path; output(): its text so far).
 */
export function launch(name, cmd, args, { cwd = ROOT, env } = {}) {
  const log = join(workDir(), `${name}.log`);
  const fd = openSync(log, "a");
  const child = spawn(cmd, args, { cwd, stdio: ["ignore", fd, fd], detached: true, env: env ? { ...process.env, ...env } : process.env });
  closeSync(fd);
  track(child);
  return { name, child, pid: child.pid, log, output: () => readFileSync(log, "utf8") };
}

/** launch() of uwsgi-node's CLI with `args`, asking for root workers knowingly when run as root. */
export function launchUwsgiNode(name, args, options) {
  if (!CLI) throw new Error("uwsgi-node is not built: run npm run build");
  return launch(name, process.execPath, [CLI, ...ROOT_OPT_IN, ...args], options);
}

const exited = (child) => child.exitCode !== null || child.signalCode !== null;

/**
 * Stops a launched process: `signal` to its pid, SIGKILL to its process group after `graceMs`;
 * resolves once it has exited (and any leftovers of its group are killed).
 */
export async function stop(proc, { signal = "SIGINT", graceMs = 5000 } = {}) {
  const { child } = proc;
  if (!exited(child)) {
    const gone = new Promise((r) => child.once("exit", r));
    try {
      process.kill(child.pid, signal);
    } catch {
      // exited meanwhile
    }
    const timer = setTimeout(() => killGroup(child), graceMs);
    await gone;
    clearTimeout(timer);
  }
  killGroup(child);
}

/**
 * Polls `check` every `every` ms until it returns a truthy value (returned), at most `ms`; throws
 * naming `what` (with the tail of proc's log) on time-out or when `proc` exits first. A check
 * that throws counts as "not yet".
 */
export async function waitFor(check, what, { proc, ms = 30_000, every = 100 } = {}) {
  const until = Date.now() + ms;
  const tail = () => (proc ? `:\n${proc.output().slice(-2000)}` : "");
  for (;;) {
    if (proc && exited(proc.child)) throw new Error(`${what}: ${proc.name} exited${tail()}`);
    try {
      const v = await check();
      if (v) return v;
    } catch {
      // not yet
    }
    if (Date.now() > until) throw new Error(`${what}: timed out after ${ms} ms${tail()}`);
    await new Promise((r) => setTimeout(r, every));
  }
}
