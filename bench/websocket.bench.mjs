#!/usr/bin/env node
// Websocket echo, side by side in one run: uwsgi-node's websocket API (uwsgi.websocket_recv /
// websocket_send_binary in one worker, --http-socket), real uWSGI's websocket API (Debian uwsgi,
// python3 plugin, --http-socket, one process with one thread per client, since its websocket_recv
// blocks a thread), and a plain `ws` echo server (no uwsgi-node). C clients each send a 64-byte
// message and wait for its echo, over and over; reported: messages/s, p50/p99 round-trip latency,
// and ratios to the plain ws server. The client is this process (`ws`), on loopback.
//
//   npm run build && node bench/websocket.bench.mjs [--clients 16] [--duration 3] [--warmup 1] [--rounds 3] [--size 64]
//                                                  [--out FILE (default bench/results/websocket.md)]
import { spawnSync } from "node:child_process";
import { mkdirSync, writeFileSync } from "node:fs";
import { cpus, loadavg } from "node:os";
import { dirname, join } from "node:path";
import { parseArgs } from "node:util";
import { WebSocket } from "ws";
import { CLI, freePort, launch, launchUwsgiNode, stop, waitFor } from "./lib/processes.mjs";

const here = new URL(".", import.meta.url).pathname;
const { values: opts } = parseArgs({
  options: {
    clients: { type: "string", default: "16" },
    duration: { type: "string", default: "3" },
    warmup: { type: "string", default: "1" },
    rounds: { type: "string", default: "3" },
    size: { type: "string", default: "64" },
    out: { type: "string", default: join(here, "results", "websocket.md") },
  },
});
const CLIENTS = Number(opts.clients);
const DURATION = Number(opts.duration) * 1000;
const WARMUP = Number(opts.warmup) * 1000;
const ROUNDS = Math.max(1, Number(opts.rounds));
const PAYLOAD = Buffer.alloc(Number(opts.size), 0x61);
const which = (cmd) => spawnSync("sh", ["-c", `command -v ${cmd}`], { encoding: "utf8" }).stdout.trim() || null;
const UWSGI = which("uwsgi");
if (!CLI) throw new Error("uwsgi-node is not built: run npm run build");

/** Resolves once the server at `url` accepts a websocket. */
const waitOpen = (url, proc) =>
  waitFor(async () => {
    const ws = await connect(url);
    ws.terminate();
    return true;
  }, `websockets at ${url}`, { proc, ms: 15_000 });
function connect(url) {
  return new Promise((resolve, reject) => {
    const ws = new WebSocket(url, { perMessageDeflate: false });
    ws.once("open", () => resolve(ws));
    ws.once("error", reject);
  });
}

const SERVERS = {
  "ws (plain)": async (port) => {
    const p = launch("ws", process.execPath, [join(here, "websocket-ws-server.mjs"), String(port)]);
    return p;
  },
  "uwsgi-node": async (port) =>
    launchUwsgiNode("uwsgi-node", ["--http-socket", `127.0.0.1:${port}`, "--processes", "1", "--module", join(here, "websocket-app.mjs"), "--disable-logging"]),
  "uWSGI 2.0 (python3)": UWSGI
    ? async (port) =>
        launch("uwsgi", UWSGI, ["--plugin", "python3", "--http-socket", `127.0.0.1:${port}`, "--processes", "1", "--threads", String(CLIENTS), "--wsgi-file", join(here, "websocket-app.py"), "--disable-logging", "--die-on-term", "--master"])
    : null,
};

/** C clients in lock-step echo loops for `ms`; returns messages and latencies (µs). */
async function measure(url, ms) {
  const clients = await Promise.all(Array.from({ length: CLIENTS }, () => connect(url)));
  const lat = [];
  let count = 0;
  const end = performance.now() + ms;
  await Promise.all(
    clients.map(
      (ws) =>
        new Promise((resolve) => {
          let t0 = 0;
          const sendOne = () => {
            if (performance.now() >= end) {
              ws.terminate();
              resolve();
              return;
            }
            t0 = performance.now();
            ws.send(PAYLOAD, { binary: true });
          };
          ws.on("message", () => {
            lat.push((performance.now() - t0) * 1000);
            count++;
            sendOne();
          });
          ws.on("close", () => resolve());
          sendOne();
        }),
    ),
  );
  lat.sort((a, b) => a - b);
  const q = (p) => lat[Math.min(lat.length - 1, Math.floor(p * lat.length))] ?? NaN;
  return { rate: count / (ms / 1000), p50: q(0.5), p99: q(0.99) };
}

const results = new Map();
for (let round = 0; round < ROUNDS; round++) {
  const names = Object.keys(SERVERS).filter((n) => SERVERS[n]);
  if (round % 2) names.reverse();
  for (const name of names) {
    const port = await freePort();
    const proc = await SERVERS[name](port);
    const url = `ws://127.0.0.1:${port}/`;
    try {
      await waitOpen(url, proc);
      await measure(url, WARMUP);
      const r = await measure(url, DURATION);
      (results.get(name) ?? results.set(name, []).get(name)).push(r);
      console.log(`round ${round + 1} ${name}: ${Math.round(r.rate)} msg/s, p50 ${Math.round(r.p50)} µs, p99 ${Math.round(r.p99)} µs`);
    } finally {
      await stop(proc);
    }
  }
}

const median = (xs) => {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.floor(s.length / 2)];
};
// ratios are the median of in-round ratios (servers measured back to back), rates the median of rounds
const baseRuns = results.get("ws (plain)");
const summary = [...results].map(([name, rs]) => ({
  name,
  rate: median(rs.map((r) => r.rate)),
  p50: median(rs.map((r) => r.p50)),
  p99: median(rs.map((r) => r.p99)),
  rateRatio: median(rs.map((r, i) => r.rate / baseRuns[i].rate)),
  p99Ratio: median(rs.map((r, i) => r.p99 / baseRuns[i].p99)),
}));
const rows = summary.map(
  (s) => `| ${s.name} | ${Math.round(s.rate)} | ${s.rateRatio.toFixed(2)} | ${Math.round(s.p50)} | ${Math.round(s.p99)} | ${s.p99Ratio.toFixed(2)} |`,
);
const uwsgiVersion = UWSGI ? spawnSync(UWSGI, ["--version"], { encoding: "utf8" }).stdout.trim() : "not installed";
const report = `# Websocket echo

${CLIENTS} clients on loopback, each sending a ${PAYLOAD.length}-byte binary message and waiting for its echo, for ${DURATION / 1000} s after ${WARMUP / 1000} s of warm-up; median of ${ROUNDS} rounds (servers in alternating order). One server process each: uwsgi-node with one worker (\`--http-socket\`, the app awaits \`uwsgi.websocket_recv()\` / \`websocket_send_binary()\`), uWSGI ${uwsgiVersion} (python3 plugin, \`--http-socket\`, one process with ${CLIENTS} threads: its \`websocket_recv()\` blocks a thread), and a plain \`ws\` echo server. Machine: ${cpus().length} × ${cpus()[0]?.model ?? "?"}, load average ${loadavg().map((l) => l.toFixed(1)).join(" ")} at the end, Node ${process.version}; the client runs in the benchmark's own process. Ratios are medians of the ratios within each round.

| server | messages/s | ratio to ws | p50 µs | p99 µs | p99 ratio to ws |
|---|---|---|---|---|---|
${rows.join("\n")}

Run: \`npm run build && node bench/websocket.bench.mjs\`.
`;
mkdirSync(dirname(opts.out), { recursive: true });
writeFileSync(opts.out, report);
console.log(`\n${report}`);
