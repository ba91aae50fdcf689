#!/usr/bin/env node
// Hello-world throughput, side by side in one run: uwsgi-node (with and without the app loading
// the uwsgi module) vs bare node:cluster (shared accept) vs real uWSGI (python3 plugin), each
// with the same number of worker processes, over HTTP with and without client keep-alive, and
// behind nginx (uwsgi protocol for uwsgi-node and uWSGI, proxy_pass for node:cluster). Prints a
// table with ratios to node:cluster.
//
//   npm run build && node bench/http-hello.bench.mjs [--duration 5] [--warmup 1] [--connections 64]
//                                               [--workers 2] [--only node-cluster,uwsgi-node,uwsgi-node-module,uwsgi-node-logging,uwsgi-node-protocol,uwsgi]
//                                               [--modes http-keepalive,http-close,nginx]
//                                               [--rounds 3] [--out FILE (default bench/results/http-hello.md)]
//
// Load generator: wrk if installed (apt-get install -y wrk), else bench/http-load-client.mjs.
// Every server is started on a free loopback port and stopped (by pid) before the next one.
import { spawn, spawnSync } from "node:child_process";
import { existsSync, mkdirSync, mkdtempSync, writeFileSync } from "node:fs";
import net from "node:net";
import { cpus, loadavg } from "node:os";
import { dirname, join } from "node:path";
import { parseArgs } from "node:util";
import { CLI, freePort, launch, launchUwsgiNode, stop, track, waitFor, workDir } from "./lib/processes.mjs";

const here = new URL(".", import.meta.url).pathname;
const root = join(here, "..");
const QUICK = process.env.BENCH_QUICK === "1";
const { values: opts } = parseArgs({
  options: {
    // BENCH_QUICK=1 (bench/run.mjs): one short round, to check that everything runs
    duration: { type: "string", default: QUICK ? "1" : "2" }, // seconds per measurement (whole seconds with wrk)
    warmup: { type: "string", default: QUICK ? "0" : "1" },
    connections: { type: "string", default: "64" },
    workers: { type: "string", default: "2" },
    only: { type: "string" },
    modes: { type: "string" }, // http-keepalive,http-close,nginx (default: all)
    rounds: { type: "string", default: QUICK ? "1" : "7" }, // measure every case this many times, report the median
    out: { type: "string", default: join(here, "results", "http-hello.md") }, // the report (markdown)
  },
});
const DURATION = Number(opts.duration);
const WARMUP = Number(opts.warmup);
const CONNECTIONS = Number(opts.connections);
const WORKERS = String(Number(opts.workers));
const ROUNDS = Math.max(1, Number(opts.rounds));
const ONLY = opts.only ? new Set(opts.only.split(",")) : null;
const work = workDir();

const which = (cmd) => spawnSync("sh", ["-c", `command -v ${cmd}`], { encoding: "utf8" }).stdout.trim() || null;
const WRK = which("wrk");
const UWSGI = which("uwsgi");
const NGINX = existsSync("/usr/sbin/nginx") ? "/usr/sbin/nginx" : which("nginx");
const PROTOCOL_LAYER = [join(root, "dist", "server", "uwsgi-protocol", "uwsgi-protocol-server.js"), join(root, "build", "src", "server", "uwsgi-protocol", "uwsgi-protocol-server.js")].find((p) => existsSync(p)) ?? null;

// --- readiness probes ---------------------------------------------------------------------------

function rawExchange(port, bytes) {
  return new Promise((resolve) => {
    const s = net.connect(port, "127.0.0.1", () => s.write(bytes));
    const chunks = [];
    s.setTimeout(2000, () => s.destroy());
    s.on("data", (c) => {
      chunks.push(c);
      if (Buffer.concat(chunks).includes("Hello World\n")) s.destroy();
    });
    s.on("error", () => {});
    s.on("close", () => resolve(Buffer.concat(chunks).toString("latin1")));
  });
}

