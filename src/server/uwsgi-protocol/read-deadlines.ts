/**
 * Deadlines for connections that must deliver something within a time limit (a uwsgi packet
 * within `--socket-timeout`). One unref'd sweep timer serves every connection, so the common
 * case (the packet arrives in the first read) costs a Map insert and delete instead of a timer
 * per connection.
 * @module
 */

/** Tracks items until they are done or their deadline passes. */
export class ReadDeadlines<T extends object> {
  readonly #pending = new Map<T, number>();
  readonly #timeoutMs: number;
  readonly #onExpire: (item: T) => void;
  #timer: NodeJS.Timeout | null = null;

  /**
   * @param timeoutMs time allowed per item; expiry is detected within a quarter of it.
   * @param onExpire called once for an item whose deadline passed (it is forgotten first).
   */
  constructor(timeoutMs: number, onExpire: (item: T) => void) {
    this.#timeoutMs = timeoutMs;
    this.#onExpire = onExpire;
  }

  /** Starts the clock for `item`. */
  add(item: T): void {
    this.#pending.set(item, performance.now() + this.#timeoutMs);
    if (this.#timer === null) {
      this.#timer = setInterval(() => this.#sweep(), Math.max(5, Math.floor(this.#timeoutMs / 4)));
      this.#timer.unref();
    }
  }

  /** Forgets `item` (it delivered, or was closed). */
  delete(item: T): void {
    this.#pending.delete(item);
  }

  #sweep(): void {
    const now = performance.now();
    for (const [item, deadline] of this.#pending) {
      if (deadline > now) continue;
      this.#pending.delete(item);
      this.#onExpire(item);
    }
    if (this.#pending.size === 0 && this.#timer !== null) {
      clearInterval(this.#timer);
      this.#timer = null;
    }
  }
}
