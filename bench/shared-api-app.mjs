// The uwsgi-node side of bench/cache-shared.bench.mjs: an app run by the real server that calls the
// public API (`uwsgi.cache_get(...)` etc.) in a loop inside its worker, as apps call it.
//   GET /?op=get&kind=string|buffer&ms=N&keys=K  ->  {"ops": <calls done in N ms>, "cpu": <CPU seconds used>, "pid": <worker pid>}
//   GET /?op=setup&keys=K                        ->  stores the K keys (64-byte values) and the counters
// The loop checks the clock every 1000 calls (as the Python side does).
import { existsSync } from "node:fs";

const root = new URL("..", import.meta.url).pathname;
const entry = [`${root}dist/index.js`, `${root}build/src/index.js`].find((p) => existsSync(p));
if (!entry) throw new Error("uwsgi-node is not built: run npm run build");
const { uwsgi } = await import(entry);
if (uwsgi.is_stub) throw new Error("shared-api-app.mjs must run under the uwsgi-node server");

const value = Buffer.alloc(64, 0x61);
const keySets = new Map();
function keysOf(n, kind) {
  const id = `${n}/${kind}`;
  let set = keySets.get(id);
  if (!set) {
    const names = Array.from({ length: n }, (_, i) => `key-${String(i).padStart(10, "0")}`); // 14 characters
    const counters = names.map((k) => `ctr-${k.slice(4)}`);
    const fresh = names.map((k) => `new-${k.slice(4)}`);
    const conv = kind === "buffer" ? (s) => Buffer.from(s) : (s) => s;
    set = { keys: names.map(conv), counters: counters.map(conv), fresh: fresh.map(conv) };
    keySets.set(id, set);
  }
  return set;
}

/** Each op's call(s) with the i-th key, and how many API calls that makes. */
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
  keys: ["uwsgi.cache_keys()", 1],
  metric_get: ['uwsgi.metric_get("bench")', 1],
  metric_set: ['uwsgi.metric_set("bench", i)', 1],
  metric_inc: ['uwsgi.metric_inc("bench")', 1],
  metric_dec: ['uwsgi.metric_dec("bench")', 1],
  metric_mul: ['uwsgi.metric_mul("bench", 1)', 1],
  metric_div: ['uwsgi.metric_div("bench", 1)', 1],
  lock_unlock: ["uwsgi.lock(); uwsgi.unlock()", 2],
};
// One function per op with its call inline (a shared loop calling through a table would measure
// a megamorphic call as well), as the Python side compiles one loop per op.
const loops = new Map();
function loopOf(op) {
  let fn = loops.get(op);
  if (!fn) {
    const [body, per] = BODIES[op] ?? [];
    if (!body) throw new Error(`unknown op ${op}`);
    fn = new Function("uwsgi", "value", "s", "n", "ms", `
      const deadline = performance.now() + ms;
      let ops = 0;
      let i = 0;
      while (performance.now() < deadline) {
        for (let b = 0; b < 1000; b++) {
          ${body};
          if (++i === n) i = 0;
        }
        ops += ${1000 * per};
      }
      return ops;`);
    loops.set(op, fn);
  }
  return fn;
}

/** Calls made and the CPU seconds this process spent making them (all its threads: GC included). */
function run(op, kind, ms, n) {
  const fn = loopOf(op);
  const keys = keysOf(n, kind);
  const before = process.cpuUsage();
  const ops = fn(uwsgi, value, keys, n, ms);
  const cpu = process.cpuUsage(before);
  return { ops, cpu: (cpu.user + cpu.system) / 1e6 };
}

export default function app(req, res) {
  const q = new URL(req.url, "http://x").searchParams;
  const n = Number(q.get("keys") ?? 1000);
  let body;
  if (q.get("op") === "setup") {
    uwsgi.cache_clear();
    const s = keysOf(n, "string");
    for (const k of s.keys) uwsgi.cache_update(k, value);
    body = "ok";
  } else {
    body = JSON.stringify({ ...run(q.get("op"), q.get("kind") ?? "string", Number(q.get("ms") ?? 1000), n), pid: process.pid });
  }
  res.writeHead(200, { "Content-Type": "text/plain", "Content-Length": Buffer.byteLength(body) });
  res.end(body);
}
