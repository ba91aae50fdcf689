// uwsgi-node side of bench/spooler.bench.mjs. GET /enqueue?n=N&round=R spools N tasks from this
// worker through uwsgi.spool() and answers with the wall-clock start (epoch ms), the time the loop
// took and the CPU this process spent in it. The spooler callable only acknowledges (SPOOL_OK) and
// prints "BENCH_DONE R <epoch ms>" when it has run the N-th task of round R.
import { existsSync } from "node:fs";

const root = new URL("..", import.meta.url).pathname;
const entry = [`${root}dist/index.js`, `${root}build/src/index.js`].find((p) => existsSync(p));
if (!entry) throw new Error("uwsgi-node is not built: run npm run build");
const { uwsgi } = await import(entry);

const done = new Map();
uwsgi.spooler = (task) => {
  const round = task.round.toString();
  const count = (done.get(round) ?? 0) + 1;
  done.set(round, count);
  if (count === Number(task.n)) process.stdout.write(`BENCH_DONE ${round} ${Date.now()}\n`);
  return uwsgi.SPOOL_OK;
};

export default function app(req, res) {
  const url = new URL(req.url, "http://x");
  if (url.pathname === "/enqueue") {
    const n = url.searchParams.get("n") ?? "1";
    const round = url.searchParams.get("round") ?? "0";
    const start = Date.now();
    const cpu0 = process.cpuUsage();
    const t0 = performance.now();
    for (let i = 0; i < Number(n); i++) uwsgi.spool({ job: "bench", i: String(i), n, round });
    const ms = performance.now() - t0;
    const cpu = process.cpuUsage(cpu0);
    res.writeHead(200, { "content-type": "application/json" });
    res.end(JSON.stringify({ start, ms, cpuMs: (cpu.user + cpu.system) / 1000 }));
    return;
  }
  res.writeHead(200);
  res.end("ok");
}
