/**
 * The `uwsgi` module inside processes started by the uwsgi-node server.
 *
 * Process-level names are real: `worker_id`, `masterpid`, `numproc`, `workers()` (the master's
 * table, refreshed a few times a second, with this worker's own row live), `total_requests`,
 * `request_id`, `started_on`, `is_a_reload`, `version`, `hostname`, `cores`, `buffer_size`,
 * `sockets`, `opt`, `magic_table`, `env` and the other request-scoped functions (per request,
 * through AsyncLocalStorage), `log`/`logsize` (the instance log the master writes), `accepting`,
 * `ready`, `setprocname`, `set_user_harakiri` (enforced by the master), `listen_queue`,
 * `reload()` (SIGHUP to the master) and `stop()` (SIGQUIT to the master).
 *
 * `set_warning_message` is shared through the master, so a ping to any worker answers it.
 *
 * Everything else (caches, metrics, locks, signals, RPC, spooler, mules)
 * still runs the stub's engines inside this one process until the shared-memory backends land:
 * a cache written by worker 1 is not seen by worker 2 yet. `is_stub` is false all the same,
 * because the process-level answers are the server's.
 * @module
 */
import { Buffer } from "node:buffer";
import { hostname } from "node:os";
import { statSync } from "node:fs";
import type { UwsgiModule, WorkerInfo } from "../api.js";
import { UwsgiError } from "../errors.js";
import { currentRequest } from "../core/request-context.js";
import { parseArgv } from "../config/argv-parser.js";
import { processMemory } from "../module/process-memory.js";
import { StubRuntime } from "../stub/stub-runtime.js";
import { systemClock } from "../core/clock.js";
import { Modifier1 } from "../protocol/packet.js";
import { createSharedEngines } from "./shared-memory/shared-engines.js";
import { instanceMetrics } from "./shared-memory/instance-memory.js";
import { registerModifierHandler } from "./uwsgi-protocol/modifier-handlers.js";
import { createCacheRequestHandler } from "./remote/cache-request-handler.js";
import { createRpcRequestHandler } from "./remote/rpc-request-handler.js";
import { createStubModule } from "../stub/stub-module.js";
import { readChildIdentity, type ChildIdentity } from "./child-environment.js";
import type { WorkerMessage, WorkerRow } from "./ipc-messages.js";
import { parseListenAddress } from "./listen-address.js";
import { listenQueueLength } from "./listen-queue.js";
import { VERSION_INFO, VERSION_STRING } from "./server-version.js";
import { workerState, type WorkerState } from "./worker-state.js";
import { legionFunctions } from "../module/legion-functions.js";
import { legionReading } from "./legion/legion-readings.js";

function appInfo(row: WorkerRow, requests: number, exceptions: number): WorkerInfo["apps"] {
  if (row.pid === 0) return [];
  return [{ id: 0, modifier1: 0, mountpoint: Buffer.alloc(0), startup_time: row.app_startup, requests, exceptions, chdir: Buffer.from(row.chdir) }];
}

/** One `workers()` entry from a table row; `live` overlays this worker's own current counters. */
function workerInfo(row: WorkerRow, live: WorkerState | null, memoryReport: boolean): WorkerInfo {
  const requests = live ? live.slotRequests() : row.requests;
  // The table counts this worker as of its last report; its live counters can only be ahead.
  const exceptions = live ? Math.max(row.exceptions, live.exceptions) : row.exceptions;
  const [rss, vsz] = live && memoryReport ? processMemory() : [row.rss, row.vsz];
  return {
    id: row.id,
    pid: live ? process.pid : row.pid,
    requests,
    delta_requests: live ? live.requests : row.delta_requests,
    signals: row.signals,
    exceptions,
    status: Buffer.from(live ? (live.inFlight > 0 ? "busy" : "idle") : row.status),
    rss,
    vsz,
    running_time: live ? Math.max(row.running_time, live.runningTime) : row.running_time,
    last_spawn: row.last_spawn,
    respawn_count: Math.max(0, row.spawns - 1),
    tx: live ? Math.max(row.tx, live.tx) : row.tx,
    avg_rt: live ? live.avgRt || row.avg_rt : row.avg_rt,
    apps: appInfo(row, requests, exceptions),
  };
}

