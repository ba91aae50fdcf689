// uwsgi-node side of bench/spooler.bench.mjs: GET /enqueue?n=N spools N tasks from this worker
// through uwsgi.spool(); the spooler callable does nothing but acknowledge (SPOOL_OK).
import { existsSync } from "node:fs";

const root = new URL("..", import.meta.url).pathname;
const entry = [`${root}dist/index.js`, `${root}build/src/index.js`].find((p) => existsSync(p));
if (!entry) throw new Error("uwsgi-node is not built: run npm run build");
const { uwsgi } = await import(entry);

uwsgi.spooler = () => uwsgi.SPOOL_OK;

export default function app(req, res) {
  const url = new URL(req.url, "http://x");
  if (url.pathname === "/enqueue") {
    const n = Number(url.searchParams.get("n") ?? "1");
    const t0 = performance.now();
    for (let i = 0; i < n; i++) uwsgi.spool({ job: "bench", i: String(i) });
    const ms = performance.now() - t0;
    res.writeHead(200, { "content-type": "application/json" });
    res.end(JSON.stringify({ ms }));
    return;
  }
  res.writeHead(200);
  res.end("ok");
}
