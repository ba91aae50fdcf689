/**
 * The master's log: standard error (where uWSGI logs by default), or the `--logto` file
 * (appended to). Every write is one
 * whole-line chunk, so lines from the master and from many workers never interleave.
 * @module
 */
import { Buffer } from "node:buffer";
import { closeSync, openSync, writeSync } from "node:fs";
import { UwsgiError } from "../errors.js";
import { logDate } from "./log-date.js";

/** Where the instance's log lines go. */
export class LogSink {
  #fd: number | null;
  #closed = false;
  #size = 0;
  /** Sees every chunk written (whole lines), e.g. the `--log-alarm` checks; null when none. */
  tap: ((chunk: Buffer) => void) | null = null;

  /**
   * @param logto file to append to; null writes to standard error.
   * @throws UwsgiError UWSGI_ERR_OPTION_VALUE naming `logto` when the file cannot be opened.
   */
  constructor(logto: string | null) {
    try {
      this.#fd = logto === null ? null : openSync(logto, "a");
    } catch (err) {
      throw new UwsgiError("UWSGI_ERR_OPTION_VALUE", "logto", `cannot open ${logto}: ${(err as Error).message}`);
    }
    // a closed terminal or pipe must not take the master down
    if (this.#fd === null) process.stderr.on("error", () => undefined);
  }

  /** Bytes written so far (what `uwsgi.logsize()` reports). */
  get size(): number {
    return this.#size;
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
    if (this.#fd === null) {
      process.stderr.write(chunk);
      return;
    }
    let off = 0;
    while (off < chunk.length) off += writeSync(this.#fd, chunk, off);
  }

  /** Closes the log file (standard error is left open); later lines are dropped. */
  close(): void {
    this.#closed = true;
    if (this.#fd !== null) closeSync(this.#fd);
    this.#fd = null;
  }
}
