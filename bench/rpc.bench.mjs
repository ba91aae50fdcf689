#!/usr/bin/env node
// RPC round trips as apps meet them, side by side in one run:
//   uwsgi-node ↔ uwsgi-node: a worker of instance A calls `await uwsgi.rpc("127.0.0.1:<B>", "echo", "x")`
//               one call after the other; instance B (--socket, --plugin rpc) answers from a worker;
//   uWSGI ↔ uWSGI: the same with two Debian uWSGI 2.0 instances (python3 + rpc plugins);
//   the two mixed pairs (interop), local calls (`rpc(null, ...)` in the caller's own process) in
//   both, and a uwsgi-node worker calling `echo_mule`, registered only in mule 1, through the
//   master (uWSGI has no equivalent: its RPC table is per process).
// uWSGI's client opens a connection per call; ours keeps connections to uwsgi-node nodes.
// Besides calls/s, the CPU each call costs in the processes it runs in (/proc/PID/stat), which a
// loaded machine disturbs far less. BENCH_MS per case (default 1500), BENCH_ROUNDS rounds
// (default 2) alternated, medians. Before the rounds every case, uWSGI's too, makes
// BENCH_WARM_CALLS calls (default 10000, at most 30 s): a serving process is warm, and V8 runs a
// path unoptimised for its first few thousand calls.
//   npm run build && node bench/rpc.bench.mjs
// Writes bench/results/rpc.md. Needs uwsgi + its python3 and rpc plugins.
import { mkdirSync, writeFileSync } from "node:fs";
import { cpus, loadavg } from "node:os";
import { join } from "node:path";
import { freePort, launch, launchUwsgiNode, stop, waitFor } from "./lib/processes.mjs";
import { processCpuMs } from "./lib/process-cpu.mjs";

const here = import.meta.dirname;
const MS = Number(process.env.BENCH_MS ?? 1500);
const ROUNDS = Math.max(1, Number(process.env.BENCH_ROUNDS ?? 2));

async function instance(kind, name) {
  const http = await freePort();
  const sock = await freePort();
  const proc =
    kind === "node"
      ? launchUwsgiNode(name, ["--http-socket", `127.0.0.1:${http}`, "--socket", `127.0.0.1:${sock}`, "--plugin", "rpc", "--processes", "1", "--mules", "1", "--disable-logging", "--module", join(here, "rpc-app.mjs")])
      : launch(name, "uwsgi", ["--plugin", "python3,rpc", "--master", "--processes", "1", "--disable-logging", "--http-socket", `127.0.0.1:${http}`, "--socket", `127.0.0.1:${sock}`, "--wsgi-file", join(here, "rpc-app.py")]);
  const run = async (q) => JSON.parse(await (await fetch(`http://127.0.0.1:${http}/?${q}`)).text());
  await waitFor(async () => (await run("ms=0")).calls === 0, name, { proc });
  return { sock, run, master: proc.child.pid, close: () => stop(proc) };
}

const median = (xs) => {
  const s = [...xs].sort((a, b) => a - b);
  const m = Math.floor(s.length / 2);
  return s.length % 2 ? s[m] : (s[m - 1] + s[m]) / 2;
};

const loadAtStart = loadavg()[0];
const nodeA = await instance("node", "node-a");
const nodeB = await instance("node", "node-b");
const pyA = await instance("py", "uwsgi-a");
const pyB = await instance("py", "uwsgi-b");
// the mule registers at import: wait until the instance routes to it
await waitFor(async () => (await nodeA.run("f=echo_mule&ms=50")).bad === 0, "the mule's function");

const measure = async (inst, q) => {
  const r = await inst.run(`${q}&ms=${MS}`);
  if (r.bad) throw new Error(`${r.bad} of ${r.calls} calls failed (${q})`);
  return r.calls / (MS / 1000);
};
// CPU time (user + system, every thread) of a process, in ms: wall-clock on a shared machine
// swings with what else runs, the CPU a call costs moves far less.
const cpuMs = processCpuMs;
const info = async (inst) => inst.run("ms=0");
const pidsOf = async (inst) => [(await info(inst)).pid, ...((await info(inst)).others ?? [])];

