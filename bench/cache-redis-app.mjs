// The uwsgi-node side of bench/cache-redis.bench.mjs: an app run by the real server that awaits
// the public API on a Redis-backed cache (`await uwsgi.cache_get(key, "bench@redis")`) in a loop
// inside its worker, one call at a time, as an app handler would.
//   GET /?op=get|inc&ms=N&keys=K  ->  {"ops": <calls done in N ms>, "pid": <worker pid>}
//   GET /?op=setup&keys=K         ->  stores the K keys (64-byte values)
import { existsSync } from "node:fs";

const root = new URL("..", import.meta.url).pathname;
const entry = [`${root}dist/index.js`, `${root}build/src/index.js`].find((p) => existsSync(p));
if (!entry) throw new Error("uwsgi-node is not built: run npm run build");
const { uwsgi } = await import(entry);
if (uwsgi.is_stub) throw new Error("cache-redis-app.mjs must run under the uwsgi-node server");

const CACHE = process.env.BENCH_CACHE ?? "bench@redis";
const value = Buffer.alloc(64, 0x61);
const keysOf = (n) => Array.from({ length: n }, (_, i) => `key-${String(i).padStart(10, "0")}`);

async function run(op, ms, n) {
  const keys = keysOf(n);
  const counters = keys.map((k) => `ctr-${k.slice(4)}`);
  const deadline = performance.now() + ms;
  let ops = 0;
  let i = 0;
  while (performance.now() < deadline) {
    if (op === "get") await uwsgi.cache_get(keys[i], CACHE);
    else await uwsgi.cache_inc(counters[i], 1, 0, CACHE);
    if (++i === n) i = 0;
    ops++;
  }
  return ops;
}

export default async function app(req, res) {
  const q = new URL(req.url, "http://x").searchParams;
  const n = Number(q.get("keys") ?? 1000);
  let body;
  if (q.get("op") === "setup") {
    await uwsgi.cache_clear(CACHE);
    for (const k of keysOf(n)) await uwsgi.cache_update(k, value, 0, CACHE);
    body = "ok";
  } else {
    body = JSON.stringify({ ops: await run(q.get("op"), Number(q.get("ms") ?? 1000), n), pid: process.pid });
  }
  res.writeHead(200, { "Content-Type": "text/plain", "Content-Length": Buffer.byteLength(body) });
  res.end(body);
}
