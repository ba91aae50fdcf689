/**
 * Tells `--log-maxsize` when the log may have grown, so that the master looks at the file's size
 * only then: every process appends to the log itself (see `log-file.ts`), so the master cannot
 * count the bytes, and an fstat(2) on every tick would cost an idle instance a system call four
 * times a second. An inotify watch (`fs.watch`) on the descriptor's file (`/proc/self/fd/N`: the
 * inode written to, wherever it was moved) is armed; its first event marks the file as grown and
 * closes the watch, and the next check re-arms it before reading the size, so a busy log costs
 * at most one event per check and an idle one nothing. Where no watch can be armed, every check
 * reads the size, as before.
 * @module
 */
import { existsSync, watch, type FSWatcher } from "node:fs";

/** Whether a log file may have grown since the last check. */
export class LogGrowth {
  #fd: number;
  #watcher: FSWatcher | null = null;
  /** True until a watch is armed, and again after its first event. */
  #grown = true;
  /** No watch can be armed here: every check reads the size. */
  #unwatchable = false;

  /** @param fd the log's descriptor (in this process). */
  constructor(fd: number) {
    this.#fd = fd;
  }

  /** The log now goes to another descriptor (reopened or rotated): watch that one, check it next. */
  follow(fd: number): void {
    this.close();
    this.#fd = fd;
    this.#grown = true;
  }

  /**
   * Whether the size must be read now. When it must, the watch is re-armed first, so a write that
   * lands after this call is seen by the next one.
   */
  due(): boolean {
    if (this.#unwatchable) return true;
    if (!this.#grown) return false;
    this.#grown = false;
    this.#arm();
    return true;
  }

  /** Whether a watch is armed (for the idle-cost test). */
  get watching(): boolean {
    return this.#watcher !== null;
  }

  /** Closes the watch. */
  close(): void {
    this.#watcher?.close();
    this.#watcher = null;
  }

  #arm(): void {
    if (this.#watcher !== null) return;
    const path = `/proc/self/fd/${this.#fd}`;
    try {
      if (!existsSync(path)) throw new Error("no /proc/self/fd");
      const w = watch(path, { persistent: false }, () => {
        this.#grown = true;
        this.close();
      });
      w.on("error", () => {
        this.#grown = true;
        this.close();
      });
      this.#watcher = w;
    } catch {
      this.#unwatchable = true;
    }
  }
}
