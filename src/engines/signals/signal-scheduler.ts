/**
 * Timers, red-black timers and signal crons in one scheduler driven by any {@link Clock}: the
 * server's master polls it from its loop, the stub from its manual clock. It only says which
 * signals are due; raising and routing them is the caller's job.
 * @module
 */
import { UwsgiError } from "../../errors.js";
import type { Clock } from "../../core/clock.js";
import { validateCronFields } from "../cron/cron-matcher.js";
import { CronTracker } from "../cron/cron-tracker.js";
import { checkSignalNumber } from "./signal-number.js";

/** uWSGI's table sizes: 64 timers, 64 red-black timers, 64 signal crons. */
export const MAX_TIMERS = 64;
/** Maximum red-black timers (finished ones keep their slot, as in uWSGI). */
export const MAX_RB_TIMERS = 64;
/** Maximum signal crons. */
export const MAX_CRONS = 64;
/**
 * Most firings of one timer reported by a single `due()` call. When the clock jumped further,
 * the older periods are dropped and the timer continues on its period grid.
 */
export const MAX_CATCH_UP_FIRES = 100;

/** Longest period accepted, in milliseconds (uWSGI keeps seconds in a C int). */
const MAX_PERIOD_MS = 2 ** 31 * 1000;

interface Timer {
  readonly signum: number;
  /** Period in ms; 0 never fires. */
  readonly periodMs: number;
  nextMs: number;
  /** Firings left (Infinity = forever). */
  remaining: number;
}

interface Cron {
  readonly signum: number;
  readonly tracker: CronTracker;
}

/** How many entries each table holds. */
export interface SchedulerCounts {
  readonly timers: number;
  readonly rbTimers: number;
  readonly crons: number;
}

/**
 * Decides when timer and cron signals are due.
 * @example
 * const clock = new ManualClock(0);
 * const s = new SignalScheduler(clock);
 * s.addTimer(17, 10);
 * clock.advance(25_000);
 * s.due(); // [17, 17]
 */
export class SignalScheduler {
  readonly #timers: Timer[] = [];
  readonly #rbTimers: Timer[] = [];
  readonly #crons: Cron[] = [];

  constructor(private readonly clock: Clock) {}

  /**
   * Raises `signum` every `seconds`, first after one period. `seconds` 0 registers a timer that
   * never fires (as in uWSGI).
   * @throws UwsgiError `UWSGI_ERR_SIGNAL_INVALID`; `UWSGI_ERR_TIMER_ADD` for a negative or
   *   non-integer period or when 64 timers exist.
   */
  addTimer(signum: number, seconds: number): void {
    this.#addPeriodic(this.#timers, MAX_TIMERS, "timers", signum, seconds, 1000, Infinity, true);
  }

  /** Like {@link addTimer} with a period in milliseconds (shares the 64-timer table). */
  addMsTimer(signum: number, ms: number): void {
    this.#addPeriodic(this.#timers, MAX_TIMERS, "timers", signum, ms, 1, Infinity, true);
  }

  /**
   * Raises `signum` every `seconds` (at least 1), `repeat` times (0 = forever).
   * @throws UwsgiError `UWSGI_ERR_SIGNAL_INVALID`; `UWSGI_ERR_TIMER_ADD` for a period that is not
   *   an integer >= 1 (uWSGI would spin on 0), a negative or non-integer `repeat`, or when 64
   *   red-black timers exist.
   */
  addRbTimer(signum: number, seconds: number, repeat = 0): void {
    if (!Number.isInteger(repeat) || repeat < 0) {
      throw new UwsgiError("UWSGI_ERR_TIMER_ADD", `repeat must be an integer >= 0 (0 = forever), got ${String(repeat)}`);
    }
    this.#addPeriodic(this.#rbTimers, MAX_RB_TIMERS, "rb timers", signum, seconds, 1000, repeat === 0 ? Infinity : repeat, false);
  }

