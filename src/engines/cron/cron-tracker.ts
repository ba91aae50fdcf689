/**
 * When a cron entry is due: once per matching calendar minute. uWSGI instead fires a matching
 * entry whenever 60 s have passed since it last fired, so an every-minute entry added at :30
 * fires at :30 of each minute; here it fires in the first evaluation of each matching minute.
 * @module
 */
import { cronMatches, type CronFields } from "./cron-matcher.js";

/** How far back missed minutes are caught up after a clock jump (24 hours). */
export const CRON_CATCH_UP_MINUTES = 24 * 60;

const MINUTE_MS = 60_000;

/**
 * Tracks one cron entry. Each matching minute fires once, on the first evaluation within it;
 * minutes skipped between evaluations (a clock moved by hand, a suspended machine) are caught up,
 * at most {@link CRON_CATCH_UP_MINUTES} back. A minute is never evaluated twice, so when the
 * clock goes backwards the entry stays quiet until time passes the minutes it already evaluated.
 * @example
 * const t = new CronTracker({ minute: 0, hour: -1, day: -1, month: -1, weekday: -1 }, clock.nowMs());
 * t.due(clock.nowMs()); // [] unless it is hh:00 now
 */
export class CronTracker {
  /** Epoch-minute index of the first minute not yet evaluated. */
  #nextMinute: number;
  readonly #startMs: number;

  /** @param startMs when the entry was added: its own minute is the first one evaluated. */
  constructor(readonly fields: CronFields, startMs: number) {
    this.#startMs = startMs;
    this.#nextMinute = Math.floor(startMs / MINUTE_MS);
  }

  /**
   * Evaluates every minute not yet evaluated up to `nowMs`'s minute.
   * @returns one time (ms) per matching minute, oldest first: the minute's start, or the time
   *   the entry was added for the minute it was added in.
   */
  due(nowMs: number): number[] {
    const nowMinute = Math.floor(nowMs / MINUTE_MS);
    const out: number[] = [];
    for (let m = Math.max(this.#nextMinute, nowMinute - CRON_CATCH_UP_MINUTES + 1); m <= nowMinute; m++) {
      if (cronMatches(this.fields, new Date(m * MINUTE_MS))) out.push(Math.max(m * MINUTE_MS, this.#startMs));
    }
    this.#nextMinute = Math.max(this.#nextMinute, nowMinute + 1);
    return out;
  }

  /** Start (ms) of the next minute that has not been evaluated: poll no later than this. */
  nextCheckMs(): number {
    return this.#nextMinute * MINUTE_MS;
  }
}
