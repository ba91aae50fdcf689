/**
 * The master's bookkeeping of its workers: one slot per worker id, holding the process serving
 * it now, the one it replaces during a reload, and counters that survive respawns (uWSGI keeps
 * them in the shared worker table: `requests` is per slot, `delta_requests` per process).
 * @module
 */
import type { ChildProcess } from "node:child_process";
import type { WorkerCounters, WorkerRow } from "./ipc-messages.js";
import { RespawnBackoff } from "./respawn-backoff.js";
import type { StatsWorker } from "./stats/stats-snapshot.js";

/** Counters of a process that has not reported yet. */
export function emptyCounters(): WorkerCounters {
  return { requests: 0, exceptions: 0, tx: 0, runningTime: 0, avgRt: 0, inFlight: 0, oldestStart: 0, accepting: false, rss: 0, vsz: 0, remoteRefused: 0, harakiri: 0 };
}

/** One worker process, as the master sees it. */
export class WorkerProcess {
  readonly child: ChildProcess;
  readonly pid: number;
  readonly slot: WorkerSlot;
  /** Unix ms of the spawn. */
  readonly spawnedAt: number;
  counters: WorkerCounters = emptyCounters();
  ready = false;
  /** Unix ms it became ready (0 = not yet). */
  readyAt = 0;
  /** Sent a graceful stop (or recycling itself); finishing its requests. */
  stopping = false;
  /** Unix ms the master asked it to stop; 0 = not asked. */
  stopRequestedAt = 0;
  /** Unix ms after which a stopping process is killed; 0 = none. */
  stopDeadline = 0;
  /** Unix ms of the last harakiri kill sent; 0 = none. */
  harakiriAt = 0;
  exited = false;
  /** Unix ms of the last message from the process. */
  lastHeard: number;
  /** Unix ms deadline armed by `set_user_harakiri`; 0 = none. */
  userHarakiri = 0;
  /** Harakiri attempts on this process. */
  harakiriTries = 0;
  /** Seconds the app took to load. */
  appStartup = 0;
  /** Why the process is going away (recycling), for the log. */
  retireReason: string | null = null;

  constructor(child: ChildProcess, slot: WorkerSlot, now: number) {
    this.child = child;
    this.pid = child.pid ?? 0;
    this.slot = slot;
    this.spawnedAt = now;
    this.lastHeard = now;
  }

  /** Whether the process is alive and serving (or about to). */
  get alive(): boolean {
    return !this.exited;
  }
}

/** A worker id (1..N) and everything that outlives its processes. */
export class WorkerSlot {
  readonly id: number;
  /** The newest process of this slot (may still be loading its app). */
  current: WorkerProcess | null = null;
  /** During a reload: the process `current` replaces, serving until `current` is ready. */
  previous: WorkerProcess | null = null;
  /** Counters of processes that exited. */
  readonly closed = { requests: 0, exceptions: 0, tx: 0, runningTime: 0, remoteRefused: 0, harakiri: 0 };
  /** Processes spawned for this slot (uWSGI's raw respawn counter). */
  spawns = 0;
  harakiriCount = 0;
  /** Unix seconds of the last spawn. */
  lastSpawn = 0;
  /** Last known running average response time (µs). */
  avgRt = 0;
  readonly backoff = new RespawnBackoff();
  respawnTimer: NodeJS.Timeout | null = null;
  /** Left without a process on purpose by the cheaper subsystem (elastic/elastic-workers.ts): never respawned. */
  cheaped = false;
  /** Processes of this slot still alive that are not `current` or `previous` (recycled, draining). */
  readonly draining = new Set<WorkerProcess>();

  constructor(id: number) {
    this.id = id;
  }

  /** The process answering for the slot now: the ready newest one, else the one it replaces. */
  get serving(): WorkerProcess | null {
    if (this.current?.ready) return this.current;
    return this.previous ?? this.current;
  }

  /** Every live process of the slot. */
  processes(): WorkerProcess[] {
    const out = [...this.draining];
    if (this.previous) out.push(this.previous);
    if (this.current) out.push(this.current);
    return out;
  }

  /** Adds an exited process's counters to the slot's totals. */
  absorb(proc: WorkerProcess): void {
    const c = proc.counters;
    this.closed.requests += c.requests;
    this.closed.exceptions += c.exceptions;
    this.closed.tx += c.tx;
    this.closed.runningTime += c.runningTime;
    this.closed.remoteRefused += c.remoteRefused;
    this.closed.harakiri += c.harakiri;
  }

  /** The slot's totals: exited processes plus the live ones. */
  totals(): { requests: number; exceptions: number; tx: number; runningTime: number; remoteRefused: number; harakiri: number } {
    const t = { ...this.closed };
    for (const p of this.processes()) {
      t.requests += p.counters.requests;
      t.exceptions += p.counters.exceptions;
      t.tx += p.counters.tx;
      t.runningTime += p.counters.runningTime;
      t.remoteRefused += p.counters.remoteRefused;
      t.harakiri += p.counters.harakiri;
    }
    return t;
  }

  /** Status word as uWSGI reports it. */
  status(): "idle" | "busy" | "cheap" {
    const p = this.serving;
    if (!p) return "cheap";
    return p.counters.inFlight > 0 ? "busy" : "idle";
  }

  /** The JSON row sent to workers for `workers()`. */
  row(cwd: string): WorkerRow {
    const p = this.serving;
    const t = this.totals();
    return {
      id: this.id,
      pid: p?.pid ?? 0,
      requests: t.requests,
      delta_requests: p?.counters.requests ?? 0,
      signals: 0,
      exceptions: t.exceptions,
      status: this.status(),
      rss: p?.counters.rss ?? 0,
      vsz: p?.counters.vsz ?? 0,
      running_time: t.runningTime,
      last_spawn: this.lastSpawn,
      spawns: this.spawns,
      tx: t.tx,
      avg_rt: p?.counters.avgRt || this.avgRt,
      // kills by the master, plus requests the workers ended themselves
      harakiri_count: this.harakiriCount + t.harakiri,
      accepting: p?.ready && p.counters.accepting && !p.stopping ? 1 : 0,
      app_startup: p?.appStartup ?? 0,
      chdir: cwd,
    };
  }

  /** The worker as the stats server shows it. */
  stats(cwd: string): StatsWorker {
    const r = this.row(cwd);
    const p = this.serving;
    const inRequest = p && p.counters.inFlight > 0 ? 1 : 0;
    return {
      id: r.id,
      pid: r.pid,
      accepting: r.accepting,
      requests: r.requests,
      delta_requests: r.delta_requests,
      exceptions: r.exceptions,
      harakiri_count: r.harakiri_count,
      signals: r.signals,
      signal_queue: 0,
      status: this.status(),
      rss: r.rss,
      vsz: r.vsz,
      running_time: r.running_time,
      last_spawn: r.last_spawn,
      respawn_count: r.spawns,
      tx: r.tx,
      avg_rt: r.avg_rt,
      apps: p?.ready
        ? [{ id: 0, modifier1: 0, mountpoint: "", startup_time: r.app_startup, requests: r.requests, exceptions: r.exceptions, chdir: cwd }]
        : [],
      cores: [
        {
          id: 0,
          requests: r.requests,
          static_requests: 0,
          routed_requests: 0,
          offloaded_requests: 0,
          write_errors: 0,
          read_errors: 0,
          in_request: inRequest,
          vars: [],
          ...(inRequest && p ? { request_start: Math.floor(p.counters.oldestStart / 1000) } : {}),
        },
      ],
    };
  }
}
