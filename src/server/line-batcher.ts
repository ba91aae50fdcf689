/**
 * Batches a worker's request log lines: lines queued within {@link FLUSH_DELAY_MS} of the first
 * one of a batch go out in a single write (or sooner, once {@link FLUSH_BYTES} are waiting), so
 * logging costs one write(2) and one timer per batch instead of a write and an event-loop
 * callback per request. The batch is written whole before the worker exits (graceful stop,
 * reload, recycling, an uncaught exception: `flush` runs on process exit), before the log is
 * reopened, and when it fills up; only a SIGKILL can take the lines of the last few
 * milliseconds with it.
 * @module
 */

/** Longest time a queued line waits before it is written (ms). */
export const FLUSH_DELAY_MS = 10;
/** Characters waiting that make the batch be written at once. */
export const FLUSH_BYTES = 32 * 1024;

/** Collects lines and writes them together, at most {@link FLUSH_DELAY_MS} after the first. */
export class LineBatcher {
  readonly #write: (text: string) => void;
  #text = "";
  /** One timer for the batcher's life, re-armed with refresh() (no allocation per batch). */
  #timer: NodeJS.Timeout | null = null;
  #armed = false;

  /** @param write receives whole lines (each ending with "\n"). */
  constructor(write: (text: string) => void) {
    this.#write = write;
  }

  /** Queues one line (without its newline). */
  line(text: string): void {
    this.#text += text + "\n";
    if (this.#text.length >= FLUSH_BYTES) {
      this.flush();
      return;
    }
    if (this.#armed) return;
    this.#armed = true;
    if (this.#timer === null) {
      this.#timer = setTimeout(() => this.#tick(), FLUSH_DELAY_MS);
      // the worker's life does not depend on its log; exit paths flush explicitly
      this.#timer.unref();
    } else {
      this.#timer.refresh();
    }
  }

  /**
   * The timer: writes the batch and, while lines keep coming, stays armed (re-armed from its own
   * callback, which keeps Node's timer list for this duration instead of building it again per
   * batch); a tick with nothing to write disarms it, so an idle worker has no timer.
   */
  #tick(): void {
    if (this.#text === "") {
      this.#armed = false;
      return;
    }
    this.flush();
    this.#timer!.refresh();
  }

  /** Writes the queued lines now. */
  flush(): void {
    if (this.#text === "") return;
    const text = this.#text;
    this.#text = "";
    this.#write(text);
  }
}
