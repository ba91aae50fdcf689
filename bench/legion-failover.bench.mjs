#!/usr/bin/env node
// Legion failover time: three nodes in one UDP legion on loopback (valors 30, 20, 10,
// --legion-freq 1, --legion-tolerance 3); the Lord (30) is SIGKILLed and we time how long until
// both survivors agree that valor 20 is Lord and it says so itself (read from each node's stats
// server every 50 ms). Once with three real uWSGI 2.0.21 nodes, once with three uwsgi-node nodes,
// interleaved over rounds; the ratio is uWSGI's time over ours (> 1: we fail over faster).
//
//   node bench/legion-failover.bench.mjs [--rounds 3]
//
// Writes bench/results/legion-failover.md. Bounded: each failover gives up after 30 s.
import { spawn } from "node:child_process";
import { createSocket } from "node:dgram";
import { writeFileSync, mkdirSync } from "node:fs";
import { createServer, connect } from "node:net";
import { join } from "node:path";
import { ROOT_OPT_IN } from "./lib/root-opt-in.mjs";

const here = import.meta.dirname;
const root = join(here, "..");
const roundsAt = process.argv.indexOf("--rounds");
const rounds = roundsAt > 0 ? Number(process.argv[roundsAt + 1]) || 3 : 3;
const FREQ = 1;
const TOLERANCE = 3;

const freePort = (udp) =>
  new Promise((resolve, reject) => {
    if (udp) {
      const s = createSocket("udp4");
      s.once("error", reject);
      s.bind(0, "127.0.0.1", () => {
        const { port } = s.address();
        s.close(() => resolve(port));
      });
    } else {
      const s = createServer();
      s.once("error", reject);
      s.listen(0, "127.0.0.1", () => {
        const { port } = s.address();
        s.close(() => resolve(port));
      });
    }
  });

function stats(port) {
  return new Promise((resolve) => {
    let text = "";
    const s = connect(port, "127.0.0.1");
    s.setTimeout(1000, () => s.destroy());
    s.on("data", (c) => (text += c));
    s.on("error", () => resolve(null));
    s.on("close", () => {
      try {
        resolve(JSON.parse(text.slice(text.indexOf("{"))).legions?.[0] ?? null);
      } catch {
        resolve(null);
      }
    });
  });
}

function startNode(kind, udp, peers, statsPort, httpPort, valor) {
  const legion = ["--legion", `lg 127.0.0.1:${udp} ${valor} aes-128-cbc:bench`, ...peers.flatMap((p) => ["--legion-node", `lg 127.0.0.1:${p}`]), "--legion-freq", String(FREQ), "--legion-tolerance", String(TOLERANCE)];
  const [cmd, args] =
    kind === "uwsgi"
      ? ["uwsgi", ["--plugin", "python3", "--master", "--die-on-term", "--processes", "1", "--http-socket", `127.0.0.1:${httpPort}`, "--wsgi-file", join(here, "http-hello-app.py"), "--stats", `127.0.0.1:${statsPort}`, ...legion]]
      : [process.execPath, [join(root, "dist", "cli.js"), ...ROOT_OPT_IN, "--http", `127.0.0.1:${httpPort}`, "--processes", "1", "--disable-logging", "--stats", `127.0.0.1:${statsPort}`, ...legion, join(here, "http-hello-app.mjs")]];
  return spawn(cmd, args, { stdio: "ignore", detached: true });
}

function killGroup(child) {
  try {
    process.kill(-child.pid, "SIGKILL");
  } catch {
    // already gone
  }
}

async function until(fn, ms) {
  const deadline = Date.now() + ms;
  while (Date.now() < deadline) {
    const v = await fn();
    if (v) return v;
    await new Promise((r) => setTimeout(r, 50));
  }
  return null;
}

async function failover(kind) {
  const udp = [await freePort(true), await freePort(true), await freePort(true)];
  const st = [await freePort(false), await freePort(false), await freePort(false)];
  const http = [await freePort(false), await freePort(false), await freePort(false)];
  const nodes = [30, 20, 10].map((v, i) => startNode(kind, udp[i], udp.filter((_, j) => j !== i), st[i], http[i], v));
  try {
    const elected = await until(async () => {
      const ls = await Promise.all(st.map(stats));
      return ls.every((l) => l && l.lord_valor === 30 && l.members.length === 2) && ls[0].i_am_the_lord > 0;
    }, 30_000);
    if (!elected) throw new Error(`${kind}: no Lord elected within 30 s`);
    killGroup(nodes[0]);
    const t0 = Date.now();
    const done = await until(async () => {
      const ls = await Promise.all(st.slice(1).map(stats));
      return ls.every((l) => l && l.lord_valor === 20) && ls[0].i_am_the_lord > 0 ? Date.now() : null;
    }, 30_000);
    if (!done) throw new Error(`${kind}: no new Lord within 30 s of the old one's death`);
    return (done - t0) / 1000;
  } finally {
    for (const n of nodes) killGroup(n);
  }
}

const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];
const times = { uwsgi: [], node: [] };
for (let r = 0; r < rounds; r++) {
  for (const kind of r % 2 === 0 ? ["uwsgi", "node"] : ["node", "uwsgi"]) {
    const s = await failover(kind);
    times[kind].push(s);
    console.log(`round ${r + 1}: ${kind === "node" ? "uwsgi-node" : "uWSGI"} failover ${s.toFixed(2)} s`);
  }
}
const ratios = times.uwsgi.map((u, i) => u / times.node[i]);
const report = [
  `Legion failover: the Lord SIGKILLed until both survivors agree on the next Lord (3 nodes, --legion-freq ${FREQ}, --legion-tolerance ${TOLERANCE}, ${rounds} interleaved rounds).`,
  "",
  "| legion of | failover, median | every round |",
  "|---|---|---|",
  `| uWSGI 2.0.21 | ${median(times.uwsgi).toFixed(2)} s | ${times.uwsgi.map((t) => t.toFixed(2)).join(", ")} |`,
  `| uwsgi-node | ${median(times.node).toFixed(2)} s | ${times.node.map((t) => t.toFixed(2)).join(", ")} |`,
  "",
  `Ratio uWSGI / uwsgi-node: ${median(ratios).toFixed(2)} (${Math.min(...ratios).toFixed(2)}-${Math.max(...ratios).toFixed(2)}); above 1, uwsgi-node fails over faster. Both are bounded by the tolerance plus one announce cycle.`,
].join("\n");
mkdirSync(join(here, "results"), { recursive: true });
writeFileSync(join(here, "results", "legion-failover.md"), `${report}\n`);
console.log(report);
