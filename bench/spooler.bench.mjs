// Spooler throughput: enqueue + execute N tasks (BENCH_TASKS, default 10 000) per round, beside
// uWSGI's spooler (Debian uwsgi, python3 + spooler plugins, woken by its own SIGUSR1 per spool)
// and BullMQ on the Debian redis-server (unix socket). Each system: one app process enqueues the N
// tasks through its public API in one request (uwsgi.spool / uwsgi.spool / queue.add), one
// spooler process (BullMQ: one Worker with concurrency 1) runs them with a callable that only
// acknowledges and notes when it has run the N-th task of the round.
// Measured per round: enqueue time, wall time from the start of the enqueue until the N-th task
// ran, and the CPU time every process of the system spent meanwhile (/proc/PID/stat of its
// process group; BullMQ: redis-server, the worker, and this process's queue.add calls), per task.
// The systems are started once; BENCH_ROUNDS rounds (default 3) run them one after the other in
// an order that rotates; ratios are taken within a round, the median and range reported.
// Each spooler's spool directory gets a fresh tmpfs of its own before each of its rounds (mounted
// over the directory, the previous one lazily unmounted; needs root, `mount -t tmpfs`): a file
// system that had many files deleted just before makes the next file creations dear (ext4: 100-300
// µs each right after a burst of unlinks), which would otherwise fall on whichever system ran
// next. Where mounting fails the directories stay on the work directory's file system and the
// output says so. BENCH_TMPFS=0 keeps them there on purpose.
// BENCH_BASELINE=DIR adds the uwsgi-node built in checkout DIR (e.g. main before a change).
// Writes bench/results/spooler.md. Needs uwsgi + python3 plugin, redis-server, bench/'s bullmq.
import { spawnSync } from "node:child_process";
import { mkdirSync, writeFileSync } from "node:fs";
import { request } from "node:http";
import { cpus, loadavg } from "node:os";
import { join } from "node:path";
import { CLI, freePort, launch, launchUwsgiNode, stop, waitFor, workDir } from "./lib/processes.mjs";
import { ROOT_OPT_IN } from "./lib/root-opt-in.mjs";
import { groupCpuMs } from "./lib/process-cpu.mjs";

const here = import.meta.dirname;
const N = Number(process.env.BENCH_TASKS ?? 10_000);
const ROUNDS = Math.max(1, Number(process.env.BENCH_ROUNDS ?? 3));
const work = workDir();
const SIGTERM = { signal: "SIGTERM" };
const loadAtStart = loadavg();

/** Mount points this run made (unmounted at the end). */
const mounted = new Set();
/** Why spool directories are not on fresh tmpfs mounts, or null while they are. */
let noFreshFs = process.env.BENCH_TMPFS === "0" ? "BENCH_TMPFS=0" : null;

/** Lazily unmounts a tmpfs this run mounted at `dir` (the spooler may still have its cwd there). */
function unmount(dir) {
  if (!mounted.has(dir)) return;
  const r = spawnSync("umount", ["-l", dir], { encoding: "utf8" });
  if (r.status !== 0) throw new Error(`umount -l ${dir}: ${(r.stderr || r.error?.message || "").trim()}`);
  mounted.delete(dir);
}

/**
 * Puts a fresh, empty tmpfs at `dir` (over the previous one), or leaves `dir` as is and records
 * why when mounting is impossible (not root, no mount(8), a container without CAP_SYS_ADMIN).
 */
function freshFs(dir) {
  if (noFreshFs) return;
  unmount(dir);
  const r = spawnSync("mount", ["-t", "tmpfs", "-o", "size=1g,mode=0755", "tmpfs", dir], { encoding: "utf8" });
  if (r.status !== 0) {
    noFreshFs = `mount -t tmpfs failed: ${(r.stderr || r.error?.message || `exit ${r.status}`).trim()}`;
    process.stderr.write(`  NOTE: ${noFreshFs}; spool directories stay on ${dir}'s file system for every round\n`);
    return;
  }
  mounted.add(dir);
}
const fsType = (dir) => spawnSync("stat", ["-f", "-c", "%T", dir], { encoding: "utf8" }).stdout.trim();

function get(port, path) {
  return new Promise((resolve, reject) => {
    const req = request({ host: "127.0.0.1", port, path, agent: false }, (res) => {
      let body = "";
      res.on("data", (c) => (body += c));
      res.on("end", () => (res.statusCode === 200 ? resolve(body) : reject(new Error(`${path}: ${res.statusCode} ${body}`))));
    });
    req.setTimeout(300_000, () => req.destroy(new Error(`${path} timed out`)));
    req.on("error", reject);
    req.end();
  });
}


const doneAt = (proc, round) => {
  const m = new RegExp(`^BENCH_DONE ${round} (\\d+)$`, "m").exec(proc.output());
  return m ? Number(m[1]) : null;
};

