/**
 * Timers, crons and file monitors that raise signals: a {@link SignalScheduler} driven by the
 * real clock (one timer armed for the next due time) or stepped by a manual clock, plus file
 * watchers. The stub runs one in its process; the server's master runs the instance's one.
 * @module
 */
import { existsSync, watch, type FSWatcher } from "node:fs";
import { UwsgiError } from "../errors.js";
import type { SignalScheduler } from "../engines/signals/signal-scheduler.js";
import type { SignalSources } from "./signal-functions.js";

/** Most file monitors, as uWSGI's table. */
export const MAX_FILE_MONITORS = 64;

/** A {@link SignalSources} that raises what its scheduler says is due. */
export class SignalSourceDriver implements SignalSources {
  #watchers: FSWatcher[] = [];
  #timer: NodeJS.Timeout | null = null;
  #stopped = false;

  /**
   * @param scheduler the scheduler (read each time: the stub replaces it on `configure()`).
   * @param raise raises one due signal (routes it); awaited in firing order.
   * @param realClock true: a timer fires due signals; false: the owner calls {@link fireDue}.
   */
  constructor(
    private readonly scheduler: () => SignalScheduler,
    private readonly raise: (num: number) => Promise<void> | void,
    private readonly realClock: () => boolean,
  ) {}

  addTimer(signum: number, seconds: number): void {
    this.scheduler().addTimer(signum, seconds);
    this.arm();
  }

  addMsTimer(signum: number, ms: number): void {
    this.scheduler().addMsTimer(signum, ms);
    this.arm();
  }

  addRbTimer(signum: number, seconds: number, repeat: number): void {
    this.scheduler().addRbTimer(signum, seconds, repeat);
    this.arm();
  }

  addCron(signum: number, minute: number, hour: number, day: number, month: number, weekday: number): boolean {
    const ok = this.scheduler().addCron(signum, minute, hour, day, month, weekday);
    this.arm();
    return ok;
  }

  /**
   * Watches `path` (non-recursively for a directory); each batch of events raises `signum` once,
   * as uWSGI raises one signal per inotify read.
   * @throws UwsgiError UWSGI_ERR_FILE_MONITOR_ADD when 64 monitors exist or the path does not exist.
   */
  addFileMonitor(signum: number, path: string): void {
    if (this.#watchers.length >= MAX_FILE_MONITORS) throw new UwsgiError("UWSGI_ERR_FILE_MONITOR_ADD", `at most ${MAX_FILE_MONITORS} file monitors`);
    if (!existsSync(path)) throw new UwsgiError("UWSGI_ERR_FILE_MONITOR_ADD", `${path} does not exist`);
    let queued = false;
    const watcher = watch(path, { persistent: false }, () => {
      if (queued) return;
      queued = true;
      setImmediate(() => {
        queued = false;
        void this.raise(signum);
      });
    });
    watcher.on("error", () => undefined);
    this.#watchers.push(watcher);
  }

  /** Raises the signals that are due now, in firing order; returns their numbers. */
  async fireDue(): Promise<number[]> {
    const fired = this.scheduler().due();
    for (const num of fired) await this.raise(num);
    return fired;
  }

  /** (Re)arms the real-clock timer for the scheduler's next due time. */
  arm(): void {
    if (this.#timer) clearTimeout(this.#timer);
    this.#timer = null;
    if (this.#stopped || !this.realClock()) return;
    const next = this.scheduler().nextDueMs();
    if (next === null) return;
    this.#timer = setTimeout(() => {
      this.#timer = null;
      void this.fireDue().finally(() => this.arm());
    }, Math.max(0, next - this.scheduler().nowMs()));
    this.#timer.unref();
  }

  /** Stops the timer and closes the watchers; {@link arm} may start again later. */
  clear(): void {
    if (this.#timer) clearTimeout(this.#timer);
    this.#timer = null;
    for (const w of this.#watchers) w.close();
    this.#watchers = [];
  }

  /** Stops for good (the process is leaving). */
  stop(): void {
    this.#stopped = true;
    this.clear();
  }
}
