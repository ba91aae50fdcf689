#!/usr/bin/env node
// CPU time per request of the process serving it (user + system, from /proc/PID/stat), for
// several servers in interleaved rounds: on a shared machine, where req/s is noise, the CPU a
// request costs the process serving it is what can be compared. Not a benchmark run by
// `npm run bench`: a tool for comparing code versions and servers (bench/README.md, "CPU cost").
//
//   npm run build && node bench/cpu-per-request.mjs [--mode http-close|http-keepalive|nginx] [--rounds 6] [--duration 3]
//   node bench/cpu-per-request.mjs --cli /other/checkout/dist/cli.js   # another build, same method
//   node bench/cpu-per-request.mjs --mode nginx --servers disable-logging,protocol-layer,node-cluster
//
// --servers (default `logging,disable-logging`), each with one worker and --listen 1024:
//   logging          uwsgi-node serving bench/http-hello-app.mjs with `--logto FILE` (uWSGI's default request line)
//   disable-logging  the same with --disable-logging
//   module           the same serving bench/http-hello-module-app.mjs (the app imports the uwsgi module: request contexts tracked)
//   protocol-layer   createUwsgiProtocolServer alone in a node:cluster worker (bench/http-hello-cluster.mjs; nginx mode)
//   node-cluster     bare node:cluster (http.createServer); in nginx mode behind proxy_pass
//   probe-socket, probe-raw   bench/raw-handle-probe.mjs: a minimal uwsgi responder on a net.Socket / on the raw TCP handle (nginx mode)
// In nginx mode every server gets its own nginx (1 worker process; uwsgi_pass, or proxy_pass for
// node-cluster, a new upstream connection per request) and nginx's CPU per request is printed too.
// Each round runs wrk against every server (order alternating); the serving process's CPU ticks
// before and after give CPU per request. Prints one JSON line: microseconds per request (sum
// over rounds), the system part, and the ratio logging / disable-logging when both ran.
import { spawnSync } from "node:child_process";
import { existsSync, mkdirSync, writeFileSync } from "node:fs";
import { loadavg } from "node:os";
import { join } from "node:path";
import { parseArgs } from "node:util";
import { CLI, freePort, launch, stop, waitFor, workDir } from "./lib/processes.mjs";
import { ROOT_OPT_IN } from "./lib/root-opt-in.mjs";
import { allProcStats, procStat } from "./lib/process-cpu.mjs";

const here = import.meta.dirname;
const { values: opts } = parseArgs({
  options: {
    mode: { type: "string", default: "http-close" },
    rounds: { type: "string", default: "6" },
    duration: { type: "string", default: "3" },
    connections: { type: "string", default: "16" },
    cli: { type: "string", default: CLI ?? join(here, "..", "dist", "cli.js") },
    servers: { type: "string", default: "logging,disable-logging" },
  },
});
if (!existsSync(opts.cli)) throw new Error(`not built: ${opts.cli}`);

const nginx = opts.mode === "nginx";
const UWSGI_ONLY = new Set(["protocol-layer", "probe-socket", "probe-raw"]);

/** The pid of the one worker of the master `masterPid`. */
const workerOf = (masterPid) => allProcStats().find((p) => p.ppid === masterPid)?.pid;

