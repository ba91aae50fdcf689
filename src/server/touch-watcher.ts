/**
 * `--touch-reload`, `--touch-chain-reload`, `--touch-logreopen`, `--touch-logrotate`,
 * `--touch-signal`: calls back when a file's modification time changes (or the file appears), as
 * uWSGI's master notices on its once-a-second check, without polling: each file's directory is
 * watched with inotify (`fs.watch`), and an event naming the file (or naming none) has its
 * mtime compared a few milliseconds later (one check per burst of events: `touch`, a save by
 * rename). A file that is a symbolic link (its target may change elsewhere), or whose directory
 * cannot be watched (missing, or the watch fails or the directory goes away), is polled once a
 * second as uWSGI does. An idle instance whose touch files sit in watchable directories makes no
 * system call for them.
 * @module
 */
import { existsSync, lstatSync, statSync, watch, type FSWatcher } from "node:fs";
import { basename, dirname } from "node:path";

/** Delay between an event and the mtime check, gathering a burst of events into one (ms). */
const SETTLE_MS = 20;

/** Watches the modification time of a set of files. */
export class TouchWatcher {
  readonly #mtimes = new Map<string, number>();
  readonly #onTouch: (path: string) => void;
  readonly #intervalMs: number;
  readonly #watchers: FSWatcher[] = [];
  /** Paths checked once per interval (no usable watch). */
  readonly #polled = new Set<string>();
  #poll: NodeJS.Timeout | null = null;
  /** Paths an event named, checked when the settle timer fires. */
  readonly #due = new Set<string>();
  #settle: NodeJS.Timeout | null = null;
  #closed = false;

  /**
   * @param paths files to watch (absolute).
   * @param onTouch called with the path whose mtime changed.
   * @param intervalMs polling period where a file cannot be watched (uWSGI checks once a second).
   */
  constructor(paths: readonly string[], onTouch: (path: string) => void, intervalMs = 1000) {
    this.#onTouch = onTouch;
    this.#intervalMs = intervalMs;
    for (const p of paths) this.#mtimes.set(p, mtimeOf(p));
    const byDir = new Map<string, string[]>();
    for (const p of this.#mtimes.keys()) {
      if (isSymlink(p)) {
        this.#pollPaths([p]);
        continue;
      }
      const dir = dirname(p);
      byDir.set(dir, [...(byDir.get(dir) ?? []), p]);
    }
    for (const [dir, group] of byDir) this.#watchDir(dir, group);
  }

  /** Whether any file is polled (no inotify watch for it), for the idle-cost test. */
  get polling(): boolean {
    return this.#poll !== null;
  }

  /** Stops watching. */
  close(): void {
    this.#closed = true;
    for (const w of this.#watchers) w.close();
    this.#watchers.length = 0;
    if (this.#poll) clearInterval(this.#poll);
    if (this.#settle) clearTimeout(this.#settle);
    this.#poll = this.#settle = null;
  }

  #watchDir(dir: string, group: string[]): void {
    const names = new Map(group.map((p) => [basename(p), p]));
    let w: FSWatcher;
    try {
      if (!existsSync(dir)) throw new Error("no such directory");
      w = watch(dir, { persistent: false }, (event, name) => {
        const p = name === null ? undefined : names.get(name.toString());
        if (p !== undefined) this.#checkSoon([p]);
        else if (name === null) this.#checkSoon(group);
        // the directory itself removed or moved: nothing more will come from this watch
        if (event === "rename" && p === undefined && !existsSync(dir)) fallBack();
      });
    } catch {
      this.#pollPaths(group);
      return;
    }
    const fallBack = (): void => {
      w.close();
      const i = this.#watchers.indexOf(w);
      if (i >= 0) this.#watchers.splice(i, 1);
      if (!this.#closed) this.#pollPaths(group);
    };
    w.on("error", fallBack);
    this.#watchers.push(w);
  }

  #pollPaths(paths: readonly string[]): void {
    for (const p of paths) this.#polled.add(p);
    if (this.#poll !== null) return;
    this.#poll = setInterval(() => {
      for (const p of this.#polled) this.#check(p);
    }, this.#intervalMs);
    this.#poll.unref();
  }

  #checkSoon(paths: readonly string[]): void {
    for (const p of paths) this.#due.add(p);
    if (this.#settle !== null || this.#closed) return;
    this.#settle = setTimeout(() => {
      this.#settle = null;
      const due = [...this.#due];
      this.#due.clear();
      for (const p of due) this.#check(p);
    }, SETTLE_MS);
    this.#settle.unref();
  }

  #check(path: string): void {
    const before = this.#mtimes.get(path);
    const now = mtimeOf(path);
    if (now === before) return;
    this.#mtimes.set(path, now);
    if (now !== 0) this.#onTouch(path);
  }
}

function mtimeOf(path: string): number {
  try {
    return statSync(path).mtimeMs;
  } catch {
    return 0;
  }
}

function isSymlink(path: string): boolean {
  try {
    return lstatSync(path).isSymbolicLink();
  } catch {
    return false;
  }
}
