/**
 * Entry point of a worker process (forked by the master). Loads the app, runs
 * `uwsgi.post_fork_hook`, accepts on the listening sockets it inherited (shared with the other
 * workers), reports its counters to the master a few times a second, and leaves gracefully
 * when told to (reload, stop), when recycled (`--max-requests`, `--reload-on-rss`) or when the
 * master is gone.
 * @module
 */
import { RuntimeSampler } from "./observability/runtime-sample.js";
import { createServer as createHttpServer } from "node:http";
import { createServer as createNetServer, type Server as NetServer } from "node:net";
import { deferRequestTracking } from "../core/request-context.js";
import { processMemory } from "../module/process-memory.js";
import { readChildIdentity } from "./child-environment.js";
import { ConnectionDrain } from "./connection-drain.js";
import { WorkerLimits } from "./limits/worker-limits.js";
import { RequestHarakiri } from "./harakiri/request-harakiri.js";
import { isMasterMessage, type WorkerMessage } from "./ipc-messages.js";
import { loadApp, type LoadedApp } from "./app-loader.js";
import { workerRequestLog } from "./logging/worker-request-log.js";
import { createRequestRunner, type RunnerConfig } from "./request-runner.js";
import { createUpgradeListener } from "./request-io/http-upgrade.js";
import { installRequestIoSettings } from "./request-io/request-io-settings.js";
import { compileLogFormat } from "./request-io/log-format.js";
import { requestRouting } from "./request-io/request-routing.js";
import { serverModule } from "./runtime/server-module.js";
import { serveRuntimeOverSockets } from "./runtime/remote-handlers.js";
import { receiveSignals, signalsSynced } from "./runtime/child-signals.js";
import { updateLegionReadings } from "./legion/legion-readings.js";
import { defaultModifierRegistry } from "./uwsgi-protocol/modifier-handlers.js";
import { createUwsgiProtocolServer } from "./uwsgi-protocol/uwsgi-protocol-server.js";
import { reportNodeInternals } from "../core/node-internals.js";
import { installWorkerState, WorkerState } from "./worker-state.js";
import { runShutdownHooks } from "./lifecycle/shutdown-hooks.js";
import { heartbeatMs, WorkerReportSchedule } from "./stats/worker-report-schedule.js";

/** Exit code of a worker whose app failed to load (uWSGI's UWSGI_FAILED_APP_CODE). */
const FAILED_APP_EXIT_CODE = 22;
/** Delay between a change of the counters and its report to the master (ms). */
const REPORT_MS = 200;

const identity = readChildIdentity();
if (!identity || identity.role !== "worker" || !identity.plan) {
  process.stderr.write("uwsgi-node: the worker entry must be started by the uwsgi-node master\n");
  process.exit(1);
}
const plan = identity.plan;
// remote operations (cache, RPC, signals, spooling) only as the master's --plugin/--remote-allow say
defaultModifierRegistry.setRemoteAccess(plan.remote);
const state = new WorkerState(identity, plan);
const runtime = plan.runtimeMetrics ? new RuntimeSampler() : null;
installWorkerState(state);
installRequestIoSettings(plan.requestIo);
// the master logged the failed checks; fields found wrong on first use are logged here
reportNodeInternals((line) => process.stderr.write(`${line}\n`), { announce: false });
process.title = `uwsgi-node worker ${identity.id}`;

const send = (msg: WorkerMessage, then?: () => void): void => {
  if (!process.connected) {
    then?.();
    return;
  }
  process.send!(msg, undefined, {}, () => then?.());
};

const requestLog = workerRequestLog(plan.requestLog, plan.memoryReport);
const drain = new ConnectionDrain();
const limits = new WorkerLimits(plan.limits, drain, identity.id, (line) => process.stderr.write(`${line}\n`));
const servers: NetServer[] = [];
let exiting = false;
/** The loaded app and the module object it sees, for the shutdown hooks. */
let loaded: { app: LoadedApp; module: object } | null = null;
let sigtermDelivered = false;