/** Starts server `name` (see --servers); returns the process to measure and the port wrk uses. */
async function startServer(name) {
  if (UWSGI_ONLY.has(name) && !nginx) throw new Error(`${name} speaks the uwsgi protocol: use --mode nginx`);
  const backend = await freePort();
  const proto = nginx && name !== "node-cluster" ? "uwsgi" : "http";
  let server;
  let single = false; // the server is one process (else: the one worker of its master)
  switch (name) {
    case "logging":
    case "disable-logging":
    case "module":
      // launched as launchUwsgiNode does, but with --cli (another build can be measured the same way)
      server = launch(name, process.execPath, [opts.cli, ...ROOT_OPT_IN, proto === "uwsgi" ? "--socket" : "--http-socket", `127.0.0.1:${backend}`, "--master", "--processes", "1", "--listen", "1024", "--module", join(here, name === "module" ? "http-hello-module-app.mjs" : "http-hello-app.mjs"), ...(name === "logging" ? ["--logto", join(workDir(), "requests.log")] : ["--disable-logging"])]);
      break;
    case "protocol-layer":
    case "node-cluster":
      server = launch(name, process.execPath, [join(here, "http-hello-cluster.mjs"), "--port", String(backend), "--workers", "1", "--proto", proto]);
      break;
    case "probe-socket":
    case "probe-raw":
      single = true;
      server = launch(name, process.execPath, [join(here, "raw-handle-probe.mjs"), "--port", String(backend), "--handle", name === "probe-raw" ? "raw" : "socket"]);
      break;
    default:
      throw new Error(`unknown server ${name} (--servers)`);
  }
  let port = backend;
  let nginxPid = null;
  if (nginx) {
    port = await freePort();
    const dir = join(workDir(), `nginx-${name}`);
    mkdirSync(dir, { recursive: true });
    const params = existsSync("/etc/nginx/uwsgi_params") ? "/etc/nginx/uwsgi_params" : join(here, "http-uwsgi-params");
    const pass = proto === "uwsgi" ? `include ${params}; uwsgi_pass 127.0.0.1:${backend};` : `proxy_pass http://127.0.0.1:${backend};`;
    writeFileSync(
      join(dir, "nginx.conf"),
      `daemon off; master_process off; worker_processes 1; pid ${dir}/nginx.pid; error_log ${dir}/error.log error;
events { worker_connections 4096; }
http { access_log off; client_body_temp_path ${dir}/cb; proxy_temp_path ${dir}/px; fastcgi_temp_path ${dir}/fc; uwsgi_temp_path ${dir}/uw; scgi_temp_path ${dir}/sc;
  server { listen 127.0.0.1:${port} backlog=1024; location / { ${pass} } } }
`,
    );
    nginxPid = launch(`nginx-${name}`, "/usr/sbin/nginx", ["-p", dir, "-c", join(dir, "nginx.conf")]).pid;
  }
  await waitFor(() => spawnSync("curl", ["-s", "-m", "5", `http://127.0.0.1:${port}/`], { encoding: "utf8" }).stdout === "Hello World\n", `${name} answering`, { proc: server, ms: 60_000, every: 500 });
  const worker = single ? server.pid : await waitFor(() => workerOf(server.pid), `${name}'s worker`, { proc: server });
  return { name, port, worker, nginxPid, proc: server, cpuUs: 0, sysUs: 0, nginxUs: 0, requests: 0 };
}


/** CPU milliseconds of `pid` so far: [user + system, system]. */
function cpuOf(pid) {
  const s = procStat(pid);
  if (!s) throw new Error(`process ${pid} is gone`);
  return [s.cpuMs, s.sysMs];
}

function run(server, seconds) {
  const before = cpuOf(server.worker);
  const nginxBefore = server.nginxPid ? cpuOf(server.nginxPid)[0] : 0;
  const r = spawnSync("wrk", ["-t", "1", "-c", opts.connections, "-d", `${seconds}s`, ...(opts.mode === "http-close" ? ["-H", "Connection: close"] : []), `http://127.0.0.1:${server.port}/`], { encoding: "utf8" });
  const after = cpuOf(server.worker);
  const nginxAfter = server.nginxPid ? cpuOf(server.nginxPid)[0] : 0;
  const requests = Number(/(\d+) requests in/.exec(r.stdout)?.[1] ?? 0);
  return { cpuUs: (after[0] - before[0]) * 1000, sysUs: (after[1] - before[1]) * 1000, nginxUs: (nginxAfter - nginxBefore) * 1000, requests };
}

const servers = [];
for (const name of opts.servers.split(",")) servers.push(await startServer(name));
for (const s of servers) run(s, 2); // warm-up
const load = loadavg()[0];
for (let round = 0; round < Number(opts.rounds); round++) {
  for (const s of round % 2 ? [...servers].reverse() : servers) {
    const r = run(s, Number(opts.duration));
    s.cpuUs += r.cpuUs;
    s.sysUs += r.sysUs;
    s.nginxUs += r.nginxUs;
    s.requests += r.requests;
  }
}
const us = (total, s) => Number((total / s.requests).toFixed(1));
const per = Object.fromEntries(
  servers.map((s) => [s.name, { usPerRequest: us(s.cpuUs, s), sysUsPerRequest: us(s.sysUs, s), ...(nginx ? { nginxUsPerRequest: us(s.nginxUs, s) } : {}), requests: s.requests }]),
);
console.log(
  JSON.stringify({
    mode: opts.mode,
    cli: opts.cli,
    ...per,
    ...(per.logging && per["disable-logging"] ? { ratio: Number((per.logging.usPerRequest / per["disable-logging"].usPerRequest).toFixed(3)) } : {}),
    loadavg: [load, loadavg()[0]].map((l) => l.toFixed(1)),
  }),
);
// SIGINT first, so a uwsgi-node master removes its shared memory (the exit handler's SIGKILL of
// the process groups left /dev/shm/uwsgi-node.* behind); nginx and anything left go with it
for (const s of servers) await stop(s.proc);
process.exit(0);
