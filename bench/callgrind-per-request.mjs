#!/usr/bin/env node
// Instructions per request of ONE server worker, counted by callgrind (repeatable on a loaded
// machine, where wall-clock rates are not). Not a benchmark run by `npm run bench`: a tool for
// comparing the CPU cost of two code versions or two servers (bench/README.md, "CPU cost").
//
//   npm run build && node bench/callgrind-per-request.mjs --server uwsgi-node --mode nginx
//   node bench/callgrind-per-request.mjs --server node-cluster --mode nginx --requests 2000
//   node bench/callgrind-per-request.mjs --server uwsgi-node-logging --mode http-close
//
// --server: node-cluster | uwsgi-node | uwsgi-node-logging | uwsgi-node-module | protocol-layer
// --mode:   nginx (wrk keep-alive to nginx; uwsgi_pass, proxy_pass for node-cluster)
//           http-close (wrk with Connection: close) | http-keepalive
// The server runs with one worker under `valgrind --tool=callgrind --trace-children=yes
// --instr-atstart=no`; after a warm-up, instrumentation is switched on in the worker only
// (`callgrind_control -i on PID`), the counters read before and after a wrk run, less what the
// worker spends idle for as long, and the
// difference divided by the requests wrk completed. Prints one JSON line.
import { spawnSync } from "node:child_process";
import { existsSync, readdirSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { parseArgs } from "node:util";
import { CLI, freePort, launch, waitFor, workDir } from "./lib/processes.mjs";
import { ROOT_OPT_IN } from "./lib/root-opt-in.mjs";
import { allProcStats } from "./lib/process-cpu.mjs";

const here = import.meta.dirname;
const { values: opts } = parseArgs({
  options: {
    server: { type: "string", default: "uwsgi-node" },
    mode: { type: "string", default: "nginx" },
    requests: { type: "string", default: "1000" }, // measured requests (at least)
    warmup: { type: "string", default: "5000" }, // requests before measuring (V8 optimises the hot path)
    connections: { type: "string", default: "8" },
    node: { type: "string", default: process.execPath },
    // keep the worker's callgrind profile of the measured requests (for callgrind_annotate) in this file
    profile: { type: "string" },
  },
});
if (!CLI) throw new Error("not built: npm run build");
const work = workDir();

const mode = opts.mode;
const proto = mode === "nginx" && opts.server !== "node-cluster" ? "uwsgi" : "http";
const backendPort = await freePort();
const valgrind = ["--tool=callgrind", "--trace-children=yes", "--instr-atstart=no", "--smc-check=all-non-file", `--callgrind-out-file=${work}/callgrind.%p`];
const node = opts.node;
let serverArgs;
switch (opts.server) {
  case "node-cluster":
  case "protocol-layer":
    serverArgs = [join(here, "http-hello-cluster.mjs"), "--port", String(backendPort), "--workers", "1", "--proto", proto];
    break;
  case "minimal":
    serverArgs = [process.env.MINIMAL_RESPONDER, "--port", String(backendPort)];
    break;
  case "uwsgi-node":
  case "uwsgi-node-logging":
  case "uwsgi-node-module":
    serverArgs = [
      CLI,
      ...ROOT_OPT_IN,
      proto === "uwsgi" ? "--socket" : "--http-socket",
      `127.0.0.1:${backendPort}`,
      "--processes",
      "1",
      "--module",
      join(here, opts.server === "uwsgi-node-module" ? "http-hello-module-app.mjs" : "http-hello-app.mjs"),
      ...(opts.server === "uwsgi-node-logging" ? ["--logto", join(work, "requests.log")] : ["--disable-logging"]),
      "--listen",
      "1024",
    ];
    break;
  default:
    throw new Error(`unknown --server ${opts.server}`);
}
if (opts.server === "protocol-layer" && proto !== "uwsgi") throw new Error("protocol-layer needs --mode nginx");
// with --profile, V8 writes /tmp/perf-PID.map (JIT code addresses -> JS function names)
const env = opts.profile ? { NODE_OPTIONS: `${process.env.NODE_OPTIONS ?? ""} --perf-basic-prof`.trim() } : undefined;
const server = launch("server", "valgrind", [...valgrind, node, ...serverArgs], { env });

let port = backendPort;
if (mode === "nginx") {
  port = await freePort();
  const pass =
    proto === "uwsgi"
      ? `include ${existsSync("/etc/nginx/uwsgi_params") ? "/etc/nginx/uwsgi_params" : join(here, "http-uwsgi-params")}; uwsgi_pass 127.0.0.1:${backendPort};`
      : `proxy_pass http://127.0.0.1:${backendPort}; proxy_http_version 1.0;`;
  writeFileSync(
    join(work, "nginx.conf"),
    `daemon off; master_process off; worker_processes 1; pid ${work}/nginx.pid; error_log ${work}/error.log error;
events { worker_connections 4096; }
http { access_log off; keepalive_requests 1000000;
  client_body_temp_path ${work}/cb; proxy_temp_path ${work}/px; fastcgi_temp_path ${work}/fc; uwsgi_temp_path ${work}/uw; scgi_temp_path ${work}/sc;
  server { listen 127.0.0.1:${port} backlog=1024; location / { ${pass} } } }
`,
  );
  launch("nginx", "/usr/sbin/nginx", ["-p", work, "-c", join(work, "nginx.conf")]);
}

function wrk(seconds) {
  const r = spawnSync("wrk", ["-t", "1", "-c", opts.connections, "-d", `${seconds}s`, ...(mode === "http-close" ? ["-H", "Connection: close"] : []), `http://127.0.0.1:${port}/`], {
    encoding: "utf8",
  });
  const requests = Number(/(\d+) requests in/.exec(r.stdout)?.[1] ?? NaN);
  const non2xx = Number(/Non-2xx or 3xx responses:\s+(\d+)/.exec(r.stdout)?.[1] ?? 0);
  return { requests, non2xx, out: r.stdout };
}

// wait until it answers (valgrind starts node slowly)
await waitFor(
  () => spawnSync("curl", ["-s", "-m", "5", `http://127.0.0.1:${port}/`], { encoding: "utf8" }).stdout === "Hello World\n",
  "server answering",
  { proc: server, ms: 300_000, every: 500 },
);

/** The pid of the serving worker: the descendant of the server that used the most CPU. */
function workerPid() {
  const procs = allProcStats();
  const descendants = procs.filter((p) => p.ppid === server.pid);
  return descendants.sort((a, b) => b.cpuMs - a.cpuMs)[0]?.pid ?? null;
}

/** Instructions so far: [main thread, all threads] (lines "Th N  1,234" under "Totals:"). */
function instructions(pid) {
  const out = spawnSync("callgrind_control", ["-e", String(pid)], { encoding: "utf8" }).stdout;
  const threads = [...out.matchAll(/^\s*Th\s+(\d+)\s+([\d,]+)/gm)].map((m) => ({ th: Number(m[1]), ir: Number(m[2].replaceAll(",", "")) }));
  if (threads.length === 0) throw new Error(`callgrind_control -e ${pid}: ${out}`);
  return [threads.find((t) => t.th === 1)?.ir ?? 0, threads.reduce((a, t) => a + t.ir, 0)];
}

/** wrk runs of 5 s until `count` requests completed. */
function wrkUntil(count) {
  const total = { requests: 0, non2xx: 0 };
  let empty = 0;
  while (total.requests < count) {
    const r = wrk(5);
    // under valgrind on a loaded machine the first run can time out entirely (code not compiled yet)
    if (!(r.requests > 0) && ++empty <= 5) continue;
    if (!(r.requests > 0)) throw new Error(`wrk failed: ${r.out}`);
    total.requests += r.requests;
    total.non2xx += r.non2xx;
  }
  return total;
}

wrkUntil(Number(opts.warmup));
const pid = workerPid();
if (!pid) throw new Error("no worker process found");
spawnSync("callgrind_control", ["-i", "on", String(pid)]);
const before = instructions(pid);
const t0 = Date.now();
const run = wrkUntil(Number(opts.requests));
const busyMs = Date.now() - t0;
const after = instructions(pid);
// What the worker does without requests (timers, reports to and from the master) costs the same
// per second idle or busy, and under valgrind few requests share each second: the same time idle
// is measured and subtracted.
await new Promise((r) => setTimeout(r, busyMs));
const idle = instructions(pid);
if (opts.profile) {
  spawnSync("callgrind_control", ["--dump=measured", String(pid)]);
  const dumps = readdirSync(work).filter((f) => f.startsWith(`callgrind.${pid}.`)).sort();
  if (dumps.length) writeFileSync(opts.profile, readFileSync(join(work, dumps[dumps.length - 1])));
  process.stderr.write(`profile: ${opts.profile}; JIT names: /tmp/perf-${pid}.map (remove it when done)\n`);
}
const perRequest = (i) => Math.round((after[i] - before[i] - (idle[i] - after[i])) / run.requests);
console.log(
  JSON.stringify({
    server: opts.server,
    mode,
    node: spawnSync(node, ["--version"], { encoding: "utf8" }).stdout.trim(),
    requests: run.requests,
    non2xx: run.non2xx,
    mainThread: perRequest(0),
    allThreads: perRequest(1),
    idlePerSecond: Math.round((idle[0] - after[0]) / (busyMs / 1000)),
  }),
);
process.exit(0);
