/**
 * `--touch-reload` / `--touch-chain-reload`: watches files' modification times and calls back
 * when one changes (or appears), as uWSGI's master checks them once per cycle.
 * @module
 */
import { statSync } from "node:fs";

/** Polls the modification time of a set of files. */
export class TouchWatcher {
  readonly #mtimes = new Map<string, number>();
  readonly #timer: NodeJS.Timeout;

  /**
   * @param paths files to watch (absolute).
   * @param onTouch called with the path whose mtime changed.
   * @param intervalMs polling period (uWSGI checks once a second).
   */
  constructor(paths: readonly string[], onTouch: (path: string) => void, intervalMs = 1000) {
    for (const p of paths) this.#mtimes.set(p, mtimeOf(p));
    this.#timer = setInterval(() => {
      for (const [p, before] of this.#mtimes) {
        const now = mtimeOf(p);
        if (now === before) continue;
        this.#mtimes.set(p, now);
        if (now !== 0) onTouch(p);
      }
    }, intervalMs);
    this.#timer.unref();
  }

  /** Stops watching. */
  close(): void {
    clearInterval(this.#timer);
  }
}

function mtimeOf(path: string): number {
  try {
    return statSync(path).mtimeMs;
  } catch {
    return 0;
  }
}
