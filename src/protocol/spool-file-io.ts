/**
 * Writing and reading spool files on disk.
 *
 * Writes never expose a half-written task: the content goes to a hidden temporary name in the
 * target directory (created with O_EXCL, mode 0600, or the file of a finished task a spooler
 * left for reuse, see spool-file-recycling.ts), gets its `at` time, and is then renamed to
 * its final `uwsgi_spoolfile_on_*` name, which the spooler only ever sees complete. (uWSGI writes
 * in place under the final name and holds an fcntl lock meanwhile instead.) The synchronous writer
 * does a new file's create, write, time, close and rename in one native call when the addon has
 * `spoolWrite` (same system calls, far less per-call cost than node:fs), else through node:fs.
 *
 * @module
 */
import { Buffer } from "node:buffer";
import { randomInt } from "node:crypto";
import { closeSync, fsyncSync, ftruncateSync, futimesSync, mkdirSync, openSync, readFileSync, renameSync, unlinkSync, writeSync } from "node:fs";
import { mkdir, open, readFile, rename, unlink } from "node:fs/promises";
import { hostname as osHostname } from "node:os";
import { join } from "node:path";
import { performance } from "node:perf_hooks";
import type { Clock } from "../core/clock.js";
import { UwsgiError } from "../errors.js";
import type { VarsInput } from "./packet.js";
import { type SpoolFileContent, decodeSpoolFile, encodeSpoolFile, spoolFileName } from "./spool-file.js";
import { takeRecycledSpoolFile } from "./spool-file-recycling.js";
import { optionalNativeAddon } from "../native/native-addon.js";

/** Options of {@link writeSpoolFile} / {@link writeSpoolFileSync}. */
export interface WriteSpoolFileOptions {
  /** Put the task in `<dir>/<priority>/` (created if missing). Must be a single path component. */
  priority?: string | null;
  /** Unix seconds (fraction ignored): the file's mtime/atime are set to it; 0 or absent = none. */
  at?: number | null;
  /** Host name in the file name. Default: `os.hostname()`, read once per process. */
  hostname?: string;
  /** Pid in the file name. Default: `process.pid`. */
  pid?: number;
  /** Source of the random part, a non-negative integer. Default: a CSPRNG integer below 2^31. */
  random?: () => number;
  /** Source of the time in the file name. Default: the wall clock with microseconds. */
  clock?: Clock;
  /** fsync the file and its directory before returning. Default false (uWSGI does not sync). */
  fsync?: boolean;
}

/** The host name in this process's file names, read once (uWSGI reads it once at start too). */
let processHostname: string | undefined;

/** Spool attempts made by this process (uWSGI's `internal_counter`, part of every file name). */
let spoolCounter = 0;

interface PreparedSpoolWrite {
  content: Buffer;
  /** The spool directory (its recycled files serve its priority subdirectories too). */
  dir: string;
  targetDir: string;
  priorityDir: boolean;
  tmpPath: string;
  finalPath: string;
  at: number;
}

function checkPriority(priority: string): void {
  if (typeof priority !== "string" || priority === "" || priority === "." || priority === ".." || /[/\0]/.test(priority)) {
    throw new UwsgiError("UWSGI_ERR_SPOOL_ARGUMENT", `priority ${JSON.stringify(priority)} is not a single path component`);
  }
}

function prepare(dir: string, vars: VarsInput, body: Buffer | null | undefined, opts: WriteSpoolFileOptions): PreparedSpoolWrite {
  if (typeof dir !== "string" || dir === "") {
    throw new UwsgiError("UWSGI_ERR_SPOOL_ARGUMENT", `spool directory ${JSON.stringify(dir)} is not a path`);
  }
  const content = encodeSpoolFile(vars, body);
  const priority = opts.priority ?? null;
  if (priority !== null) checkPriority(priority);
  const at = opts.at ?? 0;
  if (!Number.isFinite(at) || at < 0) {
    throw new UwsgiError("UWSGI_ERR_SPOOL_ARGUMENT", `at must be a unix timestamp in seconds, got ${String(at)}`);
  }
  spoolCounter++;
  const name = spoolFileName({
    hostname: opts.hostname ?? (processHostname ??= osHostname()),
    pid: opts.pid ?? process.pid,
    counter: spoolCounter,
    random: opts.random ? opts.random() : randomInt(0x80000000),
    nowMs: opts.clock ? opts.clock.nowMs() : performance.timeOrigin + performance.now(),
  });
  const targetDir = priority === null ? dir : join(dir, priority);
  const prefix = dirPrefix(targetDir);
  return {
    content,
    dir,
    targetDir,
    priorityDir: priority !== null,
    tmpPath: `${prefix}.tmp_${name}`,
    finalPath: prefix + name,
    at: Math.floor(at),
  };
}

let lastDir: string | null = null;
let lastPrefix = "";

/**
 * `join(dir, name)` is `dirPrefix(dir) + name` for a name without `/` that is not `.` or `..`
 * (a spool file name): the directory normalized once, not on every write (the last one is kept).
 */
function dirPrefix(dir: string): string {
  if (dir !== lastDir) {
    const normalized = join(dir);
    lastPrefix = normalized === "." || normalized === "./" ? "" : normalized.endsWith("/") ? normalized : `${normalized}/`;
    lastDir = dir;
  }
  return lastPrefix;
}

