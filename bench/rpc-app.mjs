// uwsgi-node app for bench/rpc.bench.mjs. Registers `echo` (in the worker, and `echo_mule` in
// mule 1 when there is one). GET /?addr=A&f=F&ms=M calls F("x") with uwsgi.rpc(A, ...) one call
// after the other (A empty: inside this instance) for M ms (at most N calls with &n=N) and
// answers the number of calls.
import { existsSync } from "node:fs";

const root = new URL("..", import.meta.url).pathname;
const entry = [`${root}dist/index.js`, `${root}build/src/index.js`].find((p) => existsSync(p));
if (!entry) throw new Error("uwsgi-node is not built: run npm run build");
const { uwsgi } = await import(entry);

if (uwsgi.worker_id() > 0) uwsgi.register_rpc("echo", (a) => a);
if (uwsgi.mule_id() === 1) uwsgi.register_rpc("echo_mule", (a) => a);
// the mule's pid, for the bench's CPU accounting
if (uwsgi.mule_id() === 1) uwsgi.register_rpc("mule_pid", () => String(process.pid));

export default async function app(req, res) {
  const url = new URL(req.url, "http://x");
  const addr = url.searchParams.get("addr") || null;
  const f = url.searchParams.get("f") ?? "echo";
  const ms = Number(url.searchParams.get("ms") ?? 0);
  if (ms === 0) {
    const mule = await uwsgi.rpc(null, "mule_pid");
    return res.end(JSON.stringify({ calls: 0, bad: 0, pid: process.pid, mule: mule ? Number(mule.toString()) : null }));
  }
  const until = Date.now() + ms;
  const most = Number(url.searchParams.get("n") ?? Infinity);
  let calls = 0;
  let bad = 0;
  while (Date.now() < until && calls < most) {
    const r = await uwsgi.rpc(addr, f, "x");
    if (r === null || r.toString() !== "x") bad++;
    calls++;
  }
  res.end(JSON.stringify({ calls, bad }));
}
