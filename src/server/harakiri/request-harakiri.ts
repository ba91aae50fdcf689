/**
 * Harakiri that fits an event loop. uWSGI kills a worker whose request runs past `--harakiri`:
 * there, a worker serves one request at a time, so the kill ends that request alone. A Node
 * worker serves many at once on one event loop, so a kill for one slow request (a stalled
 * upload, an awaited call that never settles) would take every other request in flight with it.
 *
 * So the worker ends such a request itself, while its event loop is free: 504 (or the connection
 * dropped if the response had started), logged with uWSGI's harakiri lines, counted in the
 * worker's `harakiri_count`. The worker and its other requests live on. Only when the loop is
 * blocked (nothing can run in the worker) does the master kill it: its heartbeat stops, or a
 * request outlives the deadline by the master's grace period.
 * @module
 */
import type { WorkerState } from "../worker-state.js";
import { BusyInterval } from "../../core/busy-interval.js";

/** Ends requests running longer than `harakiriSeconds` in a worker whose event loop is free. */
export class RequestHarakiri {
  readonly #state: WorkerState;
  readonly #limitMs: number;
  readonly #log: (line: string) => void;
  readonly #checker: BusyInterval;

  constructor(state: WorkerState, harakiriSeconds: number, log: (line: string) => void) {
    this.#state = state;
    this.#limitMs = harakiriSeconds * 1000;
    this.#log = log;
    this.#checker = new BusyInterval(Math.min(250, Math.max(50, Math.floor(this.#limitMs / 4))), () => this.check(), () => this.#state.inFlight > 0);
  }

  /**
   * Checks a few times per second (unref'd) while requests are in flight; an idle worker arms no
   * timer for it (the first request arms it, a check that finds none in flight disarms it).
   */
  start(): void {
    if (this.#limitMs <= 0) return;
    this.#state.onFirstFlight = () => this.#checker.arm();
    if (this.#state.inFlight > 0) this.#checker.arm();
  }

  stop(): void {
    this.#state.onFirstFlight = null;
    this.#checker.disarm();
  }

  /** Whether the check timer is armed (requests are in flight). */
  get armed(): boolean {
    return this.#checker.armed;
  }

  /** Ends every request past the deadline at `now` (exposed for tests). */
  check(now: number = Date.now()): void {
    const state = this.#state;
    for (const flight of state.flightsStartedBy(now - this.#limitMs)) {
      state.harakiriAborts++;
      state.dirty = true;
      const id = state.identity.id;
      const what = flight.abort();
      this.#log(`*** HARAKIRI ON WORKER ${id} (pid: ${process.pid}, try: 1) ***`);
      this.#log(
        `HARAKIRI: --- uWSGI worker ${id} (pid: ${process.pid}) WAS managing request ${what} since ${new Date(flight.startMs).toUTCString()} --- ` +
          `ended alone after ${((now - flight.startMs) / 1000).toFixed(1)} seconds (the event loop is free: the worker and its other requests go on)`,
      );
    }
  }
}
