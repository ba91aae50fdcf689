#!/usr/bin/env node
// A Redis-backed cache through the public API, side by side in one run:
//   uwsgi-node: the real server (dist/cli.js, 2 workers) with
//               `--cache2 name=bench,items=...,blocksize=64,backend=redis://127.0.0.1:PORT/0`,
//               running bench/cache-redis-app.mjs, which awaits `uwsgi.cache_get(key, "bench@redis")`
//               / `uwsgi.cache_inc(key, 1, 0, "bench@redis")` in a loop inside its worker;
//   ioredis:    node:cluster workers (bench/cache-redis-cluster.mjs) awaiting ioredis's GET / INCR
//               directly, the baseline every ratio is taken against;
//   near cache: the same uwsgi-node setup with `near=2000` (a shared-memory copy kept coherent by
//               Redis invalidation): reads hit the copy; cache_inc still goes to Redis.
// Both against the same redis-server; one awaited call at a time per loop; 1 and 2 loops at once
// (2: in two different workers). 1000 keys of 14 characters, 64-byte values. The systems are
// started once; rounds interleave them case by case; ratios are taken within a round, the median
// and range reported.
//   npm run build && node bench/cache-redis.bench.mjs   (BENCH_MS per case, default 1000; BENCH_ROUNDS, default 3)
// Writes bench/results/cache-redis.md. Needs redis-server and ioredis.
import { spawnSync } from "node:child_process";
import { mkdirSync, writeFileSync } from "node:fs";
import { cpus, loadavg } from "node:os";
import { join } from "node:path";
import { CLI, freePort, launch, launchUwsgiNode, stop, waitFor, workDir } from "./lib/processes.mjs";

const here = import.meta.dirname;
const MS = Number(process.env.BENCH_MS ?? 1000);
const ROUNDS = Math.max(1, Number(process.env.BENCH_ROUNDS ?? 3));
const KEYS = 1000;
const OPS = ["get", "inc"];
const PROCS = [1, 2];

/** An HTTP server running a loop endpoint: measure(op, loops) -> calls per wall-clock second. */
async function appServer(name, start) {
  const port = await freePort();
  const proc = start(port);
  const get = async (q) => (await fetch(`http://127.0.0.1:${port}/?${q}`)).text();
  await waitFor(async () => (await get(`op=setup&keys=${KEYS}`)) === "ok", name, { proc });
  return {
    async measure(op, p, ms = MS) {
      // p loops at once must run in p different workers; checked by pid, retried if not.
      for (let attempt = 0; ; attempt++) {
        const runs = await Promise.all(Array.from({ length: p }, () => get(`op=${op}&ms=${ms}&keys=${KEYS}`).then(JSON.parse)));
        if (new Set(runs.map((r) => r.pid)).size === p || attempt === 3) return runs.reduce((a, r) => a + r.ops, 0) / (ms / 1000);
      }
    },
    close: () => stop(proc),
  };
}

const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor((xs.length - 1) / 2)];
const fmt = (n) => (n == null || !Number.isFinite(n) ? "n/a" : `${(n / 1e3).toFixed(1)} k`);
const ratio = (xs) => `${median(xs).toFixed(2)}x${xs.length > 1 ? ` (${Math.min(...xs).toFixed(2)}-${Math.max(...xs).toFixed(2)})` : ""}`;

