/**
 * Process facts of a worker, mule or spooler spawned by the master: what the master decided
 * (the plan: sockets, numproc, start time ...), the worker table it pushes, and the actions that
 * reach it (reload, stop, harakiri deadlines, the warning message).
 * @module
 */
import { Buffer } from "node:buffer";
import { hostname } from "node:os";
import { statSync } from "node:fs";
import type { WorkerInfo } from "../../api.js";
import { UwsgiError } from "../../errors.js";
import { currentRequest } from "../../core/request-context.js";
import { optFromOptions } from "../../module/module-options.js";
import { processMemory } from "../../module/process-memory.js";
import type { ProcessInfo } from "../../module/process-context.js";
import type { ChildIdentity } from "../child-environment.js";
import type { WorkerMessage, WorkerRow } from "../ipc-messages.js";
import { parseListenAddress } from "../listen-address.js";
import { listenQueueLength } from "../listen-queue.js";
import { VERSION_INFO, VERSION_STRING } from "../server-version.js";
import { workerState, type WorkerState } from "../worker-state.js";

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
    signals: live ? Math.max(row.signals, live.signals) : row.signals,
    exceptions,
    status: Buffer.from(live ? live.status() : row.status),
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
    signals: state.signals,
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

/** The process facts of this child. */
export function childProcessInfo(identity: ChildIdentity): ProcessInfo {
  const plan = identity.plan;
  const state = (): WorkerState | null => (identity.role === "worker" ? workerState() : null);
  const memoryReport = plan?.memoryReport ?? false;
  const host = Buffer.from(hostname());
  const bufferSize = plan?.bufferSize ?? identity.config.bufferSize;
  return {
    isStub: false,
    numproc: () => plan?.numproc ?? identity.config.processes,
    bufferSize: () => bufferSize,
    requestBufferSize: () => bufferSize,
    // one event loop per worker: uWSGI's cores (request slots per worker) is 1
    cores: () => 1,
    hasThreads: () => identity.config.options.has("enable-threads") || identity.config.options.has("threads"),
    hostname: () => host,
    magicTable: () => Object.fromEntries(Object.entries(plan?.magicTable ?? {}).map(([k, v]) => [k, Buffer.from(v)])),
    opt: () => optFromOptions(identity.config.options),
    sockets: () => (plan?.sockets ?? []).map((s) => s.fd),
    startedOn: () => plan?.startedOn ?? 0,
    version: () => Buffer.from(VERSION_STRING),
    versionInfo: () => Object.freeze([VERSION_INFO[0], VERSION_INFO[1], VERSION_INFO[2], VERSION_INFO[3], Buffer.from(VERSION_INFO[4])] as const),
    masterpid: () => identity.masterPid,
    workers: (): WorkerInfo[] => {
      const s = state();
      if (!s) return [];
      const rows = s.rows.length ? s.rows : [ownRow(s)];
      return rows.map((r) => workerInfo(r, r.id === s.identity.id ? s : null, memoryReport));
    },
    totalRequests: () => state()?.totalRequests() ?? 0,
    micros: () => Math.floor((performance.timeOrigin + performance.now()) * 1000),
    isAReload: () => plan?.isReload ?? false,
    accepting(flag) {
      const s = state();
      if (s) {
        s.accepting = flag;
        s.dirty = true;
      }
    },
    reload() {
      process.kill(identity.masterPid, "SIGHUP");
      return true;
    },
    stop() {
      process.kill(identity.masterPid, "SIGQUIT");
      return true;
    },
    setprocname(name) {
      process.title = name;
    },
    setUserHarakiri(timeout) {
      const s = state();
      if (s) s.userHarakiriArmed = timeout !== 0 && currentRequest() !== undefined;
      send({ t: "user-harakiri", deadline: timeout === 0 ? 0 : Date.now() + timeout * 1000 });
    },
    listenQueue(socketNum) {
      const sock = plan?.sockets[socketNum];
      if (!sock) throw new UwsgiError("UWSGI_ERR_SOCKET_UNKNOWN", socketNum);
      return listenQueueLength(parseListenAddress("socket", sock.name));
    },
    setWarningMessage(message) {
      let bytes = Buffer.from(message);
      if (bytes.length > 80) {
        process.stdout.write("- warning message must be max 80 chars, it will be truncated -\n");
        bytes = bytes.subarray(0, 80);
      }
      const s = state();
      if (s) s.warning = bytes.toString();
      send({ t: "warning", message: bytes.toString() });
      return true;
    },
    log(message) {
      process.stdout.write(`${message}\n`);
    },
    raiseAlarm(name, message) {
      send({ t: "alarm", name, message });
    },
    logsize() {
      if (plan?.logto) {
        try {
          return statSync(plan.logto).size;
        } catch {
          return 0;
        }
      }
      return state()?.logsize ?? 0;
    },
  };
}