function uwsgiPacket(vars) {
  const parts = [];
  for (const [k, v] of Object.entries(vars)) {
    for (const s of [k, v]) {
      const b = Buffer.from(s);
      const len = Buffer.alloc(2);
      len.writeUInt16LE(b.length);
      parts.push(len, b);
    }
  }
  const body = Buffer.concat(parts);
  const head = Buffer.from([0, body.length & 0xff, body.length >> 8, 0]);
  return Buffer.concat([head, body]);
}

const HTTP_PROBE = Buffer.from("GET / HTTP/1.1\r\nHost: bench\r\nConnection: close\r\n\r\n");
const UWSGI_PROBE = uwsgiPacket({ REQUEST_METHOD: "GET", REQUEST_URI: "/", PATH_INFO: "/", SERVER_PROTOCOL: "HTTP/1.1", HTTP_HOST: "bench" });

async function waitReady(port, proto, proc, what) {
  await waitFor(async () => {
    const reply = await rawExchange(port, proto === "uwsgi" ? UWSGI_PROBE : HTTP_PROBE);
    return /^HTTP\/1\.[01] 200/.test(reply) && reply.endsWith("Hello World\n");
  }, `${what} answering on 127.0.0.1:${port}`, { proc });
}

// --- servers -------------------------------------------------------------------------------------

/** uwsgi-node's CLI serving `app` (a file of bench/). */
function uwsgiNodeBackend(id, label, app, extra = ["--disable-logging"]) {
  return {
    id,
    label,
    available: () => (CLI ? true : "not built (no dist/cli.js or build/src/cli.js)"),
    start: (port, proto) =>
      launchUwsgiNode(`${id}-${proto}`, [
        proto === "uwsgi" ? "--socket" : "--http-socket",
        `127.0.0.1:${port}`,
        "--processes",
        WORKERS,
        "--module",
        join(here, app),
        ...extra,
        "--listen",
        "1024",
      ]),
  };
}

/** Each backend: how to start it speaking `proto` on `port`. */
const BACKENDS = [
  {
    id: "node-cluster",
    label: "node:cluster (SCHED_NONE)",
    available: () => true,
    start: (port, proto) =>
      launch(`node-cluster-${proto}`, process.execPath, [join(here, "http-hello-cluster.mjs"), "--port", String(port), "--workers", WORKERS, "--proto", proto]),
  },
  uwsgiNodeBackend("uwsgi-node", "uwsgi-node", "http-hello-app.mjs"),
  uwsgiNodeBackend("uwsgi-node-module", "uwsgi-node, app loads the uwsgi module", "http-hello-module-app.mjs"),
  // uWSGI's default request line on, appended by the workers to a log file
  uwsgiNodeBackend("uwsgi-node-logging", "uwsgi-node, request logging on (--logto FILE)", "http-hello-app.mjs", ["--logto", join(work, "requests.log")]),
  {
    id: "uwsgi-node-protocol",
    label: "uwsgi-node protocol layer alone on node:cluster",
    available: () => (PROTOCOL_LAYER ? true : "not built"),
    protos: ["uwsgi"],
    start: (port, proto) =>
      launch(`protocol-layer-${proto}`, process.execPath, [join(here, "http-hello-cluster.mjs"), "--port", String(port), "--workers", WORKERS, "--proto", proto]),
  },
  {
    id: "uwsgi",
    label: "uWSGI 2.0 (python3)",
    available: () => (UWSGI ? true : "uwsgi not installed (apt-get install -y uwsgi uwsgi-plugin-python3)"),
    start: (port, proto, keepAlive) =>
      launch(`uwsgi-${proto}`, UWSGI, [
        "--plugin",
        "python3",
        "--master",
        "--processes",
        WORKERS,
        // --http11-socket keeps connections alive (and ignores Connection: close); --http-socket closes after each response
        proto === "uwsgi" ? "--socket" : keepAlive ? "--http11-socket" : "--http-socket",
        `127.0.0.1:${port}`,
        "--wsgi-file",
        join(here, "http-hello-app.py"),
        "--disable-logging",
        "--listen",
        "1024",
      ]),
  },
];