/** The row of this worker before the master has sent any table. */
function ownRow(state: WorkerState): WorkerRow {
  return {
    id: state.identity.id,
    pid: process.pid,
    requests: state.requests,
    delta_requests: state.requests,
    signals: 0,
    exceptions: state.exceptions,
    status: "idle",
    rss: 0,
    vsz: 0,
    running_time: state.runningTime,
    last_spawn: Math.floor(Date.now() / 1000),
    spawns: 1,
    tx: state.tx,
    avg_rt: state.avgRt,
    harakiri_count: 0,
    accepting: state.accepting ? 1 : 0,
    app_startup: 0,
    chdir: process.cwd(),
  };
}

function send(msg: WorkerMessage): void {
  if (process.connected) process.send!(msg);
}

const BACKEND = Symbol.for("uwsgi-node.runtime-backend");

/**
 * The `uwsgi` module of a server-spawned process: built on the first call, the same object after
 * (also for a second copy of uwsgi-node in the process: it lives on `globalThis`), so the app's
 * `uwsgi` and the worker's own setup (remote cache and RPC handlers, spooler, `post_fork_hook`)
 * are one runtime.
 * @throws UwsgiError UWSGI_ERR_OPTION_VALUE when the master's options cannot be rebuilt.
 */
export function runtimeBackend(): UwsgiModule {
  const slot = globalThis as Record<symbol, UwsgiModule | undefined>;
  return (slot[BACKEND] ??= buildRuntimeBackend());
}

