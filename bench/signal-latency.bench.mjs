#!/usr/bin/env node
// Signal latency as apps meet it: `uwsgi.signal(17)` raised in a worker → the handler registered
// for target `mule1` runs in the mule (both routed by the master), side by side in one run:
//   uwsgi-node: the real server (dist/cli.js, 1 worker, --mules 1) running bench/signal-latency-app.mjs;
//   uWSGI:      Debian uWSGI 2.0 (python3 plugin, 1 worker, --mules 1) running bench/signal-latency-app.py.
// A request raises N signals, one every 2 ms (so they do not queue); latency = the time the
// handler started - the time just before the raise (wall clock, µs, same machine), paired in
// number (each side counts its raises / handler runs). Reports p50 and p99 per system and their ratios (> 1: uwsgi-node is slower).
//   npm run build && node bench/signal-latency.bench.mjs
// Writes bench/results/signal-latency.md. Needs uwsgi + its python3 plugin. Bounded: N = 400
// (BENCH_SIGNALS), about a second per system.
import { mkdirSync, writeFileSync } from "node:fs";
import { cpus, loadavg } from "node:os";
import { join } from "node:path";
import { freePort, launch, launchUwsgiNode, stop, waitFor } from "./lib/processes.mjs";

const here = import.meta.dirname;
const N = Math.max(10, Math.min(5000, Number(process.env.BENCH_SIGNALS ?? 400)));

/** `TAG <n> <µs>` lines as a map n → µs. */
const lines = (text, tag) => new Map([...text.matchAll(new RegExp(`^${tag} (\\d+) (\\d+)$`, "gm"))].map((m) => [Number(m[1]), Number(m[2])]));

/** Runs one system: N raises, returns the latencies in µs. */
async function measure(name) {
  const port = await freePort();
  const proc =
    name === "uwsgi-node"
      ? launchUwsgiNode(name, ["--http-socket", `127.0.0.1:${port}`, "--processes", "1", "--mules", "1", "--disable-logging", "--module", join(here, "signal-latency-app.mjs")])
      : launch(name, "uwsgi", ["--plugin", "python3", "--master", "--processes", "1", "--mules", "1", "--disable-logging", "--http-socket", `127.0.0.1:${port}`, "--wsgi-file", join(here, "signal-latency-app.py")]);
  try {
    // warm-up: the app answers and the mule handles a signal
    await waitFor(async () => (await fetch(`http://127.0.0.1:${port}/?n=1`)).ok, name, { proc, every: 20 });
    await waitFor(() => lines(proc.output(), "SIGLAT").size >= 1, `${name} mule`, { proc, every: 20 });
    const from = proc.output().length;
    const first = Math.max(...lines(proc.output(), "SIGLAT").keys()) + 1;
    const reply = await fetch(`http://127.0.0.1:${port}/?n=${N}`);
    if (!reply.ok) throw new Error(`${name}: HTTP ${reply.status}`);
    const text = await waitFor(() => {
      const t = proc.output().slice(from);
      return lines(t, "SIGLAT").has(first + N - 1) && lines(t, "RAISE").has(first + N - 1) ? t : null;
    }, `${name}: ${N} handler runs`, { proc, every: 20 });
    const raised = lines(text, "RAISE");
    const ran = lines(text, "SIGLAT");
    const out = [];
    for (const [n, t] of raised) if (ran.has(n)) out.push(ran.get(n) - t);
    if (out.length < N) console.log(`${name}: ${N - out.length} of ${N} signals without both lines (a log line lost or mangled): left out`);
    return out;
  } finally {
    await stop(proc);
  }
}

function pct(xs, p) {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.floor((p / 100) * s.length))];
}
const ms = (us) => `${(us / 1000).toFixed(3)} ms`;

const ours = await measure("uwsgi-node");
const theirs = await measure("uWSGI");
const row = (label, p) => `| ${label} | ${ms(pct(ours, p))} | ${ms(pct(theirs, p))} | ${(pct(ours, p) / pct(theirs, p)).toFixed(2)}x |`;
const table = [
  `Signal latency, raise in a worker → handler start in mule 1 (target \`mule1\`, routed by the master), ${N} signals one every 2 ms, ${cpus().length} CPUs (load average ${loadavg()[0].toFixed(1)} at the end), node ${process.version}, ${new Date().toISOString().slice(0, 10)}`,
  "One run per system, one after the other. Ratio = uwsgi-node / uWSGI (lower is better for uwsgi-node).",
  "",
  "| percentile | uwsgi-node | uWSGI 2.0.21 (Python) | uwsgi-node / uWSGI |",
  "|---|---|---|---|",
  row("p50", 50),
  row("p99", 99),
].join("\n");
console.log(table);
mkdirSync(join(here, "results"), { recursive: true });
writeFileSync(join(here, "results", "signal-latency.md"), `${table}\n`);
