// The baseline of bench/cache-redis.bench.mjs: node:cluster workers (shared accept, like
// uwsgi-node's workers) each using ioredis directly, one awaited command at a time:
// GET for get, INCR for inc (Redis's own counter: the fastest a Node app gets without uwsgi-node).
//   node cache-redis-cluster.mjs <http port> <redis port> <workers>
//   GET /?op=get|inc&ms=N&keys=K  ->  {"ops": <commands done in N ms>, "pid": <worker pid>}
//   GET /?op=setup&keys=K         ->  stores the K keys (64-byte values)
import cluster from "node:cluster";
import { createServer } from "node:http";

const [httpPort, redisPort, workers] = process.argv.slice(2).map(Number);
if (cluster.isPrimary) {
  cluster.schedulingPolicy = cluster.SCHED_NONE;
  for (let i = 0; i < workers; i++) cluster.fork();
  process.on("SIGINT", () => {
    for (const w of Object.values(cluster.workers)) w.process.kill("SIGKILL");
    process.exit(0);
  });
} else {
  const { Redis } = await import("ioredis");
  const redis = new Redis({ port: redisPort, host: "127.0.0.1", maxRetriesPerRequest: 1 });
  const value = Buffer.alloc(64, 0x61);
  const keysOf = (n) => Array.from({ length: n }, (_, i) => `bench:key-${String(i).padStart(10, "0")}`);
  createServer(async (req, res) => {
    const q = new URL(req.url, "http://x").searchParams;
    const n = Number(q.get("keys") ?? 1000);
    const keys = keysOf(n);
    let body;
    if (q.get("op") === "setup") {
      for (const k of keys) await redis.set(k, value);
      body = "ok";
    } else {
      const op = q.get("op");
      const counters = keys.map((k) => `bench:ctr-${k.slice(10)}`);
      const deadline = performance.now() + Number(q.get("ms") ?? 1000);
      let ops = 0;
      let i = 0;
      while (performance.now() < deadline) {
        if (op === "get") await redis.getBuffer(keys[i]);
        else await redis.incr(counters[i]);
        if (++i === n) i = 0;
        ops++;
      }
      body = JSON.stringify({ ops, pid: process.pid });
    }
    res.writeHead(200, { "Content-Type": "text/plain", "Content-Length": Buffer.byteLength(body) });
    res.end(body);
  }).listen(httpPort, "127.0.0.1");
}
