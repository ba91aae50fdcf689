#!/usr/bin/env node
// Machine instructions per call of the shared-memory API, counted by callgrind: the numbers a
// loaded, shared machine cannot blur (bench/README.md, "Shared-memory API").
//
//   node bench/shared-api-instructions.mjs [op,op...] [--kind string|buffer] [--calls N]
//
// For each op it runs this file twice under `valgrind --tool=callgrind` as a "worker" of a
// throw-away instance (the shared regions created here, the public module `uwsgi` built over
// them exactly as in a server worker), each run warming the op's loop up and then making N or
// 2N more calls; the difference of the two totals divided by N is what one call costs, loop
// included (the same loop as bench/shared-api-app.mjs). Needs valgrind and a build (npm run build).
import { spawnSync } from "node:child_process";
import { existsSync, mkdtempSync, readFileSync, readdirSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";

const here = import.meta.dirname;
const root = join(here, "..");
const build = [join(root, "dist"), join(root, "build", "src")].find((p) => existsSync(join(p, "index.js")));
if (!build) throw new Error("uwsgi-node is not built: run npm run build");

const BODIES = {
  get: ["uwsgi.cache_get(s.keys[i])", 1],
  exists: ["uwsgi.cache_exists(s.keys[i])", 1],
  update: ["uwsgi.cache_update(s.keys[i], value)", 1],
  set_del: ["uwsgi.cache_set(s.fresh[i], value); uwsgi.cache_del(s.fresh[i])", 2],
  inc: ["uwsgi.cache_inc(s.counters[i])", 1],
  dec: ["uwsgi.cache_dec(s.counters[i])", 1],
  mul: ["uwsgi.cache_mul(s.counters[i])", 1],
  div: ["uwsgi.cache_div(s.counters[i])", 1],
  num: ["uwsgi.cache_num(s.counters[i])", 1],
  metric_get: ['uwsgi.metric_get("bench")', 1],
  metric_set: ['uwsgi.metric_set("bench", i)', 1],
  metric_inc: ['uwsgi.metric_inc("bench")', 1],
  metric_div: ['uwsgi.metric_div("bench", 1)', 1],
  lock_unlock: ["uwsgi.lock(); uwsgi.unlock()", 2],
  nothing: ["", 1],
};
const KEYS = 1000;

if (process.argv[2] === "--child") {
  // argv: --child op kind warmup calls
  const [, , , op, kind, warmupArg, callsArg] = process.argv;
  const { OptionSet } = await import(join(build, "config", "option-set.js"));
  const { buildInstanceConfig } = await import(join(build, "config", "instance-config.js"));
  const { createSharedEngines } = await import(join(build, "server", "shared-memory", "shared-engines.js"));
  const { instanceMetrics } = await import(join(build, "server", "shared-memory", "instance-memory.js"));
  const { childEnvironment } = await import(join(build, "server", "child-environment.js"));
  const { systemClock } = await import(join(build, "core", "clock.js"));
  const options = [
    { name: "master", value: true },
    { name: "cache2", value: `name=default,items=${KEYS * 3 + 1},blocksize=64` },
    { name: "metric", value: "name=bench" },
  ];
  const config = buildInstanceConfig(new OptionSet(options));
  const instance = `instr-${process.pid}`;
  const shared = createSharedEngines(config, instance, systemClock, "create", instanceMetrics(config));
  try {
    Object.assign(process.env, childEnvironment({ role: "worker", id: 1, masterPid: process.pid, instance, config, plan: null }));
    const { uwsgi } = await import(join(build, "index.js"));
    if (uwsgi.is_stub) throw new Error("expected the server module");
    const value = Buffer.alloc(64, 0x61);
    const names = Array.from({ length: KEYS }, (_, i) => `key-${String(i).padStart(10, "0")}`);
    const conv = kind === "buffer" ? (x) => Buffer.from(x) : (x) => x;
    const s = { keys: names.map(conv), counters: names.map((k) => conv(`ctr-${k.slice(4)}`)), fresh: names.map((k) => conv(`new-${k.slice(4)}`)) };
    for (const k of names) uwsgi.cache_update(k, value);
    const [body] = BODIES[op];
    const loop = new Function("uwsgi", "value", "s", "n", "calls", `
      let i = 0;
      for (let c = 0; c < calls; c += 1000) {
        for (let b = 0; b < 1000; b++) {
          ${body};
          if (++i === n) i = 0;
        }
      }`);
    loop(uwsgi, value, s, KEYS, Number(warmupArg));
    if (callsArg === "cpu") {
      // Quick look without valgrind: the best of 7 rounds, in CPU nanoseconds per call.
      let best = Infinity;
      for (let r = 0; r < 7; r++) {
        const before = process.cpuUsage();
        loop(uwsgi, value, s, KEYS, 200000);
        const u = process.cpuUsage(before);
        best = Math.min(best, ((u.user + u.system) * 1000) / (200000 * BODIES[op][1]));
      }
      console.log(`${op} ${kind}: ${best.toFixed(1)} ns per call (CPU, best of 7)`);
    } else loop(uwsgi, value, s, KEYS, Number(callsArg));
  } finally {
    shared.unlink();
  }
  process.exit(0);
}

const args = process.argv.slice(2);
const flag = (name, dflt) => {
  const i = args.indexOf(name);
  if (i < 0) return dflt;
  const v = args[i + 1];
  args.splice(i, 2);
  return v;
};
const kind = flag("--kind", "string");
const calls = Number(flag("--calls", "200000"));
const warmup = Number(flag("--warmup", "300000"));
const ops = args[0] ? args[0].split(",") : Object.keys(BODIES).filter((o) => o !== "nothing");
const work = mkdtempSync(join(tmpdir(), "uwsgi-node-instr-"));

function total(op, n) {
  const out = join(work, `cg.${op}.${n}`);
  const r = spawnSync("valgrind", ["--tool=callgrind", `--callgrind-out-file=${out}.%p`, process.execPath, "--no-concurrent-recompilation", import.meta.filename, "--child", op, kind, String(warmup), String(n)], {
    encoding: "utf8",
  });
  if (r.status !== 0) throw new Error(`${op}: valgrind run failed:\n${r.stderr.slice(-3000)}`);
  // The main process's file carries "summary:"/"totals:" lines.
  const file = readdirSync(work).find((f) => f.startsWith(`cg.${op}.${n}.`));
  const text = readFileSync(join(work, file), "utf8");
  rmSync(join(work, file));
  const m = /^(?:summary|totals):\s+(\d+)/m.exec(text);
  return Number(m[1]);
}

try {
  console.log(`| op (${kind} keys) | instructions per call |`);
  console.log("|---|---|");
  for (const op of ops) {
    if (!BODIES[op]) throw new Error(`unknown op ${op}`);
    const a = total(op, calls);
    const b = total(op, 2 * calls);
    console.log(`| ${op} | ${((b - a) / (calls * BODIES[op][1])).toFixed(0)} |`);
  }
} finally {
  rmSync(work, { recursive: true, force: true });
}
