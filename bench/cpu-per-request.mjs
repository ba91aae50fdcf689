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
import { spawn, spawnSync } from "node:child_process";
import { existsSync, mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from "node:fs";
import net from "node:net";
import { loadavg, tmpdir } from "node:os";
import { join } from "node:path";
import { parseArgs } from "node:util";
import { ROOT_OPT_IN } from "./lib/root-opt-in.mjs";

const here = import.meta.dirname;
const { values: opts } = parseArgs({
  options: {
    mode: { type: "string", default: "http-close" },
    rounds: { type: "string", default: "6" },
    duration: { type: "string", default: "3" },
    connections: { type: "string", default: "16" },
    cli: { type: "string", default: join(here, "..", "dist", "cli.js") },
  },
});
if (!existsSync(opts.cli)) throw new Error(`not built: ${opts.cli}`);
const work = mkdtempSync(join(tmpdir(), "uwsgi-node-cpu-"));
const children = [];
const workers = [];
process.on("exit", () => {
  for (const pid of workers) {
    try {
      process.kill(pid, "SIGKILL");
    } catch {}
  }
  for (const c of children) {
    try {
      process.kill(c.pid, "SIGKILL");
    } catch {}
  }
  rmSync(work, { recursive: true, force: true });
});
process.on("SIGINT", () => process.exit(130));

const freePort = () =>
  new Promise((resolve) => {
    const s = net.createServer().listen(0, "127.0.0.1", () => {
      const { port } = s.address();
      s.close(() => resolve(port));
    });
  });

const nginx = opts.mode === "nginx";
const TICK_US = 1e6 / Number(spawnSync("getconf", ["CLK_TCK"], { encoding: "utf8" }).stdout.trim() || 100);

async function startServer(name, extra) {
  const backend = await freePort();
  const child = spawn(
    process.execPath,
    [opts.cli, ...ROOT_OPT_IN, nginx ? "--socket" : "--http-socket", `127.0.0.1:${backend}`, "--master", "--processes", "1", "--listen", "1024", "--module", join(here, "http-hello-app.mjs"), ...extra],
    { stdio: "ignore" },
  );
  children.push(child);
  let port = backend;
  if (nginx) {
    port = await freePort();
    const dir = join(work, `nginx-${name}`);
    spawnSync("mkdir", ["-p", dir]);
    const params = existsSync("/etc/nginx/uwsgi_params") ? "/etc/nginx/uwsgi_params" : join(here, "http-uwsgi-params");
    writeFileSync(
      join(dir, "nginx.conf"),
      `daemon off; master_process off; worker_processes 1; pid ${dir}/nginx.pid; error_log ${dir}/error.log error;
events { worker_connections 4096; }
http { access_log off; client_body_temp_path ${dir}/cb; proxy_temp_path ${dir}/px; fastcgi_temp_path ${dir}/fc; uwsgi_temp_path ${dir}/uw; scgi_temp_path ${dir}/sc;
  server { listen 127.0.0.1:${port} backlog=1024; location / { include ${params}; uwsgi_pass 127.0.0.1:${backend}; } } }
`,
    );
    children.push(spawn("/usr/sbin/nginx", ["-p", dir, "-c", join(dir, "nginx.conf")], { stdio: "ignore" }));
  }
  for (let i = 0; ; i++) {
    const probe = spawnSync("curl", ["-s", "-m", "5", `http://127.0.0.1:${port}/`], { encoding: "utf8" });
    if (probe.stdout === "Hello World\n") break;
    if (i > 120) throw new Error(`${name} not answering`);
    await new Promise((r) => setTimeout(r, 500));
  }
  const worker = readdirSync("/proc")
    .filter((d) => /^\d+$/.test(d))
    .find((d) => {
      try {
        const stat = readFileSync(`/proc/${d}/stat`, "utf8");
        return Number(stat.slice(stat.lastIndexOf(")") + 2).split(" ")[1]) === child.pid;
      } catch {
        return false;
      }
    });
  workers.push(Number(worker));
  return { name, port, worker: Number(worker), cpuUs: 0, requests: 0 };
}

function cpuTicks(pid) {
  const stat = readFileSync(`/proc/${pid}/stat`, "utf8");
  const f = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
  return Number(f[11]) + Number(f[12]);
}

function run(server, seconds) {
  const before = cpuTicks(server.worker);
  const r = spawnSync("wrk", ["-t", "1", "-c", opts.connections, "-d", `${seconds}s`, ...(opts.mode === "http-close" ? ["-H", "Connection: close"] : []), `http://127.0.0.1:${server.port}/`], { encoding: "utf8" });
  const after = cpuTicks(server.worker);
  const requests = Number(/(\d+) requests in/.exec(r.stdout)?.[1] ?? 0);
  return { cpuUs: (after - before) * TICK_US, requests };
}

const servers = [await startServer("logging", ["--logto", join(work, "requests.log")]), await startServer("disable-logging", ["--disable-logging"])];
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
