// Baseline for bench/http-hello.bench.mjs: bare node:cluster with shared accept (SCHED_NONE: every
// worker accepts on the same listening socket, like uWSGI's workers).
//   node bench/http-hello-cluster.mjs --port P --workers N [--proto http|uwsgi]
// --proto uwsgi serves the uwsgi protocol with uwsgi-node's createUwsgiProtocolServer (from
// dist/ or build/src/): the protocol layer alone, without the rest of the uwsgi-node server.
import cluster from "node:cluster";
import http from "node:http";
import { existsSync } from "node:fs";
import { parseArgs } from "node:util";
import hello from "./http-hello-app.mjs";

const { values } = parseArgs({
  options: { port: { type: "string" }, workers: { type: "string", default: "2" }, proto: { type: "string", default: "http" } },
});
const port = Number(values.port);
cluster.schedulingPolicy = cluster.SCHED_NONE;

if (cluster.isPrimary) {
  for (let i = 0; i < Number(values.workers); i++) cluster.fork();
  const stop = () => {
    for (const w of Object.values(cluster.workers ?? {})) w?.process.kill("SIGKILL");
    process.exit(0);
  };
  process.on("SIGINT", stop);
  process.on("SIGTERM", stop);
} else {
  let server;
  if (values.proto === "uwsgi") {
    const root = new URL("..", import.meta.url).pathname;
    const candidates = [`${root}dist/server/uwsgi-protocol/uwsgi-protocol-server.js`, `${root}build/src/server/uwsgi-protocol/uwsgi-protocol-server.js`];
    const found = candidates.find((p) => existsSync(p));
    if (!found) throw new Error("uwsgi-node is not built: run npm run build");
    const { createUwsgiProtocolServer } = await import(found);
    server = createUwsgiProtocolServer(hello, { bufferSize: 4096 });
  } else {
    server = http.createServer(hello);
  }
  server.listen({ port, host: "127.0.0.1", backlog: 1024 });
}