function buildRuntimeBackend(): UwsgiModule {
  const identity: ChildIdentity | null = readChildIdentity();
  if (!identity) throw new UwsgiError("UWSGI_ERR_INVALID_ARGUMENT", "UWSGI_NODE_ROLE", "this process was not started by the uwsgi-node server");
  const rt = new StubRuntime();
  const options = parseArgv(identity.argv, { raw: true }).options;
  rt.configure(options, { clock: "real", echoLog: true });
  // Caches, metrics and user locks are the instance's, in shared memory the master created.
  const shared = createSharedEngines(rt.config, identity.instance, systemClock, "attach", instanceMetrics(rt.config));
  rt.adoptSharedEngines({ caches: shared.caches, metrics: shared.metrics, lockMutexes: shared.lockMutexes, isSpooler: identity.role === "spooler" });
  for (const cache of shared.caches.all()) cache.onLog = (line) => rt.log(line);
  // Until spooler processes exist, worker 1 alone runs spool tasks, so none runs twice.
  rt.runsSpooler = identity.role === "worker" && identity.id === 1;
  if (rt.runsSpooler && rt.config.spoolers.length > 0) rt.pollSpooler(1000);
  // Other nodes reach this instance's caches and RPC functions through the uwsgi socket.
  registerModifierHandler(Modifier1.CACHE, createCacheRequestHandler(() => rt.engines.caches));
  registerModifierHandler(Modifier1.RPC, createRpcRequestHandler(() => rt.engines.rpc));
  const base = createStubModule(rt);
  const plan = identity.plan;
  const state = (): WorkerState | null => (identity.role === "worker" ? workerState() : null);
  const memoryReport = plan?.memoryReport ?? false;
  const host = Buffer.from(hostname());

  const overrides: Partial<Record<keyof UwsgiModule, PropertyDescriptor>> = {
    is_stub: { value: false, enumerable: true },
    numproc: { value: plan?.numproc ?? 0, enumerable: true },
    buffer_size: { value: plan?.bufferSize ?? 4096, enumerable: true },
    cores: { value: 1, enumerable: true },
    started_on: { value: plan?.startedOn ?? 0, enumerable: true },
    hostname: { get: () => host, enumerable: true },
    version: { get: () => Buffer.from(VERSION_STRING), enumerable: true },
    version_info: { get: () => Object.freeze([VERSION_INFO[0], VERSION_INFO[1], VERSION_INFO[2], VERSION_INFO[3], Buffer.from(VERSION_INFO[4])]), enumerable: true },
    sockets: { get: () => (plan?.sockets ?? []).map((s) => s.fd), enumerable: true },
    magic_table: { get: () => Object.fromEntries(Object.entries(plan?.magicTable ?? {}).map(([k, v]) => [k, Buffer.from(v)])), enumerable: true },
    ...Object.fromEntries(Object.entries(legionFunctions(legionReading)).map(([k, f]) => [k, fn(f)])),
    worker_id: fn(() => (identity.role === "worker" ? identity.id : 0)),
    mule_id: fn(() => (identity.role === "mule" ? identity.id : 0)),
    masterpid: fn(() => identity.masterPid),
    workers: fn((): WorkerInfo[] => {
      const s = state();
      if (!s) return [];
      const rows = s.rows.length ? s.rows : [ownRow(s)];
      return rows.map((r) => workerInfo(r, r.id === s.identity.id ? s : null, memoryReport));
    }),
    total_requests: fn(() => state()?.totalRequests() ?? 0),
    ready: fn(() => true),
    is_a_reload: fn(() => plan?.isReload ?? false),
    accepting: fn((flag: boolean = true) => {
      const s = state();
      if (s) {
        s.accepting = flag !== false;
        s.dirty = true;
      }
    }),
    reload: fn(() => {
      process.kill(identity.masterPid, "SIGHUP");
      return true;
    }),
    stop: fn(() => {
      process.kill(identity.masterPid, "SIGQUIT");
      return true;
    }),
    setprocname: fn((name: string) => {
      process.title = String(name);
    }),
    set_user_harakiri: fn((timeout: number = 0) => {
      if (!Number.isInteger(timeout) || timeout < 0) throw new UwsgiError("UWSGI_ERR_INVALID_ARGUMENT", "timeout", `expected whole seconds >= 0, got ${timeout}`);
      const s = state();
      if (s) s.userHarakiriArmed = timeout !== 0 && currentRequest() !== undefined;
      send({ t: "user-harakiri", deadline: timeout === 0 ? 0 : Date.now() + timeout * 1000 });
    }),
    listen_queue: fn((socket_num: number = 0) => {
      const sock = plan?.sockets[socket_num];
      if (!sock) throw new UwsgiError("UWSGI_ERR_SOCKET_UNKNOWN", socket_num);
      return listenQueueLength(parseListenAddress("socket", sock.name));
    }),
    set_warning_message: fn((message: string) => {
      let bytes = Buffer.from(String(message));
      if (bytes.length > 80) {
        process.stdout.write("- warning message must be max 80 chars, it will be truncated -\n");
        bytes = bytes.subarray(0, 80);
      }
      const s = state();
      if (s) s.warning = bytes.toString();
      send({ t: "warning", message: bytes.toString() });
      return true;
    }),
    log: fn((message: string) => {
      process.stdout.write(`${String(message)}\n`);
      return true;
    }),
    logsize: fn(() => {
      if (plan?.logto) {
        try {
          return statSync(plan.logto).size;
        } catch {
          return 0;
        }
      }
      return state()?.logsize ?? 0;
    }),
  };

  const descriptors = Object.getOwnPropertyDescriptors(base) as Record<string, PropertyDescriptor>;
  for (const [name, d] of Object.entries(overrides)) descriptors[name] = d!;
  return Object.defineProperties({}, descriptors) as UwsgiModule;
}

function fn(value: (...args: never[]) => unknown): PropertyDescriptor {
  return { value, enumerable: true, writable: true, configurable: true };
}