function failed(prepared: PreparedSpoolWrite, err: unknown): UwsgiError {
  const reason = err instanceof Error ? err.message : String(err);
  return new UwsgiError("UWSGI_ERR_SPOOL_FAILED", `cannot write ${prepared.finalPath}: ${reason}`);
}

function isErrno(err: unknown, code: string): boolean {
  return err instanceof Error && (err as NodeJS.ErrnoException).code === code;
}

/**
 * Writes a spool file into `dir` (or `<dir>/<priority>/`) and returns its full path. The vars are
 * stored verbatim; the caller extracts reserved keys (`priority`, `at`, `spooler`) into `opts`.
 * @throws UwsgiError UWSGI_ERR_SPOOL_ARGUMENT for bad vars/options, UWSGI_ERR_SPOOL_FAILED when
 *   the file cannot be written (nothing is left behind under the final name).
 * @example
 * const path = await writeSpoolFile("/var/spool/app", { action: "ok" }, null, { priority: "5" });
 */
export async function writeSpoolFile(dir: string, vars: VarsInput, body?: Buffer | null, opts: WriteSpoolFileOptions = {}): Promise<string> {
  const prepared = prepare(dir, vars, body, opts);
  let created = false;
  try {
    if (prepared.priorityDir) {
      await mkdir(prepared.targetDir, { mode: 0o777 }).catch((err: unknown) => {
        if (!isErrno(err, "EEXIST")) throw err;
      });
    }
    const handle = await open(prepared.tmpPath, "wx", 0o600);
    created = true;
    try {
      await handle.writeFile(prepared.content);
      if (prepared.at > 0) await handle.utimes(prepared.at, prepared.at);
      if (opts.fsync) await handle.sync();
    } finally {
      await handle.close();
    }
    await rename(prepared.tmpPath, prepared.finalPath);
    created = false;
    if (opts.fsync) {
      const dirHandle = await open(prepared.targetDir, "r");
      try {
        await dirHandle.sync();
      } finally {
        await dirHandle.close();
      }
    }
    return prepared.finalPath;
  } catch (err) {
    if (created) await unlink(prepared.tmpPath).catch(() => undefined);
    throw failed(prepared, err);
  }
}

/**
 * Synchronous {@link writeSpoolFile}, for the synchronous `uwsgi.spool()` API.
 * @example
 * const path = writeSpoolFileSync(dir, [["action", "ok"]], Buffer.from("payload"), { at: unixSeconds(clock) + 60 });
 */
export function writeSpoolFileSync(dir: string, vars: VarsInput, body?: Buffer | null, opts: WriteSpoolFileOptions = {}): string {
  const prepared = prepare(dir, vars, body, opts);
  let created = false;
  try {
    if (prepared.priorityDir) {
      try {
        mkdirSync(prepared.targetDir, { mode: 0o777 });
      } catch (err) {
        if (!isErrno(err, "EEXIST")) throw err;
      }
    }
    // a finished task's file when a spooler left one (creating a file costs far more), else a new one
    const recycled = takeRecycledSpoolFile(prepared.dir, prepared.tmpPath);
    const spoolWrite = recycled || opts.fsync ? undefined : optionalNativeAddon()?.spoolWrite;
    if (spoolWrite) {
      // create, write, time, close and rename in one native call (it unlinks the temporary file on failure)
      spoolWrite(prepared.tmpPath, prepared.finalPath, prepared.content, prepared.at);
      return prepared.finalPath;
    }
    const fd = recycled?.fd ?? openSync(prepared.tmpPath, "wx", 0o600);
    created = true;
    try {
      let written = 0;
      while (written < prepared.content.length) {
        written += writeSync(fd, prepared.content, written, prepared.content.length - written, written);
      }
      if (recycled && recycled.size > prepared.content.length) ftruncateSync(fd, prepared.content.length);
      if (prepared.at > 0) futimesSync(fd, prepared.at, prepared.at);
      if (opts.fsync) fsyncSync(fd);
    } finally {
      closeSync(fd);
    }
    renameSync(prepared.tmpPath, prepared.finalPath);
    created = false;
    if (opts.fsync) {
      const dirFd = openSync(prepared.targetDir, "r");
      try {
        fsyncSync(dirFd);
      } finally {
        closeSync(dirFd);
      }
    }
    return prepared.finalPath;
  } catch (err) {
    if (created) {
      try {
        unlinkSync(prepared.tmpPath);
      } catch {
        // already gone
      }
    }
    throw failed(prepared, err);
  }
}

/**
 * Reads and decodes a spool file; `null` if it does not exist (e.g. already done).
 * @throws UwsgiError UWSGI_ERR_SPOOL_FILE_MALFORMED for a malformed file; other I/O errors as is.
 * @example
 * const task = await readSpoolFile(path);
 * if (task) console.log(varsToObject(task.vars), task.body);
 */
export async function readSpoolFile(path: string): Promise<SpoolFileContent | null> {
  let buf: Buffer;
  try {
    buf = await readFile(path);
  } catch (err) {
    if (isErrno(err, "ENOENT")) return null;
    throw err;
  }
  return decodeSpoolFile(buf, path);
}

/**
 * Synchronous {@link readSpoolFile} (for `spooler_get_task`).
 * @example
 * const task = readSpoolFileSync(path);
 */
export function readSpoolFileSync(path: string): SpoolFileContent | null {
  let buf: Buffer;
  try {
    buf = readFileSync(path);
  } catch (err) {
    if (isErrno(err, "ENOENT")) return null;
    throw err;
  }
  return decodeSpoolFile(buf, path);
}
