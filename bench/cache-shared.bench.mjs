#!/usr/bin/env node
// Shared cache benchmark, one run, side by side:
//   uwsgi-node: the server's cache engine over shared memory, driven from 1 and 2 processes
//   uWSGI:      Debian uWSGI's cache, driven by a Python loop inside 1 and 2 workers
//   Redis:      redis-server through ioredis, one awaited command at a time, 1 and 2 processes
// Same keys (16 bytes), values (64 bytes), 1000 keys. Prints ops/s and ratios, and writes
// bench/results/cache-shared.md.  Needs: npm run build (root), npm install (bench/), uwsgi, redis-server.
import { spawn, spawnSync } from "node:child_process";
import { createServer } from "node:net";
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { cpus, tmpdir } from "node:os";
import { join } from "node:path";
import { OptionSet } from "../dist/config/option-set.js";
import { buildInstanceConfig } from "../dist/config/instance-config.js";
import { createSharedEngines } from "../dist/server/shared-memory/shared-engines.js";
import { systemClock } from "../dist/core/clock.js";

const here = import.meta.dirname;
const MS = Number(process.env.BENCH_MS ?? 2000);
const ROUNDS = Math.max(1, Number(process.env.BENCH_ROUNDS ?? 3));
const KEYS = 1000;
const OPS = ["get", "update", "inc"];
const PROCS = [1, 2];
const started = [];

function freePort() {
  return new Promise((resolve) => {
    const s = createServer().listen(0, "127.0.0.1", () => {
      const { port } = s.address();
      s.close(() => resolve(port));
    });
  });
}

function runChild(args) {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, args, { stdio: ["ignore", "pipe", "inherit"] });
    let out = "";
    child.stdout.on("data", (c) => (out += c));
    child.on("exit", (code) => (code === 0 ? resolve(JSON.parse(out).ops) : reject(new Error(`${args[0]} exited ${code}`))));
  });
}