function nginxConfig(dir, port, backendPort, proto) {
  const pass =
    proto === "uwsgi"
      ? `include ${existsSync("/etc/nginx/uwsgi_params") ? "/etc/nginx/uwsgi_params" : join(here, "http-uwsgi-params")}; uwsgi_pass 127.0.0.1:${backendPort};`
      : `proxy_pass http://127.0.0.1:${backendPort}; proxy_http_version 1.0;`;
  return `daemon off; master_process off; worker_processes 1; pid ${dir}/nginx.pid; error_log ${dir}/error.log error;
events { worker_connections 4096; }
http {
  access_log off; keepalive_requests 1000000;
  client_body_temp_path ${dir}/cb; proxy_temp_path ${dir}/px; fastcgi_temp_path ${dir}/fc; uwsgi_temp_path ${dir}/uw; scgi_temp_path ${dir}/sc;
  server { listen 127.0.0.1:${port} backlog=1024; location / { ${pass} } }
}
`;
}

// --- load generation ----------------------------------------------------------------------------

async function load(port, keepAlive, seconds) {
  const url = `http://127.0.0.1:${port}/`;
  if (WRK) {
    const args = ["-t", "2", "-c", String(CONNECTIONS), "-d", `${Math.max(1, Math.round(seconds))}s`, ...(keepAlive ? [] : ["-H", "Connection: close"]), url];
    const out = await run(WRK, args);
    const rps = Number(/Requests\/sec:\s+([\d.]+)/.exec(out)?.[1] ?? NaN);
    const non2xx = Number(/Non-2xx or 3xx responses:\s+(\d+)/.exec(out)?.[1] ?? 0);
    const sock = /Socket errors: connect (\d+), read (\d+), write (\d+), timeout (\d+)/.exec(out);
    const errors = sock ? sock.slice(1).reduce((a, b) => a + Number(b), 0) : 0;
    return { rps, errors: errors + non2xx };
  }
  const out = await run(process.execPath, [join(here, "http-load-client.mjs"), "--url", url, "--connections", String(CONNECTIONS), "--duration", String(seconds), "--keepalive", keepAlive ? "1" : "0"]);
  const r = JSON.parse(out.trim().split("\n").pop());
  return { rps: r.requests / r.seconds, errors: r.errors + r.non2xx };
}

function run(cmd, args) {
  return new Promise((resolve, reject) => {
    const child = spawn(cmd, args, { stdio: ["ignore", "pipe", "pipe"] });
    track(child);
    let out = "";
    child.stdout.on("data", (c) => (out += c));
    child.stderr.on("data", (c) => (out += c));
    child.on("exit", (code) => {
      code === 0 ? resolve(out) : reject(new Error(`${cmd} failed (${code}): ${out}`));
    });
  });
}

// --- the run ---------------------------------------------------------------------------------------

const MODES = [
  { id: "http-keepalive", label: "HTTP, keep-alive", proto: "http", keepAlive: true, nginx: false },
  { id: "http-close", label: "HTTP, new connection per request", proto: "http", keepAlive: false, nginx: false },
  { id: "nginx", label: "nginx (client keep-alive) -> backend", proto: "uwsgi", keepAlive: true, nginx: true },
];

/** Starts `backend` (and its nginx front in the nginx mode); resolves once it answers. */
async function startCase(mode, backend) {
  // node:cluster has no uwsgi protocol: behind nginx it is reached with proxy_pass (HTTP)
  const proto = mode.nginx && backend.id === "node-cluster" ? "http" : mode.proto;
  const backendPort = await freePort();
  const procs = [backend.start(backendPort, proto, mode.keepAlive)];
  try {
    await waitReady(backendPort, proto, procs[0], backend.label);
    let port = backendPort;
    if (mode.nginx) {
      const dir = mkdtempSync(join(work, "nginx-"));
      port = await freePort();
      writeFileSync(join(dir, "nginx.conf"), nginxConfig(dir, port, backendPort, proto));
      procs.unshift(launch("nginx", NGINX, ["-p", dir, "-c", join(dir, "nginx.conf")]));
      await waitReady(port, "http", procs[0], "nginx");
    }
    return { port, procs };
  } catch (err) {
    await stopCase({ procs });
    throw err;
  }
}

