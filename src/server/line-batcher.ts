/**
 * Batches a worker's request log lines: lines written during one turn of the event loop go out
 * in a single write, so logging costs one syscall per batch instead of one per request.
 * @module
 */

/** Collects lines and writes them together on the next turn of the event loop. */
export class LineBatcher {
  readonly #write: (text: string) => void;
  #lines: string[] = [];
  #scheduled = false;

  /** @param write receives whole lines (each ending with "\n"). */
  constructor(write: (text: string) => void) {
    this.#write = write;
  }

  /** Queues one line (without its newline). */
  line(text: string): void {
    this.#lines.push(text);
    if (!this.#scheduled) {
      this.#scheduled = true;
      setImmediate(() => this.flush());
    }
  }

  /** Writes the queued lines now. */
  flush(): void {
    this.#scheduled = false;
    if (this.#lines.length === 0) return;
    const text = this.#lines.join("\n") + "\n";
    this.#lines = [];
    this.#write(text);
  }
}
