#!/usr/bin/env node
// Cache engine micro-benchmark, in one process: ops/s and ns/op of get / update / inc on a private
// cache (createLocalCache: plain ArrayBuffers and LocalMutex), on the same engine over shared
// memory with the server's robust process-shared mutexes (what workers use), and on a JS Map doing
// the equivalent work (Map get; Map set of a Buffer copy; read-modify-write of a BigInt).
// 1000 keys of 16 bytes, 64-byte values. Each column runs in a process of its own (so the engine's
// call sites see one kind of mutex, as in a worker), and each case runs 8 slices and keeps the
// fastest, so that other load on the machine disturbs it less. Prints a markdown table; writes
// nothing.
// Needs `npm run build` first (and the native addon for the shared column).
// Usage: node bench/cache-engine.mjs [--ms 800]   (time per case, after a short warm-up)
import { spawnSync } from "node:child_process";
import { systemClock } from "../dist/core/clock.js";
import { CacheEngine } from "../dist/engines/cache/cache-engine.js";
import { cacheRegionSizes } from "../dist/engines/cache/cache-layout.js";
import { createLocalCache } from "../dist/engines/cache/cache-registry.js";
import { parseCache2Option } from "../dist/engines/cache/cache-options.js";
import { MutexArea } from "../dist/native/mutex-area.js";
import { SharedRegion, regionName } from "../dist/native/shared-region.js";

const msArg = process.argv.indexOf("--ms");
const MS = msArg > 0 ? Number(process.argv[msArg + 1]) : 800;
const KEYS = 1000;
const BATCH = 2000;

const keys = Array.from({ length: KEYS }, (_, i) => Buffer.from(`key-${String(i).padStart(12, "0")}`));
const names = keys.map((k) => k.toString("latin1"));
const values = Array.from({ length: KEYS }, (_, i) => Buffer.alloc(64, i & 0xff));

/** Runs `step(i)` in batches until `ms` elapsed; returns ops/s. */
function measure(step, ms) {
  let ops = 0;
  let i = 0;
  const start = process.hrtime.bigint();
  const until = start + BigInt(ms) * 1_000_000n;
  let now = start;
  while (now < until) {
    for (let b = 0; b < BATCH; b++) {
      step(i);
      i = i + 1 === KEYS ? 0 : i + 1;
    }
    ops += BATCH;
    now = process.hrtime.bigint();
  }
  return ops / (Number(now - start) / 1e9);
}

function caseOps(step) {
  measure(step, Math.min(150, MS)); // warm-up (JIT)
  let best = 0;
  for (let slice = 0; slice < 8; slice++) best = Math.max(best, measure(step, MS / 8));
  return best;
}

const opts = parseCache2Option(`name=bench,items=${KEYS * 2 + 1},blocksize=64,keysize=16`);
const onlyArg = process.argv.indexOf("--only");
const only = onlyArg > 0 ? process.argv[onlyArg + 1] : null;
const OPS = ["get", "update", "inc"];
let sink = 0;

/** The cache over shared memory and robust mutexes, as createSharedEngines builds it; and its cleanup. */
function sharedCache() {
  const sizes = cacheRegionSizes(opts);
  const instance = `${process.pid}-benchengine`;
  const regions = [
    SharedRegion.create(regionName(instance, "meta"), sizes.metaBytes, { replace: true }),
    SharedRegion.create(regionName(instance, "data"), sizes.dataBytes, { replace: true }),
    SharedRegion.create(regionName(instance, "locks"), MutexArea.bytesFor(sizes.shardCount + 1), { replace: true }),
  ];
  const area = MutexArea.init(regions[2].buffer, 0, sizes.shardCount + 1, "bench ");
  const locks = { shards: Array.from({ length: sizes.shardCount }, (_, i) => area.get(i)), global: area.get(sizes.shardCount) };
  const cache = new CacheEngine(opts, { meta: regions[0].buffer, data: regions[1].buffer }, locks, systemClock, "init");
  return { cache, close: () => regions.forEach((r) => r.unlink()) };
}

/** ops/s of every op for one column, in this process. */
function column(kind) {
  if (kind === "map") {
    const map = new Map();
    for (let i = 0; i < KEYS; i++) map.set(names[i], Buffer.from(values[i]));
    const steps = {
      get: (i) => (sink += map.get(names[i]).length),
      update: (i) => map.set(names[i], Buffer.from(values[i])),
      inc: (i) => {
        const v = map.get(names[i]);
        map.set(names[i], (typeof v === "bigint" ? v : 0n) + 1n);
      },
    };
    return Object.fromEntries(OPS.map((op) => [op, caseOps(steps[op])]));
  }
  const { cache, close } = kind === "shared" ? sharedCache() : { cache: createLocalCache(opts, systemClock), close: () => {} };
  try {
    for (let i = 0; i < KEYS; i++) cache.update(keys[i], values[i]);
    const steps = {
      get: (i) => (sink += cache.get(keys[i]).length),
      update: (i) => (sink += cache.update(keys[i], values[i]) ? 1 : 0),
      inc: (i) => (sink += cache.math("inc", keys[i], 1n) ? 1 : 0),
    };
    return Object.fromEntries(OPS.map((op) => [op, caseOps(steps[op])]));
  } finally {
    close();
  }
}

if (only) {
  process.stdout.write(JSON.stringify(column(only)));
  if (sink === -1) console.log(sink);
} else {
  const run = (kind) => {
    const r = spawnSync(process.execPath, [import.meta.filename, "--ms", String(MS), "--only", kind], { encoding: "utf8", stdio: ["ignore", "pipe", "inherit"] });
    if (r.status !== 0) throw new Error(`the ${kind} column failed`);
    return JSON.parse(r.stdout);
  };
  const [local, shared, map] = ["local", "shared", "map"].map(run);
  const fmt = (n) => `${Math.round(n).toLocaleString("en-US")} (${(1e9 / n).toFixed(0)} ns)`;
  console.log(`cache engine vs JS Map, ${KEYS} keys of 16 bytes, 64-byte values, best of 8 slices of ${MS / 8} ms (node ${process.version})\n`);
  console.log("| op | engine, private memory: ops/s (ns/op) | engine, shared memory + robust mutexes | Map | private engine / Map |");
  console.log("|---|---:|---:|---:|---:|");
  for (const op of OPS) console.log(`| ${op} | ${fmt(local[op])} | ${fmt(shared[op])} | ${fmt(map[op])} | ${(local[op] / map[op]).toFixed(3)} |`);
}