  /**
   * Raises `signum` once in every local-time minute matching the fields (-1 any, -N every N).
   * @returns true, as uWSGI's `add_cron`.
   * @throws UwsgiError `UWSGI_ERR_SIGNAL_INVALID`; `UWSGI_ERR_CRON_ADD` naming a bad field or
   *   when 64 crons exist.
   */
  addCron(signum: number, minute = -1, hour = -1, day = -1, month = -1, weekday = -1): true {
    checkSignalNumber(signum);
    const fields = { minute, hour, day, month, weekday };
    validateCronFields(fields);
    if (this.#crons.length >= MAX_CRONS) throw new UwsgiError("UWSGI_ERR_CRON_ADD", `you can register max ${MAX_CRONS} crons`);
    this.#crons.push({ signum, tracker: new CronTracker(fields, this.clock.nowMs()) });
    return true;
  }

  /**
   * The signals whose time has come since the last call, up to the clock's now, oldest first
   * (ties: timers, then red-black timers, then crons, each in the order added). A timer fires once per elapsed period (at most
   * {@link MAX_CATCH_UP_FIRES} per call); a cron once per matching minute.
   */
  due(): number[] {
    const now = this.clock.nowMs();
    const events: Array<{ at: number; signum: number }> = [];
    for (const timer of [...this.#timers, ...this.#rbTimers]) {
      if (timer.periodMs === 0 || timer.remaining === 0 || timer.nextMs > now) continue;
      const elapsed = Math.floor((now - timer.nextMs) / timer.periodMs) + 1;
      const fires = Math.min(elapsed, MAX_CATCH_UP_FIRES, timer.remaining);
      for (let i = 0; i < fires; i++) events.push({ at: timer.nextMs + i * timer.periodMs, signum: timer.signum });
      timer.remaining -= fires;
      timer.nextMs += elapsed * timer.periodMs;
    }
    for (const cron of this.#crons) {
      for (const at of cron.tracker.due(now)) events.push({ at, signum: cron.signum });
    }
    return events.sort((a, b) => a.at - b.at).map((e) => e.signum);
  }

  /**
   * The earliest time (ms) `due()` may return something: the next timer expiry, or for crons the
   * start of the next minute not yet evaluated. Null when nothing can ever fire.
   */
  nextDueMs(): number | null {
    let next: number | null = null;
    for (const timer of [...this.#timers, ...this.#rbTimers]) {
      if (timer.periodMs > 0 && timer.remaining > 0 && (next === null || timer.nextMs < next)) next = timer.nextMs;
    }
    for (const cron of this.#crons) {
      const at = cron.tracker.nextCheckMs();
      if (next === null || at < next) next = at;
    }
    return next;
  }

  /** The scheduler's clock now (ms): what due times are compared with. */
  nowMs(): number {
    return this.clock.nowMs();
  }

  /** Entries in each table (finished red-black timers included). */
  counts(): SchedulerCounts {
    return { timers: this.#timers.length, rbTimers: this.#rbTimers.length, crons: this.#crons.length };
  }

  #addPeriodic(table: Timer[], max: number, what: string, signum: number, period: number, unitMs: number, remaining: number, zeroAllowed: boolean): void {
    checkSignalNumber(signum);
    const min = zeroAllowed ? 0 : 1;
    if (typeof period !== "number" || !Number.isInteger(period) || period < min || period * unitMs > MAX_PERIOD_MS) {
      throw new UwsgiError("UWSGI_ERR_TIMER_ADD", `the period must be an integer >= ${min}, got ${String(period)}`);
    }
    if (table.length >= max) throw new UwsgiError("UWSGI_ERR_TIMER_ADD", `you can register max ${max} ${what}`);
    const periodMs = period * unitMs;
    table.push({ signum, periodMs, nextMs: this.clock.nowMs() + periodMs, remaining });
  }
}
