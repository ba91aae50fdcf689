// uwsgi-node app for bench/signal-latency.bench.mjs. Signal 17 is registered for mule 1, whose
// handler prints `SIGLAT <n> <unix µs>` (n: its n-th run); GET /?n=N in the worker raises 17 N
// times, one every 2 ms, printing `RAISE <n> <unix µs>` (taken just before the n-th uwsgi.signal)
// for each, then answers "ok".
import { existsSync } from "node:fs";
import { setTimeout as sleep } from "node:timers/promises";

const root = new URL("..", import.meta.url).pathname;
const entry = [`${root}dist/index.js`, `${root}build/src/index.js`].find((p) => existsSync(p));
if (!entry) throw new Error("uwsgi-node is not built: run npm run build");
const { uwsgi } = await import(entry);

const micros = () => Math.round((performance.timeOrigin + performance.now()) * 1000);

// numbered in both processes (the n-th raise is the n-th handler run), so a log line lost or
// mangled on its way through the master's log cannot shift the pairing
let handled = 0;
uwsgi.register_signal(17, "mule1", () => {
  process.stdout.write(`SIGLAT ${++handled} ${micros()}\n`);
});
let raises = 0;

export default async function app(req, res) {
  const n = Number(new URL(req.url, "http://x").searchParams.get("n"));
  const raised = [];
  for (let i = 0; i < n; i++) {
    const t = micros();
    await uwsgi.signal(17);
    raised.push(`RAISE ${++raises} ${t}\n`);
    await sleep(2);
  }
  process.stdout.write(raised.join(""));
  res.end("ok");
}
