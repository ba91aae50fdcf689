/**
 * Time sources. Engines never read `Date.now()` directly: they take a {@link Clock}, so the stub
 * can move time by hand and the server uses the wall clock.
 * @module
 */

/** A source of wall-clock time in milliseconds since the Unix epoch. */
export interface Clock {
  nowMs(): number;
}

/** The real wall clock. */
export const systemClock: Clock = { nowMs: () => Date.now() };

/** Whole Unix seconds of a clock, as uWSGI stores expiry times. */
export function unixSeconds(clock: Clock): number {
  return Math.floor(clock.nowMs() / 1000);
}

/** A clock that only moves when told to; the stub's default clock in tests. */
export class ManualClock implements Clock {
  #ms: number;
  constructor(startMs: number = Date.now()) {
    this.#ms = startMs;
  }
  nowMs(): number {
    return this.#ms;
  }
  /** Moves the clock forward by `ms` milliseconds (negative values are rejected). */
  advance(ms: number): void {
    if (!(ms >= 0)) throw new RangeError(`cannot move the clock by ${ms} ms`);
    this.#ms += ms;
  }
  /** Sets the clock to an absolute time. */
  set(ms: number): void {
    this.#ms = ms;
  }
}
