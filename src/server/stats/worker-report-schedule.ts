/**
 * When a worker sends its counters to the master. An idle worker sends nothing and arms no timer:
 * a report goes out `coalesceMs` after the counters change (so a busy worker reports at most
 * that often), and a periodic heartbeat runs only where the master needs one: `--harakiri` (the
 * master tells a blocked event loop by the silence), or figures that change on their own
 * (`--memory-report`'s rss, the runtime sample of `--stats`).
 * @module
 */
import type { WorkerState } from "../worker-state.js";

/** Timing of a worker's reports. */
export interface ReportTiming {
  /** Delay between a change and its report (ms). */
  readonly coalesceMs: number;
  /** Heartbeat period (ms); 0: no heartbeat. */
  readonly heartbeatMs: number;
}

/**
 * The heartbeat a worker needs: 500 ms with harakiri, 1 s when the report carries figures that
 * move by themselves, else none.
 */
export function heartbeatMs(opts: { harakiri: number; memoryReport: boolean; runtimeMetrics: boolean }): number {
  if (opts.harakiri > 0) return 500;
  return opts.memoryReport || opts.runtimeMetrics ? 1000 : 0;
}

/**
 * Schedules the reports of one worker.
 * @example
 * new WorkerReportSchedule(state, (heartbeat) => report(heartbeat), { coalesceMs: 200, heartbeatMs: 0 }).start();
 */
export class WorkerReportSchedule {
  readonly #state: WorkerState;
  readonly #report: (heartbeat: boolean) => void;
  readonly #timing: ReportTiming;
  #pending: NodeJS.Timeout | null = null;
  #heartbeat: NodeJS.Timeout | null = null;

  /** @param report sends the counters; `heartbeat` is true for a heartbeat (send even if unchanged). */
  constructor(state: WorkerState, report: (heartbeat: boolean) => void, timing: ReportTiming) {
    this.#state = state;
    this.#report = report;
    this.#timing = timing;
  }

  /** Starts reporting (timers are unref'd: they never keep the worker alive). */
  start(): void {
    this.#state.onDirty = () => this.#schedule();
    if (this.#state.dirty) this.#schedule();
    if (this.#timing.heartbeatMs > 0 && this.#heartbeat === null) {
      this.#heartbeat = setInterval(() => this.#report(true), this.#timing.heartbeatMs);
      this.#heartbeat.unref();
    }
  }

  /** Stops both timers. */
  stop(): void {
    this.#state.onDirty = null;
    if (this.#pending) clearTimeout(this.#pending);
    if (this.#heartbeat) clearInterval(this.#heartbeat);
    this.#pending = this.#heartbeat = null;
  }

  #schedule(): void {
    if (this.#pending !== null) return;
    this.#pending = setTimeout(() => {
      this.#pending = null;
      this.#report(false);
    }, this.#timing.coalesceMs);
    this.#pending.unref();
  }
}
