/**
 * An interval that runs only while there is work: `arm()` (on the first item) starts it, each
 * tick is followed by a look at `busy()`, and a tick that leaves nothing to do stops it, so an
 * idle process arms no timer for the feature. The timer is unref'd: it never keeps a process
 * alive. Used by the connection sweep, the in-flight harakiri check and the uwsgi protocol's read
 * deadlines.
 * @module
 */

/** A periodic job armed while `busy()` holds. */
export class BusyInterval {
  readonly #periodMs: number;
  readonly #tick: () => void;
  readonly #busy: () => boolean;
  #timer: NodeJS.Timeout | null = null;

  /**
   * @param periodMs time between ticks.
   * @param tick the periodic job.
   * @param busy whether work remains; checked after every tick, the interval stops when false.
   * @example
   * ```ts
   * const sweeper = new BusyInterval(250, () => sweep(), () => open.size > 0);
   * open.add(conn);
   * sweeper.arm(); // harmless when already running
   * ```
   */
  constructor(periodMs: number, tick: () => void, busy: () => boolean) {
    this.#periodMs = periodMs;
    this.#tick = tick;
    this.#busy = busy;
  }

  /** Whether the interval is running. */
  get armed(): boolean {
    return this.#timer !== null;
  }

  /** Starts the interval unless it is running. */
  arm(): void {
    if (this.#timer !== null) return;
    this.#timer = setInterval(() => {
      this.#tick();
      if (this.#timer !== null && !this.#busy()) this.disarm();
    }, this.#periodMs);
    this.#timer.unref();
  }

  /** Stops the interval (harmless when it is not running). */
  disarm(): void {
    if (this.#timer === null) return;
    clearInterval(this.#timer);
    this.#timer = null;
  }
}