/** A spooler server (ours or uWSGI's), started once; run(round) enqueues N tasks and waits for them. */
async function spoolerSystem(name, start) {
  const port = await freePort();
  const dir = join(work, `${name}-spool`);
  mkdirSync(dir);
  const proc = start(port, dir);
  await waitFor(() => get(port, "/").then(() => true), `${name} start`, { proc, ms: 60_000 });
  await waitFor(() => /spawned the uWSGI spooler/.test(proc.output()), `${name} spooler`, { proc, ms: 60_000 });
  return {
    async run(round) {
      freshFs(dir);
      const cpu0 = groupCpuMs([proc.pid]);
      const r = JSON.parse(await get(port, `/enqueue?n=${N}&round=${round}`));
      const end = await waitFor(() => doneAt(proc, round), `${name} round ${round}`, { proc, ms: 300_000, every: 20 });
      return { enqueueMs: r.ms, totalMs: end - r.start, enqueueCpuMs: r.cpuMs, cpuMs: groupCpuMs([proc.pid]) - cpu0 };
    },
    close: () => stop(proc, SIGTERM),
  };
}

const ours = () =>
  spoolerSystem("uwsgi-node", (port, dir) =>
    launchUwsgiNode("uwsgi-node", [
      "--http-socket", `127.0.0.1:${port}`, "--master", "--processes", "1", "--disable-logging",
      "--spooler", dir, "--spooler-frequency", "1", "--spooler-quiet", "--module", join(here, "spooler-app.mjs"),
    ], { cwd: work }),
  );

// BENCH_BASELINE=<another checkout, built>: its uwsgi-node runs too, as "uwsgi-node (baseline)",
// to compare two versions in one run
const BASELINE = process.env.BENCH_BASELINE ? join(process.env.BENCH_BASELINE, "dist", "cli.js") : null;
const baseline = () =>
  spoolerSystem("uwsgi-node-baseline", (port, dir) =>
    launch("uwsgi-node-baseline", process.execPath, [
      BASELINE, ...ROOT_OPT_IN, "--http-socket", `127.0.0.1:${port}`, "--master", "--processes", "1", "--disable-logging",
      "--spooler", dir, "--spooler-frequency", "1", "--spooler-quiet", "--module", join(process.env.BENCH_BASELINE, "bench", "spooler-app.mjs"),
    ], { cwd: work }),
  );

const uwsgi = () =>
  spoolerSystem("uWSGI", (port, dir) =>
    launch("uwsgi", "uwsgi", [
      "--plugin", "python3,spooler", "--master", "--processes", "1", "--disable-logging", "--http-socket", `127.0.0.1:${port}`,
      "--spooler", dir, "--spooler-frequency", "1", "--spooler-quiet", "--wsgi-file", join(here, "spooler-app.py"),
    ], { cwd: work }),
  );

async function bullmq() {
  const { Queue } = await import("bullmq");
  const sock = join(work, "redis.sock");
  const redis = launch("redis", "redis-server", ["--port", "0", "--unixsocket", sock, "--unixsocketperm", "700", "--save", "", "--appendonly", "no", "--dir", work], { cwd: work });
  await waitFor(() => spawnSync("redis-cli", ["-s", sock, "ping"]).stdout?.toString().trim() === "PONG", "redis-server", { proc: redis, ms: 60_000 });
  const worker = launch("bullmq-worker", process.execPath, [join(here, "spooler-bullmq-worker.mjs"), sock, "bench"], { cwd: work });
  const queue = new Queue("bench", { connection: { path: sock } });
  await waitFor(() => worker.output().includes("ready"), "bullmq worker", { proc: worker, ms: 60_000 });
  return {
    async run(round) {
      const pgids = [redis.pid, worker.pid];
      const cpu0 = groupCpuMs(pgids);
      const start = Date.now();
      const own0 = process.cpuUsage();
      const t0 = performance.now();
      await Promise.all(Array.from({ length: N }, (_, i) => queue.add("bench", { job: "bench", i: String(i), n: String(N), round: String(round) }, { removeOnComplete: true })));
      const enqueueMs = performance.now() - t0;
      const own = process.cpuUsage(own0);
      const enqueueCpuMs = (own.user + own.system) / 1000;
      const end = await waitFor(() => doneAt(worker, round), `bullmq round ${round}`, { proc: worker, ms: 300_000, every: 20 });
      return { enqueueMs, totalMs: end - start, enqueueCpuMs, cpuMs: groupCpuMs(pgids) - cpu0 + enqueueCpuMs };
    },
    async close() {
      await queue.close();
      await stop(worker, SIGTERM);
      await stop(redis, SIGTERM);
    },
  };
}

