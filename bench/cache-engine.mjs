#!/usr/bin/env node
// Cache engine micro-benchmark, in one process: ops/s of get / update / inc on a private cache
// (createLocalCache: plain ArrayBuffers and LocalMutex) against a JS Map doing the equivalent work
// (Map get; Map set of a Buffer copy; read-modify-write of a BigInt). 1000 keys of 16 bytes,
// 64-byte values. Prints a markdown table; writes nothing. Needs `npm run build` first.
// Usage: node bench/cache-engine.mjs [--ms 500]   (time per case, after a short warm-up)
import { systemClock } from "../dist/core/clock.js";
import { createLocalCache } from "../dist/engines/cache/cache-registry.js";
import { parseCache2Option } from "../dist/engines/cache/cache-options.js";

const msArg = process.argv.indexOf("--ms");
const MS = msArg > 0 ? Number(process.argv[msArg + 1]) : 500;
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
  return measure(step, MS);
}

const cache = createLocalCache(parseCache2Option(`name=bench,items=${KEYS * 2 + 1},blocksize=64,keysize=16`), systemClock);
const map = new Map();
for (let i = 0; i < KEYS; i++) {
  cache.update(keys[i], values[i]);
  map.set(names[i], Buffer.from(values[i]));
}
let sink = 0;

const rows = [
  ["get", (i) => (sink += cache.get(keys[i]).length), (i) => (sink += map.get(names[i]).length)],
  ["update", (i) => (sink += cache.update(keys[i], values[i]) ? 1 : 0), (i) => map.set(names[i], Buffer.from(values[i]))],
  [
    "inc",
    (i) => (sink += cache.math("inc", keys[i], 1n) ? 1 : 0),
    (i) => {
      const v = map.get(names[i]);
      map.set(names[i], (typeof v === "bigint" ? v : 0n) + 1n);
    },
  ],
];

const fmt = (n) => Math.round(n).toLocaleString("en-US");
console.log(`cache engine vs JS Map, ${KEYS} keys of 16 bytes, 64-byte values, ${MS} ms per case (node ${process.version})\n`);
console.log("| op | cache engine ops/s | Map ops/s | engine / Map |");
console.log("|---|---:|---:|---:|");
for (const [op, engineStep, mapStep] of rows) {
  const engine = caseOps(engineStep);
  const baseline = caseOps(mapStep);
  console.log(`| ${op} | ${fmt(engine)} | ${fmt(baseline)} | ${(engine / baseline).toFixed(3)} |`);
}
if (sink === -1) console.log(sink);
