// Spooler throughput: enqueue + execute N tasks (default 10 000), one run, beside uWSGI's spooler
// (Debian uwsgi, python3 + spooler plugins, woken by its own SIGUSR1 per spool) and BullMQ on the
// Debian redis-server (unix socket). Each system: one app process enqueues all N tasks through its
// public API in one request (uwsgi.spool / uwsgi.spool / queue.add), one spooler process
// (BullMQ: one Worker with concurrency 1) runs them with a callable that only acknowledges.
// Measured: enqueue time, and wall time from the start of the enqueue until every task has run
// (spool directory empty / N "completed" events). Ratios: uwsgi-node's tasks/s over the others'.
// Writes bench/results/spooler.md. Needs uwsgi + python3 plugin, redis-server, bench/'s bullmq.
import { spawnSync } from "node:child_process";
import { mkdirSync, readdirSync, writeFileSync } from "node:fs";
import { request } from "node:http";
import { cpus, loadavg } from "node:os";
import { join } from "node:path";
import { CLI, freePort, launch, launchUwsgiNode, stop, waitFor, workDir } from "./lib/processes.mjs";

const here = import.meta.dirname;
const N = Number(process.env.BENCH_TASKS ?? 10_000);
const work = workDir();
const SIGTERM = { signal: "SIGTERM" };

function get(port, path) {
  return new Promise((resolve, reject) => {
    const req = request({ host: "127.0.0.1", port, path, agent: false }, (res) => {
      let body = "";
      res.on("data", (c) => (body += c));
      res.on("end", () => (res.statusCode === 200 ? resolve(body) : reject(new Error(`${path}: ${res.statusCode} ${body}`))));
    });
    req.setTimeout(120_000, () => req.destroy(new Error(`${path} timed out`)));
    req.on("error", reject);
    req.end();
  });
}

const pending = (dir) => readdirSync(dir).filter((n) => n.startsWith("uwsgi_spoolfile_on_")).length;

/** A spooler server (ours or uWSGI's): enqueue N in one request, wait for an empty spool dir. */
async function spoolerRun(name, start) {
  const port = await freePort();
  const dir = join(work, `${name}-spool`);
  mkdirSync(dir);
  const proc = start(port, dir);
  try {
    await waitFor(() => get(port, "/").then(() => true), `${name} start`, { proc, ms: 60_000 });
    await waitFor(() => /spawned the uWSGI spooler/.test(proc.output()), `${name} spooler`, { proc, ms: 60_000 });
    const t0 = performance.now();
    const { ms: enqueueMs } = JSON.parse(await get(port, `/enqueue?n=${N}`));
    await waitFor(() => pending(dir) === 0, `${name} tasks`, { proc, ms: 300_000, every: 5 });
    return { enqueueMs, totalMs: performance.now() - t0 };
  } finally {
    await stop(proc, SIGTERM);
  }
}

const ours = () =>
  spoolerRun("uwsgi-node", (port, dir) =>
    launchUwsgiNode("uwsgi-node", [
      "--http-socket", `127.0.0.1:${port}`, "--master", "--processes", "1", "--disable-logging",
      "--spooler", dir, "--spooler-frequency", "1", "--spooler-quiet", "--module", join(here, "spooler-app.mjs"),
    ], { cwd: work }),
  );

const uwsgi = () =>
  spoolerRun("uWSGI", (port, dir) =>
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
  const worker = launch("bullmq-worker", process.execPath, [join(here, "spooler-bullmq-worker.mjs"), sock, "bench", String(N)], { cwd: work });
  const queue = new Queue("bench", { connection: { path: sock } });
  try {
    await waitFor(() => worker.output().includes("ready"), "bullmq worker", { proc: worker, ms: 60_000 });
    const t0 = performance.now();
    await Promise.all(Array.from({ length: N }, (_, i) => queue.add("bench", { job: "bench", i: String(i) }, { removeOnComplete: true })));
    const enqueueMs = performance.now() - t0;
    await waitFor(() => worker.output().includes("done"), "bullmq jobs", { proc: worker, ms: 300_000, every: 5 });
    return { enqueueMs, totalMs: performance.now() - t0 };
  } finally {
    await queue.close();
    await stop(worker, SIGTERM);
    await stop(redis, SIGTERM);
  }
}

if (!CLI) throw new Error("uwsgi-node is not built: run npm run build");
const results = {};
for (const [name, run] of [["uwsgi-node", ours], ["uWSGI", uwsgi], ["BullMQ", bullmq]]) {
  results[name] = await run();
  process.stderr.write(`  ${name}: enqueue ${results[name].enqueueMs.toFixed(0)} ms, enqueue+execute ${results[name].totalMs.toFixed(0)} ms\n`);
}
const rate = (r) => N / (r.totalMs / 1000);
const enq = (r) => N / (r.enqueueMs / 1000);
const k = (n) => `${(n / 1000).toFixed(1)} k/s`;
const o = results["uwsgi-node"];
const lines = [
  "# Spooler: enqueue + execute " + N.toLocaleString("en") + " tasks",
  "",
  `One run, ${new Date().toISOString().slice(0, 10)}; node ${process.version}, ${cpus().length} CPUs (${cpus()[0]?.model ?? "?"}), load ${loadavg().map((x) => x.toFixed(2)).join(" ")} at the end.`,
  "Each system: one app process enqueues every task through its public API in one request (uwsgi-node and uWSGI: `uwsgi.spool()` in a worker; BullMQ: `queue.add()` x N, awaited together), one spooler process runs them (BullMQ: one Worker, concurrency 1) with a callable that only acknowledges. `--spooler-frequency 1`, `--spooler-quiet` for both spoolers; uWSGI's is woken by SIGUSR1 per spool, ours through the master. Total = from the first enqueue until every task has run.",
  "",
  "| system | enqueue | enqueue rate | enqueue + execute | tasks/s end to end | uwsgi-node / this |",
  "|---|---|---|---|---|---|",
  ...Object.entries(results).map(([name, r]) => `| ${name} | ${r.enqueueMs.toFixed(0)} ms | ${k(enq(r))} | ${r.totalMs.toFixed(0)} ms | ${k(rate(r))} | ${(rate(o) / rate(r)).toFixed(2)}x |`),
  "",
];
const text = lines.join("\n");
process.stdout.write(text + "\n");
for (const [name, r] of Object.entries(results)) if (name !== "uwsgi-node") process.stdout.write(`ratio uwsgi-node/${name}: ${(rate(o) / rate(r)).toFixed(2)}\n`);
mkdirSync(join(here, "results"), { recursive: true });
writeFileSync(join(here, "results", "spooler.md"), text);
