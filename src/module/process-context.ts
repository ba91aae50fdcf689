/**
 * What the `uwsgi` module needs from the process it runs in: its role, the engines of the
 * instance, how signals, mule messages and spool tasks leave this process, and the process-level
 * facts (worker table, master pid, sockets ...). One interface, two implementations: the stub's
 * (src/stub/, everything in this process) and the server's (src/server/runtime/, one per worker,
 * mule or spooler, reaching the master over IPC). {@link createModule} builds the module over it.
 * @module
 */
import type { Buffer } from "node:buffer";
import type { OptValue, SpoolerFunction, WorkerInfo } from "../api.js";
import type { CacheRegistry } from "../engines/cache/cache-registry.js";
import type { RedisCacheSet } from "../cluster/redis-cache.js";
import type { MetricsEngine } from "../engines/metrics/metrics-engine.js";
import type { LockTable } from "../engines/locks/lock-table.js";
import type { RpcRegistry } from "../engines/rpc/rpc-registry.js";
import type { SignalTable } from "../engines/signals/signal-table.js";
import type { ProcessRole } from "./process-role.js";
import type { SignalRouter, SignalSources } from "./signal-functions.js";
import type { SignalDelivery } from "./signal-delivery.js";
import type { MuleTransport } from "./mule-functions.js";
import type { SpoolerDeps } from "./spooler-functions.js";
import type { LegionSource } from "./legion-functions.js";
import type { RpcRouting } from "./rpc-functions.js";

/**
 * The engines of the instance as this process sees them. Accessors, because the stub rebuilds its
 * engines on `configure()`; the server's never change.
 */
export interface EngineSet {
  caches(): CacheRegistry;
  /** The Redis-backed caches (`--cache2 ...,backend=redis://...`), with this process's connections. */
  redisCaches?(): RedisCacheSet;
  /** Null when metrics are disabled. */
  metrics(): MetricsEngine | null;
  /** The user locks as the calling role may use them (spoolers are refused, as in uWSGI). */
  locks(): LockTable;
  /** This process's RPC functions (uWSGI's table is per process). */
  rpc(): RpcRegistry;
  /** This process's signal table. */
  signals(): SignalTable;
}

/** User-assigned callables and slots of the module (`uwsgi.spooler = fn` ...). */
export interface ModuleHooks {
  spooler: SpoolerFunction | null;
  mule_msg_hook: ((message: Buffer) => unknown) | null;
  post_fork_hook: (() => unknown) | null;
  /** Awaited before a worker exits gracefully (server/lifecycle/shutdown-hooks.ts). */
  atexit: (() => unknown) | null;
  applications: Record<string, unknown> | null;
}

/** Facts and actions about this process and its instance (section 8 of the behaviour spec). */
export interface ProcessInfo {
  readonly isStub: boolean;
  numproc(): number;
  bufferSize(): number;
  /** `--buffer-size` as request functions use it (uWSGI's default 4096 when unset). */
  requestBufferSize(): number;
  cores(): number;
  hasThreads(): boolean;
  hostname(): Buffer;
  magicTable(): Record<string, Buffer>;
  opt(): Record<string, OptValue>;
  sockets(): number[];
  startedOn(): number;
  version(): Buffer;
  versionInfo(): readonly [number, number, number, number, Buffer];
  masterpid(): number;
  workers(): WorkerInfo[];
  totalRequests(): number;
  /** Microseconds since the epoch now. */
  micros(): number;
  isAReload(): boolean;
  accepting(flag: boolean): void;
  reload(): boolean;
  stop(): boolean;
  setprocname(name: string): void;
  /** Arms (seconds > 0) or disarms (0) the per-process deadline; the argument is already checked. */
  setUserHarakiri(seconds: number): void;
  listenQueue(socketNum: number): number;
  setWarningMessage(message: string): boolean;
  /** Writes one line to the instance log. */
  log(message: string): void;
  /** Raises alarm `name` (`uwsgi.alarm`) where the instance's `--alarm`s are (the master). */
  raiseAlarm(name: string, message: string): void;
  /** Bytes written to the log. */
  logsize(): number;
}

/** The process a module instance runs in. */
export interface ProcessContext {
  /** Who is calling: the master (stub default), worker N, mule N or spooler N. */
  role(): ProcessRole;
  readonly process: ProcessInfo;
  readonly hooks: ModuleHooks;
  /** Where `signal(num)` goes: in-process in the stub, to the master in the server. */
  signalRouter(): SignalRouter;
  /** Where timers, crons and file monitors are registered. */
  signalSources(): SignalSources;
  /** Runs signals that reach this process and wakes `signal_wait`. */
  signalDelivery(): SignalDelivery;
  /** Mule and farm messages. */
  muleTransport(): MuleTransport;
  /** Spooler directories, notification, pids and frequency. */
  readonly spooler: Omit<SpoolerDeps, "role">;
  /** Whether this process may register RPC functions. */
  rpcMayRegister(): boolean;
  /**
   * Whether `register_signal` works in a mule or a spooler (the server: yes, they import the app;
   * the stub: no, as uWSGI).
   */
  signalChildrenMayRegister?(): boolean;
  /** Calls to RPC functions of other processes of the instance (null: none, as in the stub). */
  rpcRouting(): RpcRouting | null;
  /** What this instance knows of its legions (`i_am_the_lord` & co.). */
  readonly legion: LegionSource;
  /** `--socket-timeout` in ms: how long clients of other nodes (cache, RPC, signal) wait. */
  socketTimeoutMs(): number;
}
