#!/usr/bin/env node
// RPC round trips as apps meet them, side by side in one run:
//   uwsgi-node ↔ uwsgi-node: a worker of instance A calls `await uwsgi.rpc("127.0.0.1:<B>", "echo", "x")`
//               one call after the other; instance B (--socket, --plugin rpc) answers from a worker;
//   uWSGI ↔ uWSGI: the same with two Debian uWSGI 2.0 instances (python3 + rpc plugins);
//   uwsgi-node, in one instance: a worker calls `echo_mule`, registered only in mule 1, through
//               the master (uWSGI has no equivalent: its RPC table is per process).
// Every call opens a new connection, as uWSGI's client does. BENCH_MS per case (default 2000),
// BENCH_ROUNDS rounds (default 2) alternated, medians.
//   npm run build && node bench/rpc.bench.mjs
// Writes bench/results/rpc.md. Needs uwsgi + its python3 and rpc plugins.
import { spawn } from "node:child_process";
import { createServer } from "node:net";
import { existsSync, mkdirSync, mkdtempSync, openSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { cpus, loadavg, tmpdir } from "node:os";
import { join } from "node:path";
import { ROOT_OPT_IN } from "./lib/root-opt-in.mjs";

const here = import.meta.dirname;
const root = join(here, "..");
const MS = Number(process.env.BENCH_MS ?? 1500);
const ROUNDS = Math.max(1, Number(process.env.BENCH_ROUNDS ?? 2));
const CLI = [join(root, "dist", "cli.js"), join(root, "build", "src", "cli.js")].find((p) => existsSync(p));
const work = mkdtempSync(join(tmpdir(), "uwsgi-node-bench-rpc-"));
const started = new Set();

process.on("exit", () => {
  for (const c of started) {
    try {
      process.kill(-c.pid, "SIGKILL");
    } catch {}
  }
  rmSync(work, { recursive: true, force: true });
});
process.on("SIGINT", () => process.exit(130));

function freePort() {
  return new Promise((resolve) => {
    const s = createServer().listen(0, "127.0.0.1", () => {
      const { port } = s.address();
      s.close(() => resolve(port));
    });
  });
}

function launch(name, cmd, args) {
  const log = join(work, `${name}.log`);
  const fd = openSync(log, "a");
  const child = spawn(cmd, args, { cwd: root, stdio: ["ignore", fd, fd], detached: true });
  started.add(child);
  child.once("exit", () => started.delete(child));
  return { child, log };
}

async function stop({ child }) {
  if (child.exitCode !== null || child.signalCode !== null) return;
  const gone = new Promise((r) => child.once("exit", r));
  child.kill("SIGINT");
  const timer = setTimeout(() => {
    try {
      process.kill(-child.pid, "SIGKILL");
    } catch {}
  }, 5000);
  await gone;
  clearTimeout(timer);
}

async function waitFor(check, what, proc, ms = 30_000) {
  const until = Date.now() + ms;
  for (;;) {
    if (proc.child.exitCode !== null || proc.child.signalCode !== null) throw new Error(`${what} exited:\n${readFileSync(proc.log, "utf8").slice(-2000)}`);
    try {
      if (await check()) return;
    } catch {
      /* not yet */
    }
    if (Date.now() > until) throw new Error(`${what} timed out:\n${readFileSync(proc.log, "utf8").slice(-2000)}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

async function instance(kind, name) {
  const http = await freePort();
  const sock = await freePort();
  const proc =
    kind === "node"
      ? launch(name, process.execPath, [CLI, ...ROOT_OPT_IN, "--http-socket", `127.0.0.1:${http}`, "--socket", `127.0.0.1:${sock}`, "--plugin", "rpc", "--processes", "1", "--mules", "1", "--disable-logging", "--module", join(here, "rpc-app.mjs")])
      : launch(name, "uwsgi", ["--plugin", "python3,rpc", "--master", "--processes", "1", "--disable-logging", "--http-socket", `127.0.0.1:${http}`, "--socket", `127.0.0.1:${sock}`, "--wsgi-file", join(here, "rpc-app.py")]);
  const run = async (q) => JSON.parse(await (await fetch(`http://127.0.0.1:${http}/?${q}`)).text());
  await waitFor(async () => (await run("ms=0")).calls === 0, name, proc);
  return { sock, run, close: () => stop(proc) };
}

const median = (xs) => {
  const s = [...xs].sort((a, b) => a - b);
  const m = Math.floor(s.length / 2);
  return s.length % 2 ? s[m] : (s[m - 1] + s[m]) / 2;
};

const nodeA = await instance("node", "node-a");
const nodeB = await instance("node", "node-b");
const pyA = await instance("py", "uwsgi-a");
const pyB = await instance("py", "uwsgi-b");
// the mule registers at import: wait until the instance routes to it
await waitFor(async () => (await nodeA.run("f=echo_mule&ms=50")).bad === 0, "the mule's function", { child: { exitCode: null, signalCode: null } });

const measure = async (inst, q) => {
  const r = await inst.run(`${q}&ms=${MS}`);
  if (r.bad) throw new Error(`${r.bad} of ${r.calls} calls failed (${q})`);
  return r.calls / (MS / 1000);
};
const ours = [];
const theirs = [];
const routed = [];
for (let r = 0; r < ROUNDS; r++) {
  const a = () => measure(nodeA, `addr=127.0.0.1:${nodeB.sock}&f=echo`).then((x) => ours.push(x));
  const b = () => measure(pyA, `addr=127.0.0.1:${pyB.sock}&f=echo`).then((x) => theirs.push(x));
  if (r % 2 === 0) {
    await a();
    await b();
  } else {
    await b();
    await a();
  }
  routed.push(await measure(nodeA, "f=echo_mule"));
}
for (const i of [nodeA, nodeB, pyA, pyB]) await i.close();

const ratios = ours.map((x, i) => x / theirs[i]);
const us = (callsPerS) => `${(1e6 / callsPerS).toFixed(0)} µs`;
const table = [
  `RPC round trips, one call after the other, ${MS} ms per case, ${ROUNDS} round(s) alternated, ${cpus().length} CPUs (load average ${loadavg()[0].toFixed(1)} at the end), node ${process.version}, ${new Date().toISOString().slice(0, 10)}`,
  "Every remote call opens a new connection (uWSGI's client does the same).",
  "",
  "| case | calls/s | mean round trip | vs uWSGI ↔ uWSGI |",
  "|---|---|---|---|",
  `| uwsgi-node ↔ uwsgi-node (modifier1 173 over TCP) | ${median(ours).toFixed(0)} | ${us(median(ours))} | ${median(ratios).toFixed(2)}x (${Math.min(...ratios).toFixed(2)}-${Math.max(...ratios).toFixed(2)}) |`,
  `| uWSGI 2.0.21 ↔ uWSGI 2.0.21 (Python) | ${median(theirs).toFixed(0)} | ${us(median(theirs))} | 1.00x |`,
  `| uwsgi-node worker → its mule (routed by the master) | ${median(routed).toFixed(0)} | ${us(median(routed))} | (no uWSGI equivalent) |`,
].join("\n");
console.log(`\n${table}`);
mkdirSync(join(here, "results"), { recursive: true });
writeFileSync(join(here, "results", "rpc.md"), `${table}\n`);
