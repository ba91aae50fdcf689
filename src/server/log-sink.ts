/**
 * The master's log: standard error (where uWSGI logs by default), or the `--logto` file
 * (appended to). Workers write their request lines straight to the same destination (the
 * descriptor is handed to them, see `logging/log-file.ts`), so every write is one whole-line
 * chunk and lines from the master and from many workers never interleave.
 *
 * A file log can be reopened (`--touch-logreopen`, `--log-reopen` on reload, the master FIFO's
 * `l`) and rotated (`--log-maxsize`, `--touch-logrotate`, the FIFO's `L`): {@link LogSink.onReopen}
 * then tells the workers to reopen it too.
 * @module
 */
import { Buffer } from "node:buffer";
import { logDate } from "./log-date.js";
import { LogFile } from "./logging/log-file.js";
import { LogGrowth } from "./logging/log-growth.js";

/** Rotation settings of a file log. */
export interface LogRotation {
  /** `--log-maxsize`: rotate once the file reaches this many bytes (0: never). */
  readonly maxSize: number;
  /** `--log-backupname`: the rotated file's name (null: `FILE.<unix time>`, made unique). */
  readonly backupName: string | null;
}

/** Where the instance's log lines go. */
export class LogSink {
  readonly #file: LogFile;
  readonly #rotation: LogRotation;
  #closed = false;
  #size = 0;
  /** `--log-maxsize`: when the file may have grown; made at the first check. */
  #growth: LogGrowth | null = null;
  /** Sees every chunk written (whole lines), e.g. the `--log-alarm` checks; null when none. */
  tap: ((chunk: Buffer) => void) | null = null;
  /** Called after the file was reopened or rotated (the master tells the workers). */
  onReopen: (() => void) | null = null;

  /**
   * @param logto file to append to; null writes to standard error.
   * @param rotation `--log-maxsize` / `--log-backupname` (file logs only).
   * @throws UwsgiError UWSGI_ERR_OPTION_VALUE naming `logto` when the file cannot be opened.
   */
  constructor(logto: string | null, rotation: LogRotation = { maxSize: 0, backupName: null }) {
    this.#file = new LogFile(logto === null ? { fd: 2 } : { path: logto });
    this.#rotation = rotation;
    // a closed terminal or pipe must not take the master down
    if (logto === null) process.stderr.on("error", () => undefined);
  }

  /** Bytes written so far by the master (what `uwsgi.logsize()` reports). */
  get size(): number {
    return this.#size;
  }

  /** The descriptor the log is written to (handed to the workers). */
  get fd(): number {
    return this.#file.fd;
  }

  /** The log file's path, or null for standard error. */
  get path(): string | null {
    return this.#file.path;
  }

  /** Writes one line (a newline is added when missing). */
  line(text: string): void {
    this.write(Buffer.from(text.endsWith("\n") ? text : text + "\n"));
  }

  /** Writes one line prefixed with the date, like uWSGI's verbose log lines. */
  event(text: string): void {
    this.line(`${logDate()} - ${text}`);
  }

  /** Writes whole lines as they are. */
  write(chunk: Buffer): void {
    if (this.tap !== null) this.tap(chunk);
    this.untapped(chunk);
  }

  /** Writes whole lines without showing them to the tap (lines the tap itself produces). */
  untapped(chunk: Buffer): void {
    if (this.#closed) return;
    this.#size += chunk.length;
    this.#file.write(chunk);
  }

  /**
   * Reopens the log file (after an external rotation moved it), or with `rotate` renames it to
   * the backup name first (uWSGI's "logsize: N, triggering rotation to NAME..."). Standard error
   * cannot be reopened: a line says so.
   */
  reopen(rotate: boolean): void {
    if (this.#closed) return;
    if (this.#file.path === null || !this.#file.regular) {
      this.line(`the log is not a file: nothing to ${rotate ? "rotate" : "reopen"}`);
      return;
    }
    try {
      if (rotate) {
        const size = this.#file.size();
        const backup = this.#file.rotate(this.#rotation.backupName);
        this.line(`logsize: ${size}, triggering rotation to ${backup}...`);
      } else {
        this.#file.reopen();
      }
    } catch (err) {
      this.line(`cannot ${rotate ? "rotate" : "reopen"} the log ${this.#file.path}: ${(err as Error).message}`);
      return;
    }
    this.#growth?.follow(this.#file.fd);
    this.onReopen?.();
  }

  /** `--log-maxsize`: rotates when the file has grown to the limit (the master calls this on its tick). */
  checkSize(): void {
    const max = this.#rotation.maxSize;
    if (max <= 0 || this.#closed || !this.#file.regular) return;
    // the size is read only when the file may have grown (logging/log-growth.ts)
    this.#growth ??= new LogGrowth(this.#file.fd);
    if (this.#growth.due() && this.#file.size() >= max) this.reopen(true);
  }

  /** `--logfile-chown`: gives the log file to the instance's user and group. */
  chown(uid: number, gid: number): void {
    this.#file.chown(uid, gid);
  }

  /** Closes the log file (standard error is left open); later lines are dropped. */
  close(): void {
    this.#closed = true;
    this.#growth?.close();
    this.#file.close();
  }
}
