/**
 * The master's adaptive worker count: `--cheaper` (uWSGI's cheaper subsystem: between
 * `--cheaper` and `--processes` workers, decided once a second by the chosen algorithm, see
 * cheaper-algo.ts), the master FIFO's `+`/`-`, and `--idle` (after that many seconds without a
 * request every worker is stopped, "cheap mode"; the first connection waiting in a TCP listen
 * queue brings `--cheaper-initial` workers, or all of them, back).
 *
 * Workers are removed gracefully (their requests finish, the app's shutdown hooks run), oldest
 * idle first, as uWSGI does; a removed worker's slot shows status "cheap" and pid 0 in the stats.
 * uWSGI's workers serve milliseconds after the fork, ours once the app is imported, which can
 * take seconds: while a worker is still starting the algorithm's checks wait (the count it would
 * judge is not serving yet: a starting worker seen as idle got the only serving one removed, seen
 * as busy got more added during start-up), and the FIFO's `-` takes the youngest starting worker
 * before any serving one. So a serving worker is never stopped while another is still starting.
 * @module
 */
import { createCheaperAlgo, type CheaperAlgo } from "./cheaper-algo.js";
import type { CheaperSettings } from "./cheaper-settings.js";

/** How often the algorithm runs (ms): uWSGI's master cycle. */
export const CHEAPER_CHECK_MS = 1000;

/** A worker slot as the elastic logic sees it. */
export interface ElasticSlot {
  readonly id: number;
  /** True when the slot has no process on purpose. */
  readonly cheaped: boolean;
  /** The slot's process is serving a request now. */
  readonly busy: boolean;
  /** The slot's process is still loading the app. */
  readonly starting: boolean;
  /** Unix ms its process was spawned (0 without one). */
  readonly spawnedAt: number;
  /** Requests completed by the slot so far (for --idle). */
  readonly requests: number;
}

/** What the master lets the elastic logic do. */
export interface ElasticHost {
  slots(): readonly ElasticSlot[];
  /** Starts a process in a cheaped slot. */
  spawn(id: number): void;
  /** Stops the slot's process gracefully and leaves the slot cheaped. */
  cheap(id: number): void;
  /** Longest listen queue among the TCP sockets. */
  backlog(): number;
  /** True while a reload or stop is in progress (nothing changes then). */
  busyWithLifecycle(): boolean;
  log(line: string): void;
}

/** The adaptive worker count of one master. */
export class ElasticWorkers {
  readonly #cheaper: CheaperSettings | null;
  readonly #idleMs: number;
  readonly #host: ElasticHost;
  readonly #algo: CheaperAlgo | null;
  #lastCheck = Date.now();
  #lastRequests = -1;
  #lastActivity = Date.now();
  #cheapMode = false;

  constructor(cheaper: CheaperSettings | null, idleSeconds: number, host: ElasticHost) {
    this.#cheaper = cheaper;
    this.#idleMs = idleSeconds * 1000;
    this.#host = host;
    this.#algo = cheaper ? createCheaperAlgo(cheaper.algo, cheaper) : null;
  }

  /** Whether the worker count can change (FIFO `+`/`-` need it). */
  get enabled(): boolean {
    return this.#cheaper !== null;
  }

  /** How many of `processes` slots start with a process. */
  initialWorkers(processes: number): number {
    return this.#cheaper?.initial ?? processes;
  }

  /** Called on every master tick. */
  tick(now: number): void {
    if (this.#host.busyWithLifecycle()) return;
    const slots = this.#host.slots();
    if (this.#idleMs > 0) this.#checkIdle(now, slots);
    if (this.#cheapMode || !this.#algo || now - this.#lastCheck < CHEAPER_CHECK_MS) return;
    this.#lastCheck = now;
    const active = slots.filter((s) => !s.cheaped);
    if (active.some((s) => s.starting)) return;
    const delta = this.#algo({
      active: active.length,
      busy: active.filter((s) => s.busy).length,
      cheaped: slots.length - active.length,
      backlog: this.#cheaper!.algo === "backlog" ? this.#host.backlog() : 0,
    });
    if (delta > 0) this.#add(delta, slots);
    else if (delta < 0) this.#remove(slots);
  }

  /** Master FIFO `+` (1) / `-` (-1). */
  change(delta: 1 | -1): void {
    if (!this.#cheaper) {
      this.#host.log(`master fifo ${delta > 0 ? "+" : "-"}: not in cheaper mode (--cheaper), the worker count is fixed`);
      return;
    }
    const slots = this.#host.slots();
    if (delta > 0) {
      if (!this.#add(1, slots)) this.#host.log("cheaper: every worker is already running");
    } else if (slots.filter((s) => !s.cheaped).length <= this.#cheaper.min) {
      this.#host.log(`cheaper: already at --cheaper ${this.#cheaper.min} worker(s)`);
    } else if (!this.#remove(slots)) {
      this.#host.log("cheaper: no idle worker to remove");
    }
  }

  #add(n: number, slots: readonly ElasticSlot[]): number {
    const cheaped = slots.filter((s) => s.cheaped).slice(0, n);
    let running = slots.length - slots.filter((x) => x.cheaped).length;
    for (const s of cheaped) {
      this.#host.log(`cheaper: spawning worker ${s.id} (${++running} of ${slots.length} running)`);
      this.#host.spawn(s.id);
    }
    return cheaped.length;
  }

  /**
   * Removes the youngest worker still starting (it serves nobody yet), else the oldest idle
   * running one (uWSGI's choice); false when none is starting or idle.
   */
  #remove(slots: readonly ElasticSlot[]): boolean {
    let victim: ElasticSlot | null = null;
    for (const s of slots) {
      if (s.cheaped || !s.starting) continue;
      if (!victim || s.spawnedAt >= victim.spawnedAt) victim = s;
    }
    if (!victim) {
      for (const s of slots) {
        if (s.cheaped || s.busy) continue;
        if (!victim || s.spawnedAt < victim.spawnedAt) victim = s;
      }
    }
    if (!victim) return false;
    this.#host.log(`cheaper: stopping worker ${victim.id} (${slots.filter((x) => !x.cheaped).length - 1} of ${slots.length} left running)`);
    this.#host.cheap(victim.id);
    return true;
  }

  #checkIdle(now: number, slots: readonly ElasticSlot[]): void {
    const requests = slots.reduce((sum, s) => sum + s.requests, 0);
    if (requests !== this.#lastRequests || slots.some((s) => s.busy || s.starting)) {
      this.#lastRequests = requests;
      this.#lastActivity = now;
    }
    if (this.#cheapMode) {
      if (this.#host.backlog() > 0) {
        this.#cheapMode = false;
        this.#lastActivity = now;
        const n = this.initialWorkers(slots.length);
        this.#host.log(`connection waiting: leaving cheap mode, spawning ${n} worker(s)`);
        for (const s of slots.slice(0, n)) if (s.cheaped) this.#host.spawn(s.id);
      }
      return;
    }
    if (now - this.#lastActivity >= this.#idleMs) {
      this.#cheapMode = true;
      this.#host.log(`workers have been inactive for more than ${this.#idleMs / 1000} seconds: cheap mode, stopping every worker until a connection waits`);
      for (const s of slots) if (!s.cheaped) this.#host.cheap(s.id);
    }
  }
}
