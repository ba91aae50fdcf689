#!/usr/bin/env node
// CPU time per request of uwsgi-node's worker (user + system, from /proc/PID/stat), with the
// request log on and with --disable-logging, in interleaved rounds: on a shared machine, where
// req/s is noise, the CPU a request costs the process serving it is what can be compared. Not a
// benchmark run by `npm run bench`: a tool for comparing code versions (bench/README.md, "CPU cost").
//
//   npm run build && node bench/cpu-per-request.mjs [--mode http-close|http-keepalive|nginx] [--rounds 6] [--duration 3]
//   node bench/cpu-per-request.mjs --cli /other/checkout/dist/cli.js   # another build, same method
//
// Two servers (one worker each, --listen 1024) serve bench/http-hello-app.mjs: one with
// `--logto FILE` (uWSGI's default request line), one with `--disable-logging`. Each round runs
// wrk against both (order alternating); the worker's CPU ticks before and after give CPU per
// request. Prints one JSON line: microseconds per request (sum over rounds) and the ratio.
import { spawnSync } from "node:child_process";
import { existsSync, mkdirSync, writeFileSync } from "node:fs";
import { loadavg } from "node:os";
import { join } from "node:path";
import { parseArgs } from "node:util";
import { CLI, freePort, launch, waitFor, workDir } from "./lib/processes.mjs";
import { ROOT_OPT_IN } from "./lib/root-opt-in.mjs";
import { allProcStats, processCpuMs } from "./lib/process-cpu.mjs";

const here = import.meta.dirname;
const { values: opts } = parseArgs({
  options: {
    mode: { type: "string", default: "http-close" },
    rounds: { type: "string", default: "6" },
    duration: { type: "string", default: "3" },
    connections: { type: "string", default: "16" },
    cli: { type: "string", default: CLI ?? join(here, "..", "dist", "cli.js") },
  },
});
if (!existsSync(opts.cli)) throw new Error(`not built: ${opts.cli}`);

const nginx = opts.mode === "nginx";

/** The pid of the one worker of the master `masterPid`. */
const workerOf = (masterPid) => allProcStats().find((p) => p.ppid === masterPid)?.pid;

async function startServer(name, extra) {
  const backend = await freePort();
  // launched as launchUwsgiNode does, but with --cli (another build can be measured the same way)
  const server = launch(name, process.execPath, [opts.cli, ...ROOT_OPT_IN, nginx ? "--socket" : "--http-socket", `127.0.0.1:${backend}`, "--master", "--processes", "1", "--listen", "1024", "--module", join(here, "http-hello-app.mjs"), ...extra]);
  let port = backend;
  if (nginx) {
    port = await freePort();
    const dir = join(workDir(), `nginx-${name}`);
    mkdirSync(dir, { recursive: true });
    const params = existsSync("/etc/nginx/uwsgi_params") ? "/etc/nginx/uwsgi_params" : join(here, "http-uwsgi-params");
    writeFileSync(
      join(dir, "nginx.conf"),
      `daemon off; master_process off; worker_processes 1; pid ${dir}/nginx.pid; error_log ${dir}/error.log error;
events { worker_connections 4096; }
http { access_log off; client_body_temp_path ${dir}/cb; proxy_temp_path ${dir}/px; fastcgi_temp_path ${dir}/fc; uwsgi_temp_path ${dir}/uw; scgi_temp_path ${dir}/sc;
  server { listen 127.0.0.1:${port} backlog=1024; location / { include ${params}; uwsgi_pass 127.0.0.1:${backend}; } } }
`,
    );
    launch(`nginx-${name}`, "/usr/sbin/nginx", ["-p", dir, "-c", join(dir, "nginx.conf")]);
  }
  await waitFor(() => spawnSync("curl", ["-s", "-m", "5", `http://127.0.0.1:${port}/`], { encoding: "utf8" }).stdout === "Hello World\n", `${name} answering`, { proc: server, ms: 60_000, every: 500 });
  const worker = await waitFor(() => workerOf(server.pid), `${name}'s worker`, { proc: server });
  return { name, port, worker, cpuUs: 0, requests: 0 };
}


function run(server, seconds) {
  const before = processCpuMs(server.worker);
  const r = spawnSync("wrk", ["-t", "1", "-c", opts.connections, "-d", `${seconds}s`, ...(opts.mode === "http-close" ? ["-H", "Connection: close"] : []), `http://127.0.0.1:${server.port}/`], { encoding: "utf8" });
  const after = processCpuMs(server.worker);
  const requests = Number(/(\d+) requests in/.exec(r.stdout)?.[1] ?? 0);
  return { cpuUs: (after - before) * 1000, requests };
}

const servers = [await startServer("logging", ["--logto", join(workDir(), "requests.log")]), await startServer("disable-logging", ["--disable-logging"])];
for (const s of servers) run(s, 2); // warm-up
const load = loadavg()[0];
for (let round = 0; round < Number(opts.rounds); round++) {
  for (const s of round % 2 ? [...servers].reverse() : servers) {
    const r = run(s, Number(opts.duration));
    s.cpuUs += r.cpuUs;
    s.requests += r.requests;
  }
}
const per = Object.fromEntries(servers.map((s) => [s.name, { usPerRequest: Number((s.cpuUs / s.requests).toFixed(1)), requests: s.requests }]));
console.log(
  JSON.stringify({
    mode: opts.mode,
    cli: opts.cli,
    ...per,
    ratio: Number((per.logging.usPerRequest / per["disable-logging"].usPerRequest).toFixed(3)),
    loadavg: [load, loadavg()[0]].map((l) => l.toFixed(1)),
  }),
);
process.exit(0);
