/**
 * Runs signals that reach this process: the handler registered in this process's table runs
 * first, then any `signal_wait` waiting for that number (or for any) is woken.
 * @module
 */
import type { SignalTable } from "../engines/signals/signal-table.js";

interface Waiter {
  readonly num: number | null;
  readonly resolve: (num: number) => void;
}

/** Delivers signals to handlers and waiters of one process. */
export class SignalDelivery {
  #waiters: Waiter[] = [];
  /** Signals delivered with no handler and no waiter (uWSGI logs "error managing signal"). */
  unhandled = 0;
  /** Signals whose handler threw. */
  failed = 0;
  /** Signals handled in total. */
  handled = 0;

  constructor(
    private readonly table: () => SignalTable,
    private readonly onError: (message: string, err?: unknown) => void,
  ) {}

  /** Runs the handler for `num` (awaiting it when it returns a promise), then wakes waiters. */
  async deliver(num: number): Promise<void> {
    const entry = this.table().handlerFor(num);
    let handled = false;
    if (entry) {
      handled = true;
      try {
        await entry.handler(num);
        this.handled++;
      } catch (err) {
        this.failed++;
        this.onError(`error managing signal ${num}`, err);
      }
    }
    const woken = this.#waiters.filter((w) => w.num === null || w.num === num);
    if (woken.length > 0) {
      handled = true;
      this.#waiters = this.#waiters.filter((w) => !woken.includes(w));
      for (const w of woken) w.resolve(num);
    }
    if (!handled) {
      this.unhandled++;
      this.onError(`error managing signal ${num}: no handler registered in this process`);
    }
  }

  /** Resolves with the number of the next signal delivered (`num` only, or any when null). */
  wait(num: number | null): Promise<number> {
    return new Promise((resolve) => this.#waiters.push({ num, resolve }));
  }

  /** Number of `signal_wait` calls currently waiting. */
  get waiting(): number {
    return this.#waiters.length;
  }
}
