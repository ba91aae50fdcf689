// uwsgi-node app for bench/mule-msg.bench.mjs. The mule counts messages in mule_msg_hook and
// prints `BENCH_DONE <count> <unix ms>` at every BENCH_N-th one; GET /?n=N&size=S in the worker
// sends N messages of S bytes to mule 1 (waiting a tick whenever mule_msg throws UWSGI_ERR_MULE_QUEUE_FULL)
// and answers the unix ms it started at.
import { existsSync } from "node:fs";

const root = new URL("..", import.meta.url).pathname;
const entry = [`${root}dist/index.js`, `${root}build/src/index.js`].find((p) => existsSync(p));
if (!entry) throw new Error("uwsgi-node is not built: run npm run build");
const { uwsgi } = await import(entry);

const N = Number(process.env.BENCH_N ?? 0);
let count = 0;
uwsgi.mule_msg_hook = () => {
  if (++count === N) {
    process.stdout.write(`BENCH_DONE ${count} ${Date.now()}\n`);
    count = 0;
  }
};

export default async function app(req, res) {
  const url = new URL(req.url, "http://x");
  const n = Number(url.searchParams.get("n"));
  const payload = Buffer.alloc(Number(url.searchParams.get("size")), 0x78);
  const t0 = Date.now();
  for (let sent = 0; sent < n; ) {
    try {
      uwsgi.mule_msg(payload, 1);
      sent++;
    } catch (err) {
      // a full queue (as uWSGI's mule_msg returning false): wait a tick and retry
      if (err.code !== "UWSGI_ERR_MULE_QUEUE_FULL") throw err;
      await new Promise((r) => setImmediate(r));
    }
  }
  res.end(String(t0));
}