async function waitFor(check, what, ms = 10_000) {
  const until = Date.now() + ms;
  for (;;) {
    try {
      if (await check()) return;
    } catch {
      /* not yet */
    }
    if (Date.now() > until) throw new Error(`${what} did not come up`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

// Each system is started once and exposes measure(op, processes) -> ops/s. Rounds interleave the
// systems case by case (ours, uWSGI, Redis, next case ...), so a slow spell of this shared machine
// hits all of them; each ratio is computed within a round and the median over rounds is reported.

async function ours() {
  const entries = [{ name: "cache2", value: `name=default,items=${KEYS * 2 + 1},blocksize=64` }];
  const instance = `${process.pid}-bench`;
  const engines = createSharedEngines(buildInstanceConfig(new OptionSet(entries)), instance, systemClock, "create");
  const cache = engines.caches.byName(null);
  for (let i = 0; i < KEYS; i++) cache.update(Buffer.from(`key-${String(i).padStart(12, "0")}`), Buffer.alloc(64, 0x61), 0);
  return {
    async measure(op, p) {
      const counts = await Promise.all(Array.from({ length: p }, () => runChild([join(here, "cache-shared-child.mjs"), instance, JSON.stringify(entries), op, String(MS), String(KEYS)])));
      return counts.reduce((a, b) => a + b, 0) / (MS / 1000);
    },
    async close() {
      engines.unlink();
    },
  };
}

async function uwsgi() {
  const port = await freePort();
  const dir = mkdtempSync(join(tmpdir(), "uwsgi-node-bench-"));
  const proc = spawn("uwsgi", [
    "--plugin", "python3", "--master", "--die-on-term", "--processes", "2", "--disable-logging",
    "--http-socket", `127.0.0.1:${port}`, "--cache2", `name=default,items=${KEYS * 2 + 1},blocksize=64`,
    "--wsgi-file", join(here, "cache-uwsgi-app.py"), "--harakiri", "0", "--pidfile", join(dir, "pid"),
  ], { stdio: ["ignore", "ignore", "pipe"] });
  started.push(proc);
  let log = "";
  proc.stderr.on("data", (c) => (log += c));
  const get = async (q) => (await fetch(`http://127.0.0.1:${port}/?${q}`)).text();
  try {
    await waitFor(async () => (await get("op=setup&keys=" + KEYS)) === "ok", "uWSGI");
  } catch (err) {
    throw new Error(`${err.message}\n${log}`);
  }
  return {
    async measure(op, p) {
      const counts = await Promise.all(Array.from({ length: p }, () => get(`op=${op}&ms=${MS}&keys=${KEYS}`).then(Number)));
      return counts.reduce((a, b) => a + b, 0) / (MS / 1000);
    },
    async close() {
      proc.kill("SIGINT");
      await new Promise((r) => proc.once("exit", r));
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

async function redis() {
  const port = await freePort();
  const dir = mkdtempSync(join(tmpdir(), "uwsgi-node-bench-redis-"));
  const proc = spawn("redis-server", ["--port", String(port), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no", "--dir", dir], { stdio: "ignore" });
  started.push(proc);
  await waitFor(() => spawnSync("redis-cli", ["-p", String(port), "ping"]).stdout?.toString().trim() === "PONG", "redis-server");
  return {
    async measure(op, p) {
      const counts = await Promise.all(Array.from({ length: p }, () => runChild([join(here, "cache-redis-child.mjs"), String(port), op, String(MS), String(KEYS)])));
      return counts.reduce((a, b) => a + b, 0) / (MS / 1000);
    },
    async close() {
      proc.kill("SIGTERM");
      await new Promise((r) => proc.once("exit", r));
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];
const fmt = (n) => (n >= 1e6 ? `${(n / 1e6).toFixed(2)} M` : `${(n / 1e3).toFixed(1)} k`);

const systems = [];
try {
  const [o, u, r] = [await ours(), await uwsgi(), await redis()];
  systems.push(o, u, r);
  const runs = {}; // case -> [{ o, u, r }] per round
  for (let round = 0; round < ROUNDS; round++) {
    for (const op of OPS) for (const p of PROCS) {
      const k = `${op}/${p}`;
      (runs[k] ??= []).push({ o: await o.measure(op, p), u: await u.measure(op, p), r: await r.measure(op, p) });
    }
  }
  const rows = [];
  for (const op of OPS) for (const p of PROCS) {
    const rs = runs[`${op}/${p}`];
    const vsU = rs.map((x) => x.o / x.u);
    const vsR = rs.map((x) => x.o / x.r);
    const range = ROUNDS > 1 ? ` (${Math.min(...vsU).toFixed(2)}-${Math.max(...vsU).toFixed(2)})` : "";
    rows.push(`| ${op} | ${p} | ${fmt(median(rs.map((x) => x.o)))} | ${fmt(median(rs.map((x) => x.u)))} | ${fmt(median(rs.map((x) => x.r)))} | ${median(vsU).toFixed(2)}x${range} | ${median(vsR).toFixed(0)}x |`);
  }
  const table = [
    `Shared cache ops/s, ${MS} ms per case, ${KEYS} keys of 16 bytes, 64-byte values, ${cpus().length} CPUs, node ${process.version}, ${new Date().toISOString().slice(0, 10)}`,
    `${ROUNDS} round(s), the systems interleaved case by case; medians, ratios taken within each round (range in parentheses)`,
    "",
    "| op | processes | uwsgi-node | uWSGI 2.0.21 (Python loop) | Redis (ioredis, awaited) | vs uWSGI | vs Redis |",
    "|---|---|---|---|---|---|---|",
    ...rows,
  ].join("\n");
  console.log(table);
  mkdirSync(join(here, "results"), { recursive: true });
  writeFileSync(join(here, "results", "cache-shared.md"), `${table}\n`);
} finally {
  for (const s of systems) await s.close().catch(() => {});
  for (const p of started) if (p.exitCode === null && p.signalCode === null) p.kill("SIGKILL");
}
