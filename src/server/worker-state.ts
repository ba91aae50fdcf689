/**
 * A worker's own state: who it is, its counters (requests, exceptions, bytes sent, time spent,
 * requests in flight), and the worker table the master last sent. The request runner updates
 * it; the runtime backend reads it for `worker_id()`, `workers()`, `total_requests()` ...
 *
 * It lives on `globalThis` under a registered symbol, so two copies of uwsgi-node loaded in the
 * same worker (the CLI's and the app's) still share it.
 * @module
 */
import { IntrusiveList, type ListLinks } from "../core/intrusive-list.js";
import type { ChildIdentity, WorkerPlan } from "./child-environment.js";
import type { WorkerCounters, WorkerRow } from "./ipc-messages.js";
import { defaultModifierRegistry } from "./uwsgi-protocol/modifier-handlers.js";

/**
 * A request being served, for the oldest-request (harakiri) check. The worker state keeps flights
 * in an {@link IntrusiveList} (in start order, so the oldest is the first): no allocation per request.
 */
export interface Flight extends ListLinks {
  readonly startMs: number;
  /**
   * Ends the request now (harakiri while the event loop is free): 504 if nothing was sent yet,
   * else its connection is dropped. Returns what the request was, for the log (`GET /x`).
   */
  abort(): string;
}

/** State of the worker process running this code. */
export class WorkerState {
  readonly identity: ChildIdentity;
  readonly plan: WorkerPlan;
  /** Requests completed by this process (uWSGI's `delta_requests`). */
  requests = 0;
  exceptions = 0;
  /** Requests this process ended itself past `--harakiri` (its event loop free). */
  harakiriAborts = 0;
  tx = 0;
  /** µs spent in requests. */
  runningTime = 0;
  /** µs, running average `(old + new) / 2`. */
  avgRt = 0;
  accepting = true;
  /** Set once the app is loaded and the sockets listen. */
  ready = false;
  /** Set when the worker stops accepting (reload, recycle, shutdown). */
  draining = false;
  /** The worker table as the master last sent it. */
  rows: WorkerRow[] = [];
  /** Log bytes written, as the master last reported. */
  logsize = 0;
  /** The instance's `set_warning_message` text (ping replies with it). */
  warning = "";
  /** `set_user_harakiri` was armed during a request: disarmed when that request ends, as in uWSGI. */
  userHarakiriArmed = false;
  /** Unix ms the app finished loading. */
  appLoadMs = 0;
  /** Signals whose handler ran in this process (uWSGI's per-worker `signals`). */
  signals = 0;
  /** The signal whose handler is running now, or null (the status shows `sigN` meanwhile). */
  runningSignal: number | null = null;
  #dirty = true;
  /**
   * Called when {@link dirty} turns true (the worker's reporter schedules a report then, instead of
   * polling the flag on a timer).
   */
  onDirty: (() => void) | null = null;
  /** Called when a request begins while none was in flight (the harakiri check arms itself then). */
  onFirstFlight: (() => void) | null = null;
  readonly #flights = new IntrusiveList<Flight>();

  constructor(identity: ChildIdentity, plan: WorkerPlan) {
    this.identity = identity;
    this.plan = plan;
  }

  /** Changes not yet reported to the master. */
  get dirty(): boolean {
    return this.#dirty;
  }

  set dirty(value: boolean) {
    if (value && !this.#dirty) {
      this.#dirty = true;
      this.onDirty?.();
      return;
    }
    this.#dirty = value;
  }

  /** Requests in flight now. */
  get inFlight(): number {
    return this.#flights.size;
  }

  /** `sigN` while a signal handler runs, else `busy` with requests in flight, else `idle`. */
  status(): string {
    if (this.runningSignal !== null) return `sig${this.runningSignal}`;
    return this.#flights.size > 0 ? "busy" : "idle";
  }

  /** Records the start of a request (`flight` must not be in flight already). */
  begin(flight: Flight): void {
    this.#flights.append(flight);
    if (this.#flights.size === 1) this.onFirstFlight?.();
    this.dirty = true;
  }

  /** Records the end of a request begun with {@link WorkerState.begin}. */
  end(flight: Flight, micros: number, txBytes: number, failed: boolean): void {
    this.#flights.remove(flight);
    this.requests++;
    if (failed) this.exceptions++;
    this.tx += txBytes;
    this.runningTime += micros;
    this.avgRt = this.avgRt === 0 ? micros : Math.round((this.avgRt + micros) / 2);
    this.dirty = true;
  }

  /** Requests that started at or before `startedBy` (unix ms), oldest first. */
  flightsStartedBy(startedBy: number): Flight[] {
    const out: Flight[] = [];
    for (let f = this.#flights.first; f !== null && f.startMs <= startedBy; f = this.#flights.next(f)) out.push(f);
    return out;
  }

  /** Start of the oldest request in flight (unix ms), 0 when idle. */
  oldestStart(): number {
    return this.#flights.first?.startMs ?? 0;
  }

  /** The slot's request total: processes before this one plus this one's live count. */
  slotRequests(): number {
    const id = this.identity.id;
    for (const row of this.rows) if (row.id === id) return this.#slotBefore(row) + this.requests;
    return this.requests;
  }

  /** Requests completed by the whole instance (others as last reported, this one live). */
  totalRequests(): number {
    const id = this.identity.id;
    let total = this.requests;
    for (const row of this.rows) total += row.id === id ? this.#slotBefore(row) : row.requests;
    return total;
  }

  /** The requests of this slot's row that are not this process's live count (the request log reads both totals on every request: loops, no closure). */
  #slotBefore(row: WorkerRow): number {
    return row.pid === process.pid ? row.requests - row.delta_requests : row.requests;
  }

  /** The counters reported to the master. */
  counters(memory: { rss: number; vsz: number } | null): WorkerCounters {
    return {
      requests: this.requests,
      exceptions: this.exceptions,
      tx: this.tx,
      runningTime: this.runningTime,
      avgRt: this.avgRt,
      inFlight: this.#flights.size,
      oldestStart: this.oldestStart(),
      accepting: this.accepting && !this.draining,
      rss: memory?.rss ?? 0,
      vsz: memory?.vsz ?? 0,
      remoteRefused: defaultModifierRegistry.refused,
      harakiri: this.harakiriAborts,
    };
  }
}

const KEY = Symbol.for("uwsgi-node.worker-state");

/** The worker state of this process, or null outside a worker. */
export function workerState(): WorkerState | null {
  return ((globalThis as Record<symbol, unknown>)[KEY] as WorkerState | undefined) ?? null;
}

/** Installs the worker state (done once by the worker entry). */
export function installWorkerState(state: WorkerState): void {
  (globalThis as Record<symbol, unknown>)[KEY] = state;
}
