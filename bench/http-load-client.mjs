// A small bounded HTTP load client, used by bench/http-hello.bench.mjs when wrk is not installed.
//   node bench/http-load-client.mjs --url http://127.0.0.1:P/ --connections 64 --duration 5 --keepalive 1
// Runs `connections` request loops for `duration` seconds and prints one JSON line:
// { requests, errors, non2xx, seconds }. Loopback only; it stops by itself.
import http from "node:http";
import { parseArgs } from "node:util";

const { values } = parseArgs({
  options: {
    url: { type: "string" },
    connections: { type: "string", default: "64" },
    duration: { type: "string", default: "5" },
    keepalive: { type: "string", default: "1" },
  },
});
const url = new URL(values.url);
if (!["127.0.0.1", "localhost", "[::1]"].includes(url.hostname)) throw new Error("loopback targets only");
const keepAlive = values.keepalive === "1";
const connections = Number(values.connections);
const agent = new http.Agent({ keepAlive, maxSockets: connections });
const headers = keepAlive ? {} : { Connection: "close" };
const deadline = performance.now() + Number(values.duration) * 1000;
let requests = 0;
let errors = 0;
let non2xx = 0;

function once() {
  return new Promise((resolve) => {
    const req = http.get({ host: url.hostname, port: url.port, path: url.pathname, agent, headers }, (res) => {
      if (res.statusCode < 200 || res.statusCode >= 400) non2xx++;
      res.resume();
      res.on("end", () => {
        requests++;
        resolve();
      });
    });
    req.on("error", () => {
      errors++;
      resolve();
    });
  });
}

async function loop() {
  while (performance.now() < deadline) await once();
}

const started = performance.now();
await Promise.all(Array.from({ length: connections }, loop));
const seconds = (performance.now() - started) / 1000;
agent.destroy();
process.stdout.write(JSON.stringify({ requests, errors, non2xx, seconds }) + "\n");