function exit(code: number): void {
  if (exiting) return;
  exiting = true;
  requestLog.flush();
  send({ t: "stats", ...state.counters(null) }, () => process.exit(code));
  setTimeout(() => process.exit(code), 1000).unref();
}

/** Stops accepting, finishes the requests in flight, then exits. */
function shutdown(): void {
  if (state.draining) return;
  state.draining = true;
  for (const s of servers) s.close();
  report(true);
  // requests done: the app's SIGTERM listeners, close() and uwsgi.atexit run, then the worker exits
  drain.drain(() => {
    const hooks = { appClose: loaded?.app.close ?? null, module: loaded?.module ?? null, ownSigterm: onSigterm, sigtermDelivered };
    void runShutdownHooks(hooks, (line) => process.stderr.write(line + "\n")).then(() => exit(0));
  });
  setTimeout(() => {
    drain.destroyAll();
    exit(0);
  }, plan.workerReloadMercy * 1000).unref();
}

/** Leaves to be replaced (recycling): the master spawns a successor at once. */
function retire(reason: string): void {
  if (state.draining) return;
  process.stdout.write(`...The work of process ${process.pid} is done (${reason}). Seeya!\n`);
  send({ t: "retire", reason });
  shutdown();
}

/** Sends the counters when they changed (or always: `force`, a heartbeat). */
function report(force = false): void {
  if (!force && !state.dirty) return;
  state.dirty = false;
  const memory = plan.memoryReport ? memoryOf() : null;
  send({ t: "stats", ...state.counters(memory), ...(runtime ? { runtime: runtime.sample() } : {}) });
}

let lastRssCheck = 0;
/** `--reload-on-rss`: checked after requests, as uWSGI does, at most every 100 ms. */
function checkRss(): void {
  const now = Date.now();
  if (now - lastRssCheck < 100) return;
  lastRssCheck = now;
  const rss = process.memoryUsage.rss();
  if (rss > plan.reloadOnRss) retire(`rss ${Math.round(rss / 1048576)} MB above reload-on-rss ${Math.round(plan.reloadOnRss / 1048576)} MB`);
}

function memoryOf(): { rss: number; vsz: number } {
  const [rss, vsz] = processMemory();
  return { rss, vsz };
}

process.on("message", (msg: unknown) => {
  if (!isMasterMessage(msg)) return;
  if (msg.t === "stop") shutdown();
  else if (msg.t === "log-reopen") requestLog.reopen();
  else if (msg.t === "table") {
    updateLegionReadings(msg.legions);
    state.rows = msg.rows;
    state.logsize = msg.logsize;
    state.warning = msg.warning;
  }
});
// The master is gone: nobody will respawn or stop us; finish what we have and leave.
process.on("disconnect", shutdown);
// The master orchestrates stops and reloads; a terminal's Ctrl-C or hang-up reaches the whole
// process group, so workers leave those signals to the master.
process.on("SIGINT", () => undefined);
process.on("SIGHUP", () => undefined);
function onSigterm(): void {
  sigtermDelivered = true;
  shutdown();
}
process.on("SIGTERM", onSigterm);
// Output goes to the master through pipes; if it is gone, requests in flight still finish.
process.stdout.on("error", () => undefined);
process.stderr.on("error", () => undefined);

/** Reports a worker that cannot start serving (app import, post_fork_hook, listen) and exits. */
function failStartup(err: unknown): void {
  const text = err instanceof Error ? (err.stack ?? err.message) : String(err);
  process.stderr.write(`${text}\n`);
  send({ t: "app-failed", error: err instanceof Error ? err.message : String(err) }, () => process.exit(FAILED_APP_EXIT_CODE));
}

