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
import { writeFileSync, mkdirSync } from "node:fs";
import { connect } from "node:net";
import { join } from "node:path";
import { freePort, launch, launchUwsgiNode, stop, waitFor } from "./lib/processes.mjs";

const here = import.meta.dirname;
const roundsAt = process.argv.indexOf("--rounds");
const rounds = roundsAt > 0 ? Number(process.argv[roundsAt + 1]) || 3 : 3;
const FREQ = 1;
const TOLERANCE = 3;

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
  return kind === "uwsgi"
    ? launch(`uwsgi-${valor}`, "uwsgi", ["--plugin", "python3", "--master", "--die-on-term", "--processes", "1", "--http-socket", `127.0.0.1:${httpPort}`, "--wsgi-file", join(here, "http-hello-app.py"), "--stats", `127.0.0.1:${statsPort}`, ...legion])
    : launchUwsgiNode(`uwsgi-node-${valor}`, ["--http", `127.0.0.1:${httpPort}`, "--processes", "1", "--disable-logging", "--stats", `127.0.0.1:${statsPort}`, ...legion, join(here, "http-hello-app.mjs")]);
}

async function failover(kind) {
  const udp = [await freePort({ udp: true }), await freePort({ udp: true }), await freePort({ udp: true })];
  const st = [await freePort(), await freePort(), await freePort()];
  const http = [await freePort(), await freePort(), await freePort()];
  const nodes = [30, 20, 10].map((v, i) => startNode(kind, udp[i], udp.filter((_, j) => j !== i), st[i], http[i], v));
  try {
    await waitFor(async () => {
      const ls = await Promise.all(st.map(stats));
      return ls.every((l) => l && l.lord_valor === 30 && l.members.length === 2) && ls[0].i_am_the_lord > 0;
    }, `${kind}: a Lord elected`, { ms: 30_000, every: 50 });
    const killed = stop(nodes[0], { signal: "SIGKILL" }); // the signal is sent before stop() first waits
    const t0 = Date.now();
    await killed;
    const done = await waitFor(async () => {
      const ls = await Promise.all(st.slice(1).map(stats));
      return ls.every((l) => l && l.lord_valor === 20) && ls[0].i_am_the_lord > 0 ? Date.now() : null;
    }, `${kind}: a new Lord after the old one's death`, { proc: nodes[1], ms: 30_000, every: 50 });
    return (done - t0) / 1000;
  } finally {
    await Promise.all(nodes.map((n) => stop(n, { signal: "SIGKILL" })));
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
