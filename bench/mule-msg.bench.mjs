#!/usr/bin/env node
// Mule message throughput as apps meet it, side by side in one run:
//   uwsgi-node: the real server (dist/cli.js, 1 worker, --mules 1) running bench/mule-msg-app.mjs:
//               a request makes the worker send N messages with `uwsgi.mule_msg(payload, 1)`;
//               the mule counts them in `uwsgi.mule_msg_hook`;
//   uWSGI:      Debian uWSGI 2.0 (python3 plugin, 1 worker, --mules 1) running
//               bench/mule-msg-app.py, the same through its Python API.
// Throughput = N / (time the mule handled the N-th message - time the worker started sending).
// Message sizes 64 B and 4 KiB; BENCH_ROUNDS rounds (default 2), systems alternated, medians.
//   npm run build && node bench/mule-msg.bench.mjs
// Writes bench/results/mule-msg.md. Needs uwsgi + its python3 plugin.
import { mkdirSync, writeFileSync } from "node:fs";
import { cpus, loadavg } from "node:os";
import { join } from "node:path";
import { freePort, launch, launchUwsgiNode, stop, waitFor } from "./lib/processes.mjs";
import { groupCpuMs } from "./lib/process-cpu.mjs";

const here = import.meta.dirname;
const ROUNDS = Math.max(1, Number(process.env.BENCH_ROUNDS ?? 2));
const CASES = [
  { size: 64, n: 100_000 },
  { size: 4096, n: 20_000 },
];

/** Starts a system for case `c`; returns measure() -> { rate: messages/s, cpuUs: CPU µs per message of all its processes }. */
async function system(name, c) {
  const port = await freePort();
  const env = { BENCH_N: String(c.n) };
  const proc =
    name === "uwsgi-node"
      ? launchUwsgiNode(`${name}-${c.size}`, ["--http-socket", `127.0.0.1:${port}`, "--processes", "1", "--mules", "1", "--disable-logging", "--module", join(here, "mule-msg-app.mjs")], { env })
      : launch(`${name}-${c.size}`, "uwsgi", ["--plugin", "python3", "--master", "--processes", "1", "--mules", "1", "--disable-logging", "--http-socket", `127.0.0.1:${port}`, "--wsgi-file", join(here, "mule-msg-app.py")], { env });
  await waitFor(async () => (await fetch(`http://127.0.0.1:${port}/?n=1&size=1`)).ok, name, { proc, every: 20 });
  await new Promise((r) => setTimeout(r, 300));
  return {
    async measure() {
      const from = proc.output().length;
      const cpu0 = groupCpuMs(proc.child.pid);
      const t0 = Number(await (await fetch(`http://127.0.0.1:${port}/?n=${c.n}&size=${c.size}`)).text());
      const done = await waitFor(() => /BENCH_DONE \d+ (\d+)/.exec(proc.output().slice(from)), `${name} mule`, { proc, ms: 60_000, every: 20 });
      return { rate: c.n / ((Number(done[1]) - t0) / 1000), cpuUs: ((groupCpuMs(proc.child.pid) - cpu0) * 1000) / c.n };
    },
    close: () => stop(proc),
  };
}

const median = (xs) => {
  const s = [...xs].sort((a, b) => a - b);
  const m = Math.floor(s.length / 2);
  return s.length % 2 ? s[m] : (s[m - 1] + s[m]) / 2;
};
const fmt = (n) => (n >= 1e6 ? `${(n / 1e6).toFixed(2)} M` : `${(n / 1e3).toFixed(1)} k`);

const rows = [];
for (const c of CASES) {
  const ours = await system("uwsgi-node", c);
  const theirs = await system("uWSGI", c);
  const a = [];
  const b = [];
  for (let r = 0; r < ROUNDS; r++) {
    if (r % 2 === 0) {
      a.push(await ours.measure());
      b.push(await theirs.measure());
    } else {
      b.push(await theirs.measure());
      a.push(await ours.measure());
    }
  }
  await ours.close();
  await theirs.close();
  const ratios = a.map((x, i) => x.rate / b[i].rate);
  // CPU per message: uWSGI's over ours (above 1: we spend less), robust to a busy machine
  const cpuRatios = a.map((x, i) => b[i].cpuUs / x.cpuUs);
  const range = (rs) => `${median(rs).toFixed(2)}x (${Math.min(...rs).toFixed(2)}-${Math.max(...rs).toFixed(2)})`;
  const us = (xs) => median(xs.map((x) => x.cpuUs)).toFixed(1);
  rows.push(`| ${c.size} B | ${c.n} | ${fmt(median(a.map((x) => x.rate)))} | ${fmt(median(b.map((x) => x.rate)))} | ${range(ratios)} | ${us(a)} | ${us(b)} | ${range(cpuRatios)} |`);
  console.log(rows.at(-1));
}

const table = [
  `Mule messages/s, worker → mule 1, ${ROUNDS} round(s) alternated, ${cpus().length} CPUs (load average ${loadavg()[0].toFixed(1)} at the end), node ${process.version}, ${new Date().toISOString().slice(0, 10)}`,
  "Sender: a loop of `mule_msg(payload, 1)` in a worker (retrying when it throws UWSGI_ERR_MULE_QUEUE_FULL, or for uWSGI returns False); receiver: `mule_msg_hook` counting in the mule.",
  "",
  "Rates are wall clock (noisy on a shared machine); CPU is user+system time of all the system's processes (master, worker, mule) per message, and its ratio (uWSGI's CPU / ours) is the steadier comparison.",
  "",
  "| message | messages | uwsgi-node msg/s | uWSGI 2.0.21 (Python) msg/s | rate vs uWSGI | uwsgi-node CPU µs/msg | uWSGI CPU µs/msg | CPU vs uWSGI |",
  "|---|---|---|---|---|---|---|---|",
  ...rows,
].join("\n");
console.log(`\n${table}`);
mkdirSync(join(here, "results"), { recursive: true });
writeFileSync(join(here, "results", "mule-msg.md"), `${table}\n`);
