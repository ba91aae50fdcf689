#!/usr/bin/env node
// The shared-memory API as apps call it, side by side in one run:
//   uwsgi-node: the real server (dist/cli.js, 2 workers) running bench/shared-api-app.mjs, which
//               calls `uwsgi.cache_get("key-...")` etc. in a loop inside its worker, with string
//               keys and with Buffer keys;
//   uWSGI:      Debian uWSGI 2.0 (python3 plugin, 2 workers) running bench/shared-api-app.py, the
//               same loops through its Python API (str keys);
//   Redis:      redis-server through ioredis, one awaited command at a time (get/update/inc only).
// Every cache op (get, exists, update, set+del, inc, dec, mul, div, num, keys), metric op and
// lock+unlock, at 1 and 2 processes (2: two loops run at once, in two different workers). 1000
// keys of 14 characters, 64-byte Buffer values. The systems are started once; rounds interleave
// them case by case, in many short rounds (default 9 of 300 ms: about the time 3 rounds of 1 s
// took) whose order alternates (string keys, uWSGI, Buffer keys; then Buffer keys, uWSGI, string
// keys), so uWSGI is always measured right next to each of ours and a drift of the machine's
// load in a round weighs on both sides alike; ratios are taken within a round, their median and
// interquartile range reported (one round hit by a burst of load moves neither).
//   npm run build && node bench/cache-shared.bench.mjs      (BENCH_MS per case, default 300; BENCH_ROUNDS, default 9;
//                                                            BENCH_OPS=get,inc to pick ops)
// Writes bench/results/cache-shared.md. Needs uwsgi + python3 plugin, redis-server, bench/'s ioredis.
import { spawn, spawnSync } from "node:child_process";
import { mkdirSync, mkdtempSync, writeFileSync } from "node:fs";
import { cpus, loadavg } from "node:os";
import { join } from "node:path";
import { CLI, freePort, launch, launchUwsgiNode, stop, waitFor, workDir } from "./lib/processes.mjs";

const here = import.meta.dirname;
const MS = Number(process.env.BENCH_MS ?? 300);
const ROUNDS = Math.max(1, Number(process.env.BENCH_ROUNDS ?? 9));
const WARMUP_MS = Math.min(300, MS);
const KEYS = 1000;
const CACHE_OPS = ["get", "exists", "update", "set_del", "inc", "dec", "mul", "div", "num", "keys"];
const OTHER_OPS = ["metric_get", "metric_set", "metric_inc", "metric_dec", "metric_mul", "metric_div", "lock_unlock"];
const REDIS_OPS = new Set(["get", "update", "inc"]);
const ALL_OPS = [...CACHE_OPS, ...OTHER_OPS];
const OPS = process.env.BENCH_OPS ? process.env.BENCH_OPS.split(",").filter((o) => ALL_OPS.includes(o)) : ALL_OPS;
const PROCS = [1, 2];
const CACHE = `name=default,items=${KEYS * 3 + 1},blocksize=64`;

/**
 * A server running one of the fixture apps over HTTP: measure(op, processes, kind) ->
 * { wall: calls/s, cpu: calls per CPU-second summed over the processes }, null when unsupported.
 */
async function appServer(name, start) {
  const port = await freePort();
  const proc = start(port);
  const get = async (q) => (await fetch(`http://127.0.0.1:${port}/?${q}`)).text();
  await waitFor(async () => (await get(`op=setup&keys=${KEYS}`)) === "ok", name, { proc });
  return {
    async measure(op, p, kind = "string", ms = MS) {
      // p loops at once must run in p different workers: a worker busy in one loop does not
      // accept, so the next request goes to an idle one; checked by pid, retried if not.
      for (let attempt = 0; ; attempt++) {
        const runs = await Promise.all(Array.from({ length: p }, () => get(`op=${op}&kind=${kind}&ms=${ms}&keys=${KEYS}`).then(JSON.parse)));
        if (new Set(runs.map((r) => r.pid)).size === p || attempt === 3) {
          const ops = runs.reduce((a, r) => a + r.ops, 0);
          if (ops === 0) return null;
          return { wall: ops / (ms / 1000), cpu: runs.reduce((a, r) => a + r.ops / r.cpu, 0) };
        }
      }
    },
    close: () => stop(proc),
  };
}