if (!CLI) throw new Error("uwsgi-node is not built: run npm run build");
const redisPort = await freePort();
const redis = launch("redis", "redis-server", ["--port", String(redisPort), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no", "--dir", workDir()]);
const systems = [];
try {
  await waitFor(() => spawnSync("redis-cli", ["-p", String(redisPort), "ping"]).stdout?.toString().trim() === "PONG", "redis-server", { proc: redis });
  const ours = await appServer("uwsgi-node", (port) =>
    launchUwsgiNode("uwsgi-node", [
      "--http-socket", `127.0.0.1:${port}`, "--master", "--processes", "2", "--disable-logging",
      "--cache2", `name=bench,items=${KEYS * 3 + 1},blocksize=64,backend=redis://127.0.0.1:${redisPort}/0`, "--module", join(here, "cache-redis-app.mjs"),
    ]),
  );
  systems.push(ours);
  const near = await appServer("uwsgi-node, near cache", (port) =>
    launchUwsgiNode("uwsgi-node-near", [
      "--http-socket", `127.0.0.1:${port}`, "--master", "--processes", "2", "--disable-logging",
      "--cache2", `name=bench,items=${KEYS * 3 + 1},blocksize=64,near=${KEYS * 2},backend=redis://127.0.0.1:${redisPort}/0`, "--module", join(here, "cache-redis-app.mjs"),
    ]),
  );
  systems.push(near);
  const direct = await appServer("node:cluster + ioredis", (port) => launch("cluster", process.execPath, [join(here, "cache-redis-cluster.mjs"), String(port), String(redisPort), "2"]));
  systems.push(direct);
  for (const op of OPS) for (const s of systems) await s.measure(op, 2, Math.min(300, MS)); // warm-up
  const runs = {};
  for (let round = 0; round < ROUNDS; round++) {
    for (const op of OPS) {
      for (const p of PROCS) {
        const m = { o: await ours.measure(op, p), d: await direct.measure(op, p), n: await near.measure(op, p) };
        (runs[`${op}/${p}`] ??= []).push(m);
        process.stderr.write(`  round ${round + 1} ${op}/${p}: uwsgi-node ${fmt(m.o)}/s, ioredis ${fmt(m.d)}/s, near cache ${fmt(m.n)}/s\n`);
      }
    }
  }
  const rows = [];
  for (const op of OPS) {
    for (const p of PROCS) {
      const rs = runs[`${op}/${p}`];
      rows.push(`| ${op === "get" ? "cache_get" : "cache_inc"} | ${p} | ${fmt(median(rs.map((x) => x.o)))} | ${fmt(median(rs.map((x) => x.d)))} | ${ratio(rs.map((x) => x.o / x.d))} | ${fmt(median(rs.map((x) => x.n)))} | ${ratio(rs.map((x) => x.n / x.d))} |`);
    }
  }
  const version = spawnSync("redis-server", ["--version"], { encoding: "utf8" }).stdout.trim();
  const table = [
    `Redis-backed cache calls/s inside worker processes, measured ${new Date().toISOString()} by bench/cache-redis.bench.mjs`,
    "",
    `- ${cpus().length} CPUs (${cpus()[0]?.model?.trim() ?? "?"}), node ${process.version}, ${version}, load average ${loadavg().map((l) => l.toFixed(1)).join(" ")} at the end`,
    `- ${MS} ms per case, ${ROUNDS} round(s), systems interleaved case by case; medians of wall-clock calls/s; ratios taken within each round (range in parentheses)`,
    `- ${KEYS} keys of 14 characters, 64-byte values; one awaited call at a time per loop; loops = loops running at once in different workers`,
    "- near cache: the same with `near=2000` (every key fits the copy; reads hit it after the first; cache_inc writes through to Redis)",
    "- uwsgi-node: `await uwsgi.cache_get(key, \"bench@redis\")` / `await uwsgi.cache_inc(key, 1, 0, \"bench@redis\")` in the real server's workers (cache_inc is a Lua script: uWSGI's 8-byte int64, limits and expiry); ioredis: GET / INCR from node:cluster workers",
    "",
    "| op | loops | uwsgi-node (public API) | node:cluster + ioredis | uwsgi-node vs ioredis | uwsgi-node, near cache | near cache vs ioredis |",
    "|---|---|---|---|---|---|---|",
    ...rows,
  ].join("\n");
  console.log(table);
  mkdirSync(join(here, "results"), { recursive: true });
  writeFileSync(join(here, "results", "cache-redis.md"), `${table}\n`);
} finally {
  for (const s of systems) await s.close().catch(() => {});
  await stop(redis);
}