// cases: [name, caller instance, query, pids whose CPU a call costs]
const nodeAPid = (await info(nodeA)).pid;
const nodeBPid = (await info(nodeB)).pid;
const pyAPid = (await info(pyA)).pid;
const pyBPid = (await info(pyB)).pid;
const nodeAMaster = nodeA.master;
const nodeAMule = (await info(nodeA)).mule;
const cases = {
  "remote-ours": [nodeA, `addr=127.0.0.1:${nodeB.sock}&f=echo`, [nodeAPid, nodeBPid]],
  "remote-theirs": [pyA, `addr=127.0.0.1:${pyB.sock}&f=echo`, [pyAPid, pyBPid]],
  "ours-to-uwsgi": [nodeA, `addr=127.0.0.1:${pyB.sock}&f=echo`, [nodeAPid, pyBPid]],
  "uwsgi-to-ours": [pyA, `addr=127.0.0.1:${nodeB.sock}&f=echo`, [pyAPid, nodeBPid]],
  "local-ours": [nodeA, "f=echo", [nodeAPid]],
  "local-theirs": [pyA, "f=echo", [pyAPid]],
  "mule": [nodeA, "f=echo_mule", [nodeAPid, nodeAMaster, nodeAMule].filter(Boolean)],
};
const results = Object.fromEntries(Object.keys(cases).map((k) => [k, { rate: [], cpu: [] }]));
const run = async (name) => {
  const [inst, q, pids] = cases[name];
  const before = pids.map(cpuMs);
  const rate = await measure(inst, q);
  const cpu = pids.map(cpuMs).reduce((n, v, i) => n + v - before[i], 0);
  results[name].rate.push(rate);
  // µs of CPU per call, summed over the processes a call runs in
  results[name].cpu.push((cpu * 1000) / (rate * (MS / 1000)));
};
const order = Object.keys(cases);
const WARM_CALLS = Number(process.env.BENCH_WARM_CALLS ?? 10000);
for (const name of order) await cases[name][0].run(`${cases[name][1]}&n=${WARM_CALLS}&ms=30000`);
for (let r = 0; r < ROUNDS; r++) {
  for (const name of r % 2 === 0 ? order : [...order].reverse()) await run(name);
}
for (const i of [nodeA, nodeB, pyA, pyB]) await i.close();

const med = (name, key) => median(results[name][key]);
const ratio = (ours, theirs, key) => {
  // within each round: ours over theirs (rates) or theirs over ours (CPU per call)
  const xs = results[ours][key].map((v, i) => (key === "rate" ? v / results[theirs][key][i] : results[theirs][key][i] / v));
  return `${median(xs).toFixed(2)}x (${Math.min(...xs).toFixed(2)}-${Math.max(...xs).toFixed(2)})`;
};
const row = (label, name, vs) =>
  `| ${label} | ${med(name, "rate").toFixed(0)} | ${(1e6 / med(name, "rate")).toFixed(0)} µs | ${med(name, "cpu").toFixed(0)} µs | ${vs ? ratio(name, vs, "rate") : "1.00x"} | ${vs ? ratio(name, vs, "cpu") : "1.00x"} |`;
const table = [
  `RPC round trips, one call after the other, ${MS} ms per case after ${WARM_CALLS} warm-up calls (at most 30 s) per case, ${ROUNDS} round(s) alternated, ${cpus().length} CPUs, load average ${loadavg()[0].toFixed(1)} at the end (${loadAtStart.toFixed(1)} at the start), node ${process.version}, ${new Date().toISOString().slice(0, 10)}`,
  "uWSGI's client opens a connection per call; ours keeps its connections to uwsgi-node nodes (protocol/rpc-keepalive.ts) and uses one per call with uWSGI.",
  "CPU per call: user + system time of the processes a call runs in (caller and callee workers; the master and the mule too for the routed call), over the calls made.",
  "Ratios are taken within each round, median (range); for CPU, uWSGI's CPU per call over ours (above 1: we spend less).",
  "",
  "| case | calls/s | mean round trip | CPU per call | calls/s vs uWSGI | CPU vs uWSGI |",
  "|---|---|---|---|---|---|",
  row("uwsgi-node ↔ uwsgi-node (modifier1 173 over TCP, kept connection)", "remote-ours", "remote-theirs"),
  row("uWSGI 2.0.21 ↔ uWSGI 2.0.21 (Python)", "remote-theirs", null),
  row("uwsgi-node → uWSGI (a connection per call)", "ours-to-uwsgi", "remote-theirs"),
  row("uWSGI → uwsgi-node", "uwsgi-to-ours", "remote-theirs"),
  row("uwsgi-node local `rpc(null, ...)` in the caller's process", "local-ours", "local-theirs"),
  row("uWSGI local `rpc(None, ...)` (Python)", "local-theirs", null),
  `| uwsgi-node worker → its mule (routed by the master) | ${med("mule", "rate").toFixed(0)} | ${(1e6 / med("mule", "rate")).toFixed(0)} µs | ${med("mule", "cpu").toFixed(0)} µs | (no uWSGI equivalent) | |`,
].join("\n");
console.log(`\n${table}`);
mkdirSync(join(here, "results"), { recursive: true });
writeFileSync(join(here, "results", "rpc.md"), `${table}\n`);