async function stopCase({ procs }) {
  for (const proc of procs) await stop(proc, { signal: proc.child.spawnfile.endsWith("nginx") ? "SIGTERM" : "SIGINT" });
}

const version = (cmd, args) => {
  if (!cmd) return "missing";
  const r = spawnSync(cmd, args, { encoding: "utf8" });
  return (r.stdout + r.stderr).trim().split("\n")[0];
};

const report = [];
const say = (text) => {
  report.push(text);
  console.log(text);
};
say(`Hello-world req/s, measured ${new Date().toISOString()} by bench/http-hello.bench.mjs`);
say("");
say(`- machine: ${cpus().length} CPUs (${cpus()[0]?.model ?? "?"}), node ${process.version}, load average ${loadavg().map((l) => l.toFixed(1)).join(" ")} at start`);
say(`- uwsgi: ${version(UWSGI, ["--version"])}; nginx: ${version(NGINX, ["-v"])}`);
say(`- load: ${WRK ? `${version(WRK, ["--version"]).split(" [")[0]} -t2 -c${CONNECTIONS}` : `bench/http-load-client.mjs -c${CONNECTIONS} (wrk not installed)`}`);
say(`- ${WORKERS} worker processes per server; every server of a mode started once and warmed up ${WARMUP} s; ${ROUNDS} rounds of ${DURATION} s per server, servers alternating; loopback only`);
say("");

const rows = [];
const loggingCost = [];
const ONLY_MODES = opts.modes ? new Set(opts.modes.split(",")) : null;
for (const mode of MODES) {
  if (ONLY_MODES && !ONLY_MODES.has(mode.id)) continue;
  const cases = [];
  for (const backend of BACKENDS) {
    if (ONLY && !ONLY.has(backend.id)) continue;
    if (backend.protos && !backend.protos.includes(mode.nginx ? mode.proto : "http")) continue;
    const avail = mode.nginx && !NGINX ? "nginx not installed" : backend.available();
    cases.push({ backend, note: avail === true ? null : `n/a: ${avail}`, runs: [] });
  }
  // Every server of the mode is started once and left idle while another is measured; rounds
  // alternate them (in reverse order every other round) with short measurements, so a slow spell
  // of the machine hits all of them, and ratios are taken within a round.
  for (const c of cases) {
    if (c.note) continue;
    try {
      c.running = await startCase(mode, c.backend);
      if (WARMUP > 0) await load(c.running.port, mode.keepAlive, WARMUP);
    } catch (err) {
      c.note = `failed: ${err.message.split("\n")[0]}`;
      process.stderr.write(`${c.backend.label} failed:\n${err.message}\n`);
    }
  }
  for (let round = 0; round < ROUNDS; round++) {
    const order = round % 2 === 0 ? cases : [...cases].reverse();
    for (const c of order) {
      if (c.note) continue;
      try {
        c.runs[round] = await load(c.running.port, mode.keepAlive, DURATION);
      } catch (err) {
        c.note = `failed: ${err.message.split("\n")[0]}`;
        process.stderr.write(`${c.backend.label} failed:\n${err.message}\n`);
      }
    }
  }
  for (const c of cases) if (c.running) await stopCase(c.running);
  // the cost of uWSGI's default request line: logging on over --disable-logging, within each round
  const quiet = cases.find((c) => c.backend.id === "uwsgi-node" && !c.note);
  const logging = cases.find((c) => c.backend.id === "uwsgi-node-logging" && !c.note);
  if (quiet && logging) {
    const ratios = [];
    for (let i = 0; i < ROUNDS; i++) if (quiet.runs[i]?.rps && logging.runs[i]?.rps) ratios.push(logging.runs[i].rps / quiet.runs[i].rps);
    ratios.sort((a, b) => a - b);
    if (ratios.length) loggingCost.push({ mode: mode.label, ratio: ratios[Math.floor((ratios.length - 1) / 2)], range: `${ratios[0].toFixed(2)}-${ratios[ratios.length - 1].toFixed(2)}` });
  }
  const median = (values) => values[Math.floor((values.length - 1) / 2)];
  const baseline = cases.find((c) => c.backend.id === "node-cluster" && !c.note) ?? null;
  for (const c of cases) {
    const runs = c.runs.filter(Boolean);
    const rates = runs.map((r) => r.rps).sort((a, b) => a - b);
    const rps = c.note ? null : median(rates);
    const ratios = [];
    for (let i = 0; i < ROUNDS; i++) if (!c.note && baseline && c.runs[i] && baseline.runs[i]?.rps) ratios.push(c.runs[i].rps / baseline.runs[i].rps);
    ratios.sort((a, b) => a - b);
    const row = {
      mode: mode.label,
      server: mode.nginx && c.backend.id === "node-cluster" ? `${c.backend.label} via proxy_pass` : mode.nginx ? `${c.backend.label} via uwsgi_pass` : c.backend.label,
      rps,
      spread: rates.length > 1 ? `${Math.round(rates[0])}-${Math.round(rates[rates.length - 1])}` : "",
      ratio: ratios.length ? median(ratios) : null,
      ratioSpread: ratios.length > 1 ? `${ratios[0].toFixed(2)}-${ratios[ratios.length - 1].toFixed(2)}` : "",
      errors: runs.reduce((n, r) => n + (r.errors ?? 0), 0),
      note: c.note ?? "",
    };
    rows.push(row);
    process.stderr.write(`  measured: ${row.mode} | ${row.server}: ${row.rps ? Math.round(row.rps) + " req/s" : row.note}\n`);
  }
}

