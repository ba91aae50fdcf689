/**
 * Messages between the master and its workers over the Node IPC channel. Workers report their
 * counters in batches (a few times a second at most), never once per request.
 * @module
 */
import type { PublishedLegion } from "./legion/instance-legions.js";
import type { RuntimeSample } from "./observability/runtime-sample.js";

/** A worker's counters since it was spawned. */
export interface WorkerCounters {
  /** Requests completed by this process. */
  requests: number;
  exceptions: number;
  /** Bytes sent. */
  tx: number;
  /** µs spent in requests. */
  runningTime: number;
  /** µs, running average `(old + new) / 2` as uWSGI computes it. */
  avgRt: number;
  /** Requests being served now. */
  inFlight: number;
  /** Unix ms the oldest request in flight started; 0 when idle. */
  oldestStart: number;
  accepting: boolean;
  /** Bytes; 0 unless memory is reported (`--memory-report`, `--reload-on-rss`). */
  rss: number;
  vsz: number;
  /** Remote-operation requests refused (disabled, or a peer not allowed). */
  remoteRefused: number;
  /** Requests the worker ended itself past `--harakiri` (its event loop free). */
  harakiri: number;
  /** Node runtime figures, when the instance has a stats server. */
  runtime?: RuntimeSample;
}

/** A row of the worker table the master sends to workers (the JSON form of `workers()`). */
export interface WorkerRow {
  id: number;
  pid: number;
  requests: number;
  delta_requests: number;
  signals: number;
  exceptions: number;
  status: string;
  rss: number;
  vsz: number;
  running_time: number;
  last_spawn: number;
  /** Raw spawn counter (1 after the first spawn); `workers()` shows it minus one. */
  spawns: number;
  tx: number;
  avg_rt: number;
  harakiri_count: number;
  accepting: number;
  /** Seconds the app took to load. */
  app_startup: number;
  chdir: string;
}

/** Worker → master. */
export type WorkerMessage =
  | { t: "ready"; appStartupMs: number }
  | { t: "app-failed"; error: string }
  | ({ t: "stats" } & WorkerCounters)
  | { t: "retire"; reason: string }
  | { t: "user-harakiri"; deadline: number }
  | { t: "warning"; message: string }
  /** `uwsgi.alarm(name, message)`: raised by the master's alarm table. */
  | { t: "alarm"; name: string; message: string };

/** Master → worker. */
export type MasterMessage =
  | { t: "stop" }
  /** Reopen the request log file (it was rotated or moved). */
  | { t: "log-reopen" }
  | { t: "table"; rows: WorkerRow[]; logsize: number; warning: string; legions: PublishedLegion[] };

/** True when `value` looks like a message of ours (IPC also carries user messages). */
export function isWorkerMessage(value: unknown): value is WorkerMessage {
  return typeof value === "object" && value !== null && typeof (value as { t?: unknown }).t === "string";
}

/** True when `value` looks like a master message. */
export function isMasterMessage(value: unknown): value is MasterMessage {
  return typeof value === "object" && value !== null && typeof (value as { t?: unknown }).t === "string";
}