if (!CLI) throw new Error("uwsgi-node is not built: run npm run build");
const names = ["uwsgi-node", "uWSGI", "BullMQ", ...(BASELINE ? ["uwsgi-node (baseline)"] : [])];
const systems = {};
const runs = Object.fromEntries(names.map((n) => [n, []]));
try {
  systems["uwsgi-node"] = await ours();
  systems.uWSGI = await uwsgi();
  systems.BullMQ = await bullmq();
  if (BASELINE) systems["uwsgi-node (baseline)"] = await baseline();
  for (let round = 1; round <= ROUNDS; round++) {
    const order = names.map((_, i) => names[(i + round - 1) % names.length]);
    for (const name of order) {
      const r = await systems[name].run(round);
      runs[name].push(r);
      process.stderr.write(`  round ${round} ${name}: enqueue ${r.enqueueMs.toFixed(0)} ms, enqueue+execute ${r.totalMs.toFixed(0)} ms, CPU ${((r.cpuMs * 1000) / N).toFixed(0)} µs/task (enqueuing process ${((r.enqueueCpuMs * 1000) / N).toFixed(0)} µs/task)\n`);
    }
  }
} finally {
  for (const s of Object.values(systems)) await s.close().catch(() => {});
  for (const dir of [...mounted]) {
    try {
      unmount(dir);
    } catch (err) {
      process.stderr.write(`  ${err.message}\n`);
    }
  }
}

const median = (xs) => {
  const s = [...xs].sort((a, b) => a - b);
  const m = Math.floor(s.length / 2);
  return s.length % 2 ? s[m] : (s[m - 1] + s[m]) / 2;
};
const range = (xs, digits = 2) => (xs.length > 1 ? ` (${Math.min(...xs).toFixed(digits)}-${Math.max(...xs).toFixed(digits)})` : "");
const ratio = (xs) => `${median(xs).toFixed(2)}x${range(xs)}`;
const perTask = (ms) => (ms * 1000) / N;
const col = (name, f, digits = 0) => {
  const xs = runs[name].map(f);
  return `${median(xs).toFixed(digits)}${range(xs, digits)}`;
};
const workFsType = fsType(work);
const o = runs["uwsgi-node"];
// in-round ratios, > 1: uwsgi-node is better (faster, or less CPU per task)
const wallRatio = (name) => o.map((r, i) => runs[name][i].totalMs / r.totalMs);
const cpuRatio = (name) => o.map((r, i) => runs[name][i].cpuMs / r.cpuMs);
const lines = [
  `# Spooler: enqueue + execute ${N.toLocaleString("en")} tasks`,
  "",
  `${new Date().toISOString().slice(0, 10)}; node ${process.version}, ${cpus().length} CPUs (${cpus()[0]?.model ?? "?"}), load average ${loadAtStart.map((x) => x.toFixed(1)).join(" ")} at the start, ${loadavg().map((x) => x.toFixed(1)).join(" ")} at the end; ${ROUNDS} round(s), the systems one after the other in a rotating order, medians with the range.`,
  "",
  "Each system: one app process enqueues every task through its public API in one request (uwsgi-node and uWSGI: `uwsgi.spool()` in a worker; BullMQ: `queue.add()` x N, awaited together), one spooler process runs them (BullMQ: one Worker, concurrency 1) with a callable that only acknowledges. `--spooler-frequency 1`, `--spooler-quiet` for both spoolers; uWSGI's is woken by SIGUSR1 per spool, ours through the master. Wall = from the first enqueue until the last task has run. CPU = what every process of the system spent meanwhile (master, worker, spooler; BullMQ: redis-server, the worker and the queue.add calls), per task: on a shared machine the CPU time is the steadier figure.",
  "",
  noFreshFs
    ? `Spool directories: NOT on fresh file systems (${noFreshFs}): every round of a spooler reused the directory on the work directory's ${workFsType} file system, so a round may pay for the file deletions of the one before (on ext4 creating files right after many deletions costs 100-300 µs each): the wall-clock comparison with uWSGI is not a fair one.`
    : "Spool directories: each spooler's on a fresh tmpfs of its own, mounted before each of its rounds (so no round pays for another's file deletions).",
  "",
  "| system | enqueue (ms) | enqueue + execute (ms) | tasks/s end to end | CPU per task, all processes (µs) | CPU per task, enqueuing process (µs) |",
  "|---|---|---|---|---|---|",
  ...names.map((name) => `| ${name} | ${col(name, (r) => r.enqueueMs)} | ${col(name, (r) => r.totalMs)} | ${col(name, (r) => N / (r.totalMs / 1000))} | ${col(name, (r) => perTask(r.cpuMs))} | ${col(name, (r) => perTask(r.enqueueCpuMs))} |`),
  "",
  "| uwsgi-node vs | wall-clock (their time / ours) | CPU per task (theirs / ours) |",
  "|---|---|---|",
  ...names.slice(1).map((name) => `| ${name} | ${ratio(wallRatio(name))} | ${ratio(cpuRatio(name))} |`),
  "",
  "Above 1: uwsgi-node is faster / spends less CPU.",
  "",
];
const text = lines.join("\n");
process.stdout.write(`${text}\n`);
mkdirSync(join(here, "results"), { recursive: true });
writeFileSync(join(here, "results", "spooler.md"), text);
