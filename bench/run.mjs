#!/usr/bin/env node
// Runs every benchmark (`bench/*.bench.mjs`) one after the other and collects what each wrote to
// bench/results/<name>.md into bench/results/RESULTS.md, under one header naming the machine and
// the versions of everything compared.
//
//   npm run bench                     # build, then every benchmark
//   node bench/run.mjs cache http     # only the benchmarks whose name contains one of the words
//                                     # (the others keep their last report in RESULTS.md, marked so)
//
// Installs bench/'s own dependencies (ioredis) first when they are missing. A benchmark that fails
// is reported as failed in RESULTS.md; the others still run; the exit code is then 1.
import { spawn, spawnSync } from "node:child_process";
import { existsSync, mkdirSync, readdirSync, readFileSync, statSync, writeFileSync } from "node:fs";
import { cpus, loadavg, release, totalmem } from "node:os";
import { join } from "node:path";

const here = import.meta.dirname;
const results = join(here, "results");
const filters = process.argv.slice(2);
// BENCH_QUICK=1: every benchmark once, short (one round, short loops), to check that they all run;
// its figures are not worth comparing (RESULTS.md says so)
const QUICK = process.env.BENCH_QUICK === "1";
const QUICK_ENV = { BENCH_QUICK: "1", BENCH_ROUNDS: "1", BENCH_MS: "300", BENCH_TASKS: "500" };
const QUICK_ARGS = { websocket: ["--rounds", "1", "--duration", "1", "--warmup", "0"], "legion-failover": ["--rounds", "1"] };
const loadAtStart = loadavg();

function version(cmd, args, pick = (s) => s.split("\n")[0]) {
  const r = spawnSync(cmd, args, { encoding: "utf8" });
  if (r.error) return "not installed";
  return pick(`${r.stdout}${r.stderr}`.trim());
}

if (!existsSync(join(here, "node_modules", "ioredis"))) {
  console.log("== installing bench/ dependencies (npm install in bench/)");
  const r = spawnSync("npm", ["install", "--no-audit", "--no-fund"], { cwd: here, stdio: "inherit" });
  if (r.status !== 0) process.exit(r.status ?? 1);
}

const all = readdirSync(here)
  .filter((f) => f.endsWith(".bench.mjs"))
  .map((f) => f.slice(0, -".bench.mjs".length))
  .sort();
const benches = all.filter((name) => filters.length === 0 || filters.some((w) => name.includes(w)));
if (benches.length === 0) {
  console.error(`no benchmark matches ${filters.join(" ")}`);
  process.exit(1);
}

mkdirSync(results, { recursive: true });
const outcome = [];
for (const name of benches) {
  console.log(`\n== ${name} (bench/${name}.bench.mjs)`);
  const started = Date.now();
  const code = await new Promise((resolve) => {
    const args = QUICK ? (QUICK_ARGS[name] ?? []) : [];
    const env = QUICK ? { ...process.env, ...QUICK_ENV } : process.env;
    const child = spawn(process.execPath, [join(here, `${name}.bench.mjs`), ...args], { stdio: "inherit", env });
    child.on("exit", (c, signal) => resolve(c ?? (signal ? 128 : 1)));
  });
  const file = join(results, `${name}.md`);
  const fresh = existsSync(file) && statSync(file).mtimeMs >= started;
  outcome.push({ name, code, seconds: Math.round((Date.now() - started) / 1000), report: fresh ? readFileSync(file, "utf8").trim() : null });
}

const machine = [
  `- date: ${new Date().toISOString()}`,
  `- machine: ${cpus().length} CPUs (${cpus()[0]?.model?.trim() ?? "?"}), ${(totalmem() / 2 ** 30).toFixed(1)} GiB, Linux ${release()}, load average ${loadAtStart.map((l) => l.toFixed(1)).join(" ")} at the start, ${loadavg().map((l) => l.toFixed(1)).join(" ")} at the end`,
  `- node ${process.version}; uWSGI ${version("uwsgi", ["--version"])}; ${version("nginx", ["-v"])}; ${version("redis-server", ["--version"], (s) => s.split(" ").slice(0, 3).join(" "))}; ${version("wrk", ["--version"], (s) => s.split(" [")[0])}; python ${version("python3", ["--version"], (s) => s.replace("Python ", ""))}`,
];
// Benchmarks not selected this time keep the section of their last report (marked as such).
const sections = all.map((name) => {
  const o = outcome.find((x) => x.name === name);
  if (!o) {
    const file = join(results, `${name}.md`);
    const old = existsSync(file) ? readFileSync(file, "utf8").trim() : null;
    return `## ${name} (\`bench/${name}.bench.mjs\`, not run this time: its last report)\n\n${old ?? "(never run)"}\n`;
  }
  const status = o.code === 0 ? `${o.seconds} s` : `FAILED (exit ${o.code}) after ${o.seconds} s`;
  return `## ${name} (\`bench/${name}.bench.mjs\`, ${status})\n\n${o.report ?? "(no report written)"}\n`;
});
const doc = [
  "# Benchmark results",
  "",
  "Written by `npm run bench` (bench/run.mjs). Every benchmark runs the compared systems side by side in one run, on",
  "loopback, interleaving them in rounds; ratios are medians of in-round ratios with their range. The machine is",
  "shared, so compare rows of one run, not runs of different days. How each one measures: bench/README.md.",
  ...(QUICK ? ["", "**BENCH_QUICK=1: a short check that every benchmark runs (one round, short loops); these figures are not measurements.**"] : []),
  "",
  ...machine,
  "",
  ...sections,
].join("\n");
writeFileSync(join(results, "RESULTS.md"), doc);
console.log(`\nwrote bench/results/RESULTS.md`);
const failed = outcome.filter((o) => o.code !== 0);
for (const f of failed) console.error(`${f.name} failed (exit ${f.code})`);
process.exit(failed.length ? 1 : 0);
