/**
 * One log destination shared by several processes: a file opened in append mode (O_APPEND), or
 * an inherited descriptor (the master's standard error). Every process writes whole lines
 * straight to it, so the lines of the master and of every worker never interleave and never pass
 * through another process:
 *
 * - to a regular file, a batch of lines is one write(2) in O_APPEND mode: the kernel appends it
 *   whole at the current end of the file (which also makes `copytruncate` rotation safe: after a
 *   truncation the next line lands at offset 0, leaving no hole);
 * - to a pipe or terminal, lines go in chunks of whole lines of at most PIPE_BUF (4096) bytes,
 *   which the kernel writes whole or not at all; when the reader is slow (EAGAIN) the rest waits,
 *   in order, and is retried shortly (a single line longer than PIPE_BUF is the only one that can
 *   be split, as with any writer).
 *
 * A file given by path can be reopened (after an external rotation) or rotated (renamed to a
 * backup name, then reopened).
 * @module
 */
import { Buffer } from "node:buffer";
import { closeSync, existsSync, fchownSync, fstatSync, openSync, renameSync, writeSync } from "node:fs";
import { UwsgiError } from "../../errors.js";

/** Bytes a pipe write is atomic up to (Linux). */
export const PIPE_BUF = 4096;
const NEWLINE = 0x0a;
/** Retry delay for a pipe whose reader is behind (ms). */
const RETRY_MS = 5;
/** Bytes kept waiting for a slow pipe reader; beyond that, the oldest waiting bytes are dropped and counted. */
const MAX_PENDING = 4 * 1024 * 1024;

/** Where a {@link LogFile} writes. */
export type LogTarget = { readonly path: string } | { readonly fd: number; readonly path?: string | null };

/** A log destination (see the module docs). */
export class LogFile {
  /** The file's path (reopen and rotation need it); null for an inherited descriptor without one. */
  readonly path: string | null;
  #fd: number;
  /** Whether the descriptor is a regular file (else a pipe, socket or terminal). */
  #regular: boolean;
  #ownsFd: boolean;
  #pending: Buffer[] = [];
  #pendingBytes = 0;
  #retry: NodeJS.Timeout | null = null;
  #closed = false;
  /** Bytes dropped because a pipe reader stayed behind by more than 4 MiB. */
  dropped = 0;

  /**
   * @throws UwsgiError UWSGI_ERR_OPTION_VALUE naming `what` when the file cannot be opened.
   */
  constructor(target: LogTarget, what = "logto") {
    if ("fd" in target) {
      this.path = target.path ?? null;
      this.#fd = target.fd;
      this.#ownsFd = false;
    } else {
      this.path = target.path;
      this.#fd = openAppend(target.path, what);
      this.#ownsFd = true;
    }
    this.#regular = isRegular(this.#fd);
  }

  /** The descriptor written to (for handing it to child processes). */
  get fd(): number {
    return this.#fd;
  }

  /** Whether it is a regular file (whose size can be checked and which can be rotated). */
  get regular(): boolean {
    return this.#regular;
  }