const header = [
  "mode",
  "server",
  ROUNDS > 1 ? `req/s (median of ${ROUNDS})` : "req/s",
  ...(ROUNDS > 1 ? ["range"] : []),
  ROUNDS > 1 ? "vs node:cluster (median of in-round ratios)" : "vs node:cluster",
  ...(ROUNDS > 1 ? ["ratio range"] : []),
  "errors",
];
const table = rows.map((r) => [
  r.mode,
  r.server,
  r.rps ? Math.round(r.rps).toString() : r.note,
  ...(ROUNDS > 1 ? [r.spread] : []),
  r.ratio ? r.ratio.toFixed(2) : "",
  ...(ROUNDS > 1 ? [r.ratioSpread] : []),
  r.rps ? String(r.errors ?? 0) : "",
]);
const widths = header.map((h, i) => Math.max(h.length, ...table.map((t) => t[i].length)));
const line = (cells) => "| " + cells.map((c, i) => c.padEnd(widths[i])).join(" | ") + " |";
say(line(header));
say("|" + widths.map((w) => "-".repeat(w + 2)).join("|") + "|");
for (const t of table) say(line(t));
if (loggingCost.length) {
  say("");
  say("Request logging cost: uwsgi-node with uWSGI's default request line (`--logto FILE`) over the same server with `--disable-logging`, req/s, same run (goal: 0.95 or more)");
  say("");
  say("| mode | logging on / --disable-logging (median of in-round ratios) | ratio range |");
  say("|---|---|---|");
  for (const l of loggingCost) say(`| ${l.mode} | ${l.ratio.toFixed(2)} | ${l.range} |`);
}
say("");
say(`load average ${loadavg().map((l) => l.toFixed(1)).join(" ")} at the end (other work on the machine skews the numbers; see the ranges)`);
mkdirSync(dirname(opts.out), { recursive: true });
writeFileSync(opts.out, report.join("\n") + "\n");
