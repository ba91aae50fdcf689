/**
 * A spooler process's running board: a small shared-memory region (one per spooler process,
 * created by the master before the fork) where the spooler writes which task it runs and since
 * when, and how many tasks it has handled, as uWSGI's spoolers keep theirs in the shared
 * `uwsgi_spooler` struct. The master reads it when it needs it (the `--spooler-harakiri` tick,
 * the stats, a spooler's death: the task it was running counts as a failed attempt), so a task
 * costs no message to the master. Writes are framed by a sequence number (odd while writing), so
 * the master never reads half an update.
 * @module
 */
import { Buffer } from "node:buffer";
import { SharedRegion, regionName } from "../../native/shared-region.js";

const SEQ = 0; // Int32 index: even = stable, odd = being written
const TASKS = 1; // Int32 index
const PATH_LEN = 2; // Int32 index: 0 = idle
const SINCE_BYTE = 16; // Float64: unix ms the task started
const PATH_BYTE = 24;
/** Longest task path the board holds (Linux's PATH_MAX). */
const PATH_MAX = 4096;
const BOARD_BYTES = PATH_BYTE + PATH_MAX;

/** What a board says. */
export interface BoardReading {
  /** The task being run and since when (unix ms); null when idle. */
  readonly running: { readonly path: string; readonly since: number } | null;
  /** Tasks handled by the process so far. */
  readonly tasks: number;
}

/** One spooler process's board, over its region's bytes. */
export class SpoolerBoard {
  readonly #ints: Int32Array;
  readonly #since: Float64Array;
  readonly #path: Buffer;

  private constructor(
    /** The region (the master unlinks its name when the process is gone). */
    readonly region: SharedRegion,
  ) {
    this.#ints = new Int32Array(region.buffer, 0, 4);
    this.#since = new Float64Array(region.buffer, SINCE_BYTE, 1);
    this.#path = Buffer.from(region.buffer, PATH_BYTE, PATH_MAX);
  }

  /**
   * The master: a board for spooler position `id`'s `spawn`-th process of `instance`, or null
   * when shared memory cannot be had (the spooler then reports over IPC).
   */
  static create(instance: string, id: number, spawn: number): SpoolerBoard | null {
    try {
      return new SpoolerBoard(SharedRegion.create(regionName(instance, `spooler.${id}.${spawn}.board`), BOARD_BYTES, { replace: true }));
    } catch {
      return null;
    }
  }

  /** The spooler: its board by the name the master gave it, or null (then it reports over IPC). */
  static attach(name: string): SpoolerBoard | null {
    try {
      return new SpoolerBoard(SharedRegion.attach(name));
    } catch {
      return null;
    }
  }

  /** The spooler: it starts running `path` (since `since`, unix ms), `tasks` handled before it. */
  running(path: string, since: number, tasks: number): void {
    this.#write(path, since, tasks);
  }

  /** The spooler: it runs nothing, `tasks` handled so far. */
  idle(tasks: number): void {
    this.#write(null, 0, tasks);
  }

  #write(path: string | null, since: number, tasks: number): void {
    Atomics.add(this.#ints, SEQ, 1);
    const len = path === null ? 0 : this.#path.write(path, 0, "utf8");
    this.#since[0] = since;
    Atomics.store(this.#ints, TASKS, tasks);
    Atomics.store(this.#ints, PATH_LEN, len);
    Atomics.add(this.#ints, SEQ, 1);
  }

  /**
   * The master: what the spooler last wrote. A write takes a few instructions, so a torn read is
   * retried; a spooler killed in the middle of one leaves it as it is, read after a bounded wait.
   */
  read(): BoardReading {
    for (let attempt = 0; ; attempt++) {
      const seq = Atomics.load(this.#ints, SEQ);
      const last = attempt >= 10_000;
      if (seq & 1 && !last) continue;
      const len = Math.min(Math.max(Atomics.load(this.#ints, PATH_LEN), 0), PATH_MAX);
      const tasks = Atomics.load(this.#ints, TASKS);
      const since = this.#since[0]!;
      const path = len > 0 ? this.#path.toString("utf8", 0, len) : null;
      if (Atomics.load(this.#ints, SEQ) !== seq && !last) continue;
      return { running: path === null ? null : { path, since }, tasks };
    }
  }
}
