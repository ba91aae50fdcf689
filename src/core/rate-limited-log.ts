/**
 * Log lines that a client (or a full cache) can make the server repeat without end, written at
 * a bounded rate: per key, the first `burst` lines of a window are written, the rest are counted
 * and summarised once the window is over as `<last line> ... repeated N times in S s`.
 * A window with nothing suppressed costs no timer; a window with suppressed lines arms one
 * (unref'd) timer for the whole log, so the summary comes even if the line never recurs.
 * @module
 */

/** Settings of a {@link RateLimitedLog}. */
export interface RateLimitOptions {
  /** Lines of one key written per window before the rest are counted. Default 3. */
  readonly burst?: number;
  /** Window length in ms. Default 5000. */
  readonly windowMs?: number;
  /** Distinct keys remembered (the oldest is summarised and forgotten beyond this). Default 256. */
  readonly maxKeys?: number;
}

interface KeyState {
  windowStart: number;
  written: number;
  suppressed: number;
  last: string;
}

/** A rate-limited writer of log lines. */
export class RateLimitedLog {
  readonly #sink: (line: string) => void;
  readonly #burst: number;
  readonly #windowMs: number;
  readonly #maxKeys: number;
  readonly #keys = new Map<string, KeyState>();
  #timer: NodeJS.Timeout | null = null;

  /**
   * @example
   * ```ts
   * const log = new RateLimitedLog((line) => process.stderr.write(line + "\n"));
   * log.line("cache-full:default", '*** DANGER cache "default" is FULL !!! ***');
   * ```
   */
  constructor(sink: (line: string) => void, options: RateLimitOptions = {}) {
    this.#sink = sink;
    this.#burst = Math.max(1, options.burst ?? 3);
    this.#windowMs = Math.max(1, options.windowMs ?? 5000);
    this.#maxKeys = Math.max(1, options.maxKeys ?? 256);
  }

  /** Writes `text` unless lines of `key` already filled this window; then counts it. */
  line(key: string, text: string): void {
    const now = Date.now();
    let state = this.#keys.get(key);
    if (state !== undefined && now - state.windowStart >= this.#windowMs) {
      this.#summarise(state, now);
      state.windowStart = now;
      state.written = 0;
    }
    if (state === undefined) {
      if (this.#keys.size >= this.#maxKeys) this.#evictOldest(now);
      state = { windowStart: now, written: 0, suppressed: 0, last: text };
      this.#keys.set(key, state);
    }
    state.last = text;
    if (state.written < this.#burst) {
      state.written++;
      this.#sink(text);
      return;
    }
    state.suppressed++;
    this.#arm();
  }

  /** Writes the summaries of every key with suppressed lines now (at exit, in tests). */
  flush(): void {
    const now = Date.now();
    for (const state of this.#keys.values()) this.#summarise(state, now);
    if (this.#timer) clearTimeout(this.#timer);
    this.#timer = null;
  }

  #summarise(state: KeyState, now: number): void {
    if (state.suppressed === 0) return;
    const seconds = Math.max(1, Math.round((now - state.windowStart) / 1000));
    this.#sink(`${state.last} ... repeated ${state.suppressed} times in ${seconds} s`);
    state.suppressed = 0;
  }

  #evictOldest(now: number): void {
    const oldest = this.#keys.keys().next();
    if (oldest.done) return;
    this.#summarise(this.#keys.get(oldest.value)!, now);
    this.#keys.delete(oldest.value);
  }

  #arm(): void {
    if (this.#timer) return;
    this.#timer = setTimeout(() => this.#onTimer(), this.#windowMs);
    this.#timer.unref();
  }

  #onTimer(): void {
    this.#timer = null;
    const now = Date.now();
    let pending = false;
    for (const [key, state] of this.#keys) {
      if (now - state.windowStart >= this.#windowMs) {
        this.#summarise(state, now);
        // a quiet key is forgotten; its next line opens a new window
        this.#keys.delete(key);
      } else if (state.suppressed > 0) {
        pending = true;
      }
    }
    if (pending) this.#arm();
  }
}