const ours = () =>
  appServer("uwsgi-node", (port) =>
    launchUwsgiNode("uwsgi-node", [
      "--http-socket", `127.0.0.1:${port}`, "--master", "--processes", "2", "--cache2", CACHE,
      "--metric", "name=bench", "--disable-logging", "--module", join(here, "shared-api-app.mjs"),
    ]),
  );

const uwsgi = () =>
  appServer("uWSGI", (port) =>
    launch("uwsgi", "uwsgi", [
      "--plugin", "python3", "--master", "--processes", "2", "--disable-logging", "--http-socket", `127.0.0.1:${port}`,
      "--cache2", CACHE, "--enable-metrics", "--metric", "name=bench", "--wsgi-file", join(here, "shared-api-app.py"),
      "--harakiri", "0", "--pidfile", join(workDir(), "uwsgi.pid"),
    ]),
  );

async function redis() {
  const port = await freePort();
  const dir = mkdtempSync(join(workDir(), "redis-"));
  const proc = launch("redis", "redis-server", ["--port", String(port), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no", "--dir", dir]);
  await waitFor(() => spawnSync("redis-cli", ["-p", String(port), "ping"]).stdout?.toString().trim() === "PONG", "redis-server", { proc });
  const child = (op) =>
    new Promise((resolve, reject) => {
      const c = spawn(process.execPath, [join(here, "cache-redis-child.mjs"), String(port), op, String(MS), String(KEYS)], { stdio: ["ignore", "pipe", "inherit"] });
      let out = "";
      c.stdout.on("data", (d) => (out += d));
      c.on("exit", (code) => (code === 0 ? resolve(JSON.parse(out).ops) : reject(new Error(`redis child exited ${code}`))));
    });
  return {
    async measure(op, p) {
      const counts = await Promise.all(Array.from({ length: p }, () => child(op)));
      return { wall: counts.reduce((a, b) => a + b, 0) / (MS / 1000) };
    },
    close: () => stop(proc),
  };
}

/** The q-quantile (0..1) of xs, interpolated between the two nearest of the sorted values. */
const quantile = (xs, q) => {
  const v = [...xs].sort((a, b) => a - b);
  const at = (v.length - 1) * q;
  const lo = Math.floor(at);
  return lo + 1 < v.length ? v[lo] + (v[lo + 1] - v[lo]) * (at - lo) : v[lo];
};
const median = (xs) => quantile(xs, 0.5);
const fmt = (n) => (n == null || !Number.isFinite(n) ? "n/a" : n >= 1e6 ? `${(n / 1e6).toFixed(2)} M` : `${(n / 1e3).toFixed(1)} k`);
const cpuOf = (m) => m?.cpu ?? NaN;
const wallOf = (m) => m?.wall ?? NaN;
const ratio = (xs) => {
  const v = xs.filter((x) => Number.isFinite(x));
  if (!v.length) return "n/a";
  // With 4 or more rounds the interquartile range (the middle half of the rounds), else min-max.
  const [lo, hi] = v.length >= 4 ? [quantile(v, 0.25), quantile(v, 0.75)] : [Math.min(...v), Math.max(...v)];
  return `${median(v).toFixed(2)}x${v.length > 1 ? ` (${lo.toFixed(2)}-${hi.toFixed(2)})` : ""}`;
};

if (!CLI) throw new Error("uwsgi-node is not built: run npm run build");
const systems = [];
try {
  const o = await ours();
  systems.push(o);
  const u = await uwsgi();
  systems.push(u);
  const r = await redis();
  systems.push(r);
  // Warm-up: every loop once in every worker (V8 compiles each op's loop, with string and with
  // Buffer keys, before it is measured; the first run of a loop costs up to twice as much CPU).
  for (const op of OPS) {
    for (const kind of CACHE_OPS.includes(op) ? ["string", "buffer"] : ["string"]) await o.measure(op, 2, kind, WARMUP_MS);
    await u.measure(op, 2, "string", WARMUP_MS);
  }
  const runs = {}; // case -> [{ s, b, u, r }] per round
  for (let round = 0; round < ROUNDS; round++) {
    for (const op of OPS) {
      for (const p of PROCS) {
        // uWSGI in the middle, ours on either side, the order flipped every round (ops without
        // Buffer keys: string keys and uWSGI, flipped every round).
        const m = {};
        const hasB = CACHE_OPS.includes(op);
        const flip = round % 2 === 1;
        const order = hasB ? (flip ? ["b", "u", "s"] : ["s", "u", "b"]) : flip ? ["u", "s"] : ["s", "u"];
        for (const x of order) m[x] = x === "u" ? await u.measure(op, p) : await o.measure(op, p, x === "s" ? "string" : "buffer");
        if (REDIS_OPS.has(op)) m.r = await r.measure(op === "update" ? "update" : op, p);
        (runs[`${op}/${p}`] ??= []).push(m);
        process.stderr.write(`  round ${round + 1} ${op}/${p} (per CPU-second): string ${fmt(cpuOf(m.s))}${m.b ? `, Buffer ${fmt(cpuOf(m.b))}` : ""}, uWSGI ${fmt(cpuOf(m.u))}${m.r ? `, Redis ${fmt(wallOf(m.r))}/s` : ""}\n`);
      }
    }
  }
  const rows = [];
  for (const op of OPS) {
    for (const p of PROCS) {
      const rs = runs[`${op}/${p}`];
      const hasB = rs[0].b !== undefined;
      const hasR = rs[0].r !== undefined;
      const both = (get) => `${fmt(median(rs.map((x) => cpuOf(get(x)))))} (${fmt(median(rs.map((x) => wallOf(get(x)))))})`;
      rows.push(
        `| ${op} | ${p} | ${both((x) => x.s)} | ${hasB ? both((x) => x.b) : "-"} | ${both((x) => x.u)} | ` +
          `${ratio(rs.map((x) => cpuOf(x.s) / cpuOf(x.u)))} | ${hasB ? ratio(rs.map((x) => cpuOf(x.b) / cpuOf(x.u))) : "-"} | ` +
          `${ratio(rs.map((x) => wallOf(x.s) / wallOf(x.u)))} | ${hasR ? fmt(median(rs.map((x) => wallOf(x.r)))) : "-"} | ${hasR ? `${median(rs.map((x) => wallOf(x.s) / wallOf(x.r))).toFixed(0)}x` : "-"} |`,
      );
    }
  }
  const version = spawnSync("uwsgi", ["--version"], { encoding: "utf8" }).stdout.trim();
  const table = [
    `Shared-memory API calls/s inside worker processes, measured ${new Date().toISOString()} by bench/cache-shared.bench.mjs`,
    "",
    `- ${cpus().length} CPUs (${cpus()[0]?.model?.trim() ?? "?"}), node ${process.version}, uWSGI ${version} (python3), load average ${loadavg().map((l) => l.toFixed(1)).join(" ")} at the end`,
    `- ${MS} ms per case, ${ROUNDS} round(s), systems interleaved case by case (uWSGI between string and Buffer keys, their order flipped every round); medians; ratios taken within each round (${ROUNDS >= 4 ? "interquartile range of the rounds" : "range"} in parentheses)`,
    `- ${KEYS} keys of 14 characters, 64-byte Buffer values; uwsgi-node through \`uwsgi.*\` in the real server's workers (string keys / Buffer keys); uWSGI through its Python API (str keys); processes = loops running at once in different workers`,
    "- set_del = cache_set of an absent key + cache_del of it (2 calls); lock_unlock = lock() + unlock() (2 calls); keys = one cache_keys() of 2000 items; mul/div on counters (they reach 0 and stay there)",
    "",
    "- rates: calls per CPU-second of the processes making them, summed over the processes (the calls per wall-clock second in parentheses). On a machine shared with other work the wall-clock rate depends on how much CPU each loop got; CPU time does not (much), so the ratios to uWSGI compare CPU rates; the wall-clock ratio is given too. Redis: wall-clock rates (its time is spent in redis-server).",
    "",
    "| op | processes | uwsgi-node, string keys | uwsgi-node, Buffer keys | uWSGI (Python) | string keys vs uWSGI | Buffer keys vs uWSGI | string keys vs uWSGI, wall-clock | Redis (ioredis, awaited) | string keys vs Redis, wall-clock |",
    "|---|---|---|---|---|---|---|---|---|---|",
    ...rows,
  ].join("\n");
  console.log(table);
  mkdirSync(join(here, "results"), { recursive: true });
  writeFileSync(join(here, "results", "cache-shared.md"), `${table}\n`);
} finally {
  for (const s of systems) await s.close().catch(() => {});
}