async function start(): Promise<void> {
  const t0 = Date.now();
  let app: LoadedApp;
  try {
    // The request context follows async code only if the app loads the `uwsgi` module (which
    // turns tracking back on): an app that cannot read it does not pay for it (request-context.ts).
    deferRequestTracking();
    const { uwsgi, runtime } = serverModule();
    serveRuntimeOverSockets(runtime);
    receiveSignals(runtime.delivery, {
      started: (num) => {
        state.runningSignal = num;
      },
      finished: () => {
        state.runningSignal = null;
        state.signals++;
        state.dirty = true;
      },
    });
    if (!plan.app) throw new Error("no app given");
    app = await loadApp(plan.app);
    if (typeof uwsgi.post_fork_hook === "function") await uwsgi.post_fork_hook();
  } catch (err) {
    failStartup(err);
    return;
  }
  loaded = { app, module: serverModule().uwsgi };
  const loadMs = Date.now() - t0;
  state.appLoadMs = Date.now();
  process.stdout.write(`Node app 0 (mountpoint='') ready in ${Math.round(loadMs / 1000)} seconds pid: ${process.pid} (default app: ${app.kind}, export ${app.exportName})\n`);

  const base: Omit<RunnerConfig, "ownContext"> = {
    state,
    app: app.listener,
    drain,
    logRequests: !plan.disableLogging,
    log: (line) => requestLog.line(line),
    logFormat: plan.requestIo.logFormat === null ? null : compileLogFormat(plan.requestIo.logFormat, { metric: (name) => serverModule().uwsgi.metric_get(name) }),
    routes: requestRouting(plan.requestIo.routes, () => serverModule().uwsgi),
    afterRequest: () => {
      if (state.userHarakiriArmed) {
        state.userHarakiriArmed = false;
        send({ t: "user-harakiri", deadline: 0 });
      }
      if (plan.maxRequests && state.requests >= plan.maxRequests) retire(`max requests reached (${state.requests} >= ${plan.maxRequests})`);
      if (plan.reloadOnRss) checkRss();
    },
  };
  const listening: Array<Promise<void>> = [];
  for (const sock of plan.sockets) {
    let server: NetServer;
    if (sock.proto === "http") {
      const runner = createRequestRunner({ ...base, ownContext: true });
      const http = createHttpServer({ maxHeaderSize: plan.bufferSize });
      http.on("request", limits.http(http, runner));
      http.on("upgrade", createUpgradeListener(runner));
      server = createNetServer({ noDelay: true }, (socket) => {
        if (!limits.admit(socket)) return;
        drain.track(socket);
        http.emit("connection", socket);
      });
    } else {
      server = createUwsgiProtocolServer(createRequestRunner({ ...base, ownContext: false }), {
        bufferSize: Math.min(plan.bufferSize, 65535),
        readTimeoutMs: plan.limits.socketTimeoutMs,
        limitPost: plan.limits.limitPost,
        logger: (line) => process.stderr.write(line + "\n"),
        limitedLog: limits.log,
        requestId: () => state.requests,
        getWarningMessage: () => state.warning || null,
        admit: (socket) => limits.admit(socket) && drain.track(socket, false) !== null,
        closed: (socket) => drain.forgetSocket(socket),
        moved: (from, to) => drain.moveSocket(from, to),
      });
    }
    servers.push(server);
    listening.push(
      new Promise((resolve, reject) => {
        server.once("error", reject);
        // the backlog as an argument: Node ignores options.backlog when listening on an fd
        server.listen({ fd: sock.fd }, plan.listen, () => {
          server.off("error", reject);
          resolve();
        });
      }),
    );
  }
  try {
    await Promise.all(listening);
  } catch (err) {
    failStartup(err);
    return;
  }
  for (const s of servers) s.on("error", (err) => process.stderr.write(`worker ${identity!.id}: ${err.message}\n`));
  limits.start();
  new RequestHarakiri(state, plan.harakiri, (line) => process.stderr.write(`${line}\n`)).start();
  // the app's signal registrations are in the master's table before it routes to this worker
  await signalsSynced();
  state.ready = true;
  send({ t: "ready", appStartupMs: loadMs });
  report(true);
  new WorkerReportSchedule(state, report, { coalesceMs: REPORT_MS, heartbeatMs: heartbeatMs({ harakiri: plan.harakiri, memoryReport: plan.memoryReport, runtimeMetrics: runtime !== null }) }).start();
}

void start();