  /** The file's current size in bytes (0 for pipes and terminals). */
  size(): number {
    if (!this.#regular) return 0;
    try {
      return fstatSync(this.#fd).size;
    } catch {
      return 0;
    }
  }

  /** Writes whole lines (`chunk` ends with a newline; see the module docs for atomicity). */
  write(chunk: Buffer | string): void {
    if (this.#closed || chunk.length === 0) return;
    if (this.#regular) {
      if (typeof chunk === "string") writeStringAll(this.#fd, chunk);
      else writeAll(this.#fd, chunk);
      return;
    }
    const buf = typeof chunk === "string" ? Buffer.from(chunk) : chunk;
    if (this.#pendingBytes > 0) {
      this.#queue(buf);
      return;
    }
    this.#writePipe(buf);
  }

  /** Writes to a pipe or terminal in whole-line chunks of at most PIPE_BUF bytes; queues what does not fit now. */
  #writePipe(buf: Buffer): void {
    let off = 0;
    while (off < buf.length) {
      let end = buf.length;
      if (end - off > PIPE_BUF) {
        const cut = buf.lastIndexOf(NEWLINE, off + PIPE_BUF - 1);
        end = cut >= off ? cut + 1 : off + PIPE_BUF; // a single line longer than PIPE_BUF: split
      }
      let n: number;
      try {
        n = writeSync(this.#fd, buf, off, end - off);
      } catch (err) {
        if ((err as NodeJS.ErrnoException).code === "EAGAIN") {
          this.#queue(buf.subarray(off));
          return;
        }
        // EPIPE and the like: the reader is gone, nothing to do but drop the line
        return;
      }
      off += n;
    }
  }

  #queue(buf: Buffer): void {
    this.#pending.push(buf);
    this.#pendingBytes += buf.length;
    while (this.#pendingBytes > MAX_PENDING && this.#pending.length > 1) {
      const old = this.#pending.shift()!;
      this.#pendingBytes -= old.length;
      this.dropped += old.length;
    }
    if (!this.#retry) {
      this.#retry = setTimeout(() => this.#flushPending(), RETRY_MS);
      this.#retry.unref();
    }
  }

  #flushPending(): void {
    this.#retry = null;
    const waiting = Buffer.concat(this.#pending);
    this.#pending = [];
    this.#pendingBytes = 0;
    this.#writePipe(waiting);
  }

  /** Writes what waits for a slow pipe reader, blocking if needed (before the process exits). */
  flushSync(): void {
    if (this.#retry) clearTimeout(this.#retry);
    this.#retry = null;
    if (this.#pendingBytes === 0) return;
    const waiting = Buffer.concat(this.#pending);
    this.#pending = [];
    this.#pendingBytes = 0;
    for (let off = 0, tries = 0; off < waiting.length && tries < 1000; ) {
      try {
        off += writeSync(this.#fd, waiting, off);
      } catch (err) {
        if ((err as NodeJS.ErrnoException).code !== "EAGAIN") return;
        tries++;
      }
    }
  }

  /**
   * Opens the path again and writes there from now on (after an external rotation moved the file
   * away); the old descriptor is closed. Lines already written stay in the moved file.
   * @throws UwsgiError UWSGI_ERR_OPTION_VALUE when the path cannot be opened (the old file stays in use).
   */
  reopen(): void {
    if (this.path === null || this.#closed) return;
    const fd = openAppend(this.path, "log-reopen");
    const old = this.#fd;
    this.#fd = fd;
    this.#regular = isRegular(fd);
    if (this.#ownsFd) closeSync(old);
    this.#ownsFd = true;
  }

  /**
   * Renames the file to `backup` (default: `PATH.<unix time>`, with `.1`, `.2` ... added when that
   * name exists, so that no rotation overwrites an earlier one) and reopens the path.
   * @returns the backup file's name.
   */
  rotate(backup: string | null, nowMs = Date.now()): string {
    if (this.path === null) throw new UwsgiError("UWSGI_ERR_OPTION_VALUE", "log-maxsize", "the log is not a file: nothing to rotate");
    let name = backup ?? `${this.path}.${Math.floor(nowMs / 1000)}`;
    if (backup === null) for (let i = 1; existsSync(name); i++) name = `${this.path}.${Math.floor(nowMs / 1000)}.${i}`;
    renameSync(this.path, name);
    this.reopen();
    return name;
  }

  /** Gives the file to `uid`/`gid` (`--logfile-chown`); -1 keeps that id. */
  chown(uid: number, gid: number): void {
    if (this.#regular) fchownSync(this.#fd, uid, gid);
  }

  /** Closes the descriptor (an inherited one is left open); later writes are dropped. */
  close(): void {
    this.flushSync();
    this.#closed = true;
    if (this.#ownsFd) closeSync(this.#fd);
  }
}

function openAppend(path: string, what: string): number {
  try {
    return openSync(path, "a", 0o640);
  } catch (err) {
    throw new UwsgiError("UWSGI_ERR_OPTION_VALUE", what, `cannot open ${path}: ${(err as Error).message}`);
  }
}

function isRegular(fd: number): boolean {
  try {
    return fstatSync(fd).isFile();
  } catch {
    return false;
  }
}

/** One write(2) for the whole text, encoded by the write itself (no Buffer made for it). */
function writeStringAll(fd: number, text: string): void {
  let n: number;
  try {
    n = writeSync(fd, text);
  } catch {
    return; // ENOSPC and the like: the line is lost, the server goes on
  }
  if (n === text.length) return; // all of it (ASCII: one byte per character)
  const buf = Buffer.from(text);
  if (n < buf.length) writeAll(fd, buf.subarray(n));
}

/** One write(2) for the whole buffer, looping only on a short write (disk full, signal). */
function writeAll(fd: number, buf: Buffer): void {
  let off = 0;
  while (off < buf.length) {
    try {
      off += writeSync(fd, buf, off);
    } catch {
      return; // ENOSPC and the like: the line is lost, the server goes on
    }
  }
}
