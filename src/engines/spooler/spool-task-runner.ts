/**
 * Running one spool file through the spooler callable with uWSGI's return-code protocol:
 * `SPOOL_OK` (-2) removes the file; `SPOOL_RETRY` (-1), `SPOOL_IGNORE` (0), any other value and
 * a thrown error are failures: the file is kept, and under a {@link RetryPolicy} its next run
 * backs off and, past the retry limit, it moves to the `failed` folder. Without a callable the
 * file is kept as it is (the spooler is not set up yet: nothing to count).
 * @module
 */
import { Buffer } from "node:buffer";
import { mkdirSync, readFileSync, renameSync, unlinkSync } from "node:fs";
import { basename, dirname, join } from "node:path";
import type { SpoolTask, SpoolerFunction } from "../../api.js";
import { decodeSpoolFile } from "../../protocol/spool-file.js";
import { UWSGI_HEADER_SIZE, varsToObject } from "../../protocol/packet.js";
import { FAILED_DIR, RETRY_FOREVER, type RetryPolicy, applyFailure, clearAttempts, readAttempts } from "./spool-attempts.js";

/** Spooler result: the task is done and its file removed. */
export const SPOOL_OK = -2;
/** Spooler result: retry the task at the next spooler pass. */
export const SPOOL_RETRY = -1;
/** Spooler result: this language does not handle the task (it stays for the next pass). */
export const SPOOL_IGNORE = 0;

/** What happened to one task. */
export interface SpoolOutcome {
  /** Path of the task file when it was picked up. */
  readonly path: string;
  /**
   * `done`: removed; `retry`: the callable asked for a retry or returned another value (kept);
   * `ignored`: SPOOL_IGNORE, or no callable (kept); `failed`: threw (kept); `malformed`: set aside;
   * `skipped`: not run (another spooler holds it, it is gone, or it is still being written);
   * `waiting`: not run, its time (`at`, a retry backing off) has not come: see `dueAtMs`.
   */
  readonly status: "done" | "retry" | "ignored" | "failed" | "malformed" | "skipped" | "waiting";
  /** What the callable returned, when it returned. */
  readonly returned?: unknown;
  readonly error?: unknown;
  /** The task dictionary given to the callable. */
  readonly task?: SpoolTask;
  /** Failed runs so far, when the retry policy counts them. */
  readonly attempts?: number;
  /** When a kept task runs again (ms), when its retry backs off. */
  readonly retryAtMs?: number;
  /** Where the task went when it exceeded the retry limit (`<dir>/failed/<name>`). */
  readonly movedTo?: string;
  /** When a `waiting` task is due (its file time, ms). */
  readonly dueAtMs?: number;
}

/** A task file held for running: its bytes, read while the claim holds it. */
export interface ClaimedTask {
  readonly bytes: Buffer;
  /**
   * The file's time (ms; the `at` time, or a retry's) as read while holding it, when the claimer
   * read it: with {@link RunSpoolTaskOptions.dueBy}, a later time means the task is not run yet.
   */
  readonly fileTimeMs?: number;
  /**
   * Removes the file of a task that is done, while it is still held (default: unlink it).
   * @throws when the file is already gone (e.g. the callable removed it).
   */
  retire?(): void;
  /** Gives the file back (e.g. drops its lock). Called once, after the file was removed or kept. */
  release(): void;
}

/**
 * Takes a task file for running, or returns null when it must not run now: another process runs
 * it, it is gone, or it is shorter than a header (a writer that has not locked it yet).
 */
export type TaskClaimer = (path: string) => ClaimedTask | null;

/** Reads the file without any lock: for a single in-process runner (the stub). */
export const readWithoutLock: TaskClaimer = (path) => {
  try {
    const bytes = readFileSync(path);
    return bytes.length < UWSGI_HEADER_SIZE ? null : { bytes, release: () => undefined };
  } catch {
    return null;
  }
};

/** How {@link runSpoolTask} takes files and treats failures. */
export interface RunSpoolTaskOptions {
  /** Default: {@link readWithoutLock}. */
  readonly claim?: TaskClaimer;
  /** Default: {@link RETRY_FOREVER} (uWSGI's behaviour). */
  readonly retry?: RetryPolicy;
  /** The spooler directory the task belongs to (for the failed folder). Default: the file's directory. */
  readonly root?: string;
  /** Whether an attempt record may exist beside the file (from the scan). Default: look. */
  readonly attempted?: boolean;
  /** Current time (ms) for retry times. Default: `Date.now()`. */
  readonly nowMs?: () => number;
  /** Runs right before the callable (e.g. `--spooler-chdir`, the running flag). */
  readonly beforeRun?: (path: string) => void;
  /**
   * Run the task only if its file time (read by the claim) is at most this (ms): for a scan that
   * did not read the times itself. Default: no check (the scan listed due tasks only).
   */
  readonly dueBy?: number;
}

/**
 * Builds the dictionary the callable receives: the stored keys (UTF-8) with byte values, plus
 * `spooler_task_name` and `body` when the file has one.
 */
export function spoolTaskFromBytes(bytes: Buffer, taskName: string): SpoolTask {
  const { vars, body } = decodeSpoolFile(bytes);
  // Spread from a prototype-less object: a "__proto__" key stays a key.
  const task: SpoolTask = { ...varsToObject(vars) };
  task.spooler_task_name = Buffer.from(taskName);
  if (body && body.length > 0) task.body = body;
  return task;
}

function moveToFailed(path: string, root: string): string {
  mkdirSync(join(root, FAILED_DIR), { recursive: true, mode: 0o750 });
  const movedTo = join(root, FAILED_DIR, basename(path));
  renameSync(path, movedTo);
  clearAttempts(path);
  return movedTo;
}

/**
 * Runs the task in `path` with `fn` and applies the result to its file.
 * A file that cannot be decoded is renamed to `malformed_<name>` (never scanned again, kept for
 * inspection) instead of being deleted as uWSGI does.
 */
export async function runSpoolTask(
  path: string,
  fn: SpoolerFunction | null,
  log: (line: string, err?: unknown) => void,
  opts: RunSpoolTaskOptions = {},
): Promise<SpoolOutcome> {
  const claimed = (opts.claim ?? readWithoutLock)(path);
  if (!claimed) return { path, status: "skipped" };
  if (opts.dueBy !== undefined && claimed.fileTimeMs !== undefined && claimed.fileTimeMs > opts.dueBy) {
    claimed.release();
    return { path, status: "waiting", dueAtMs: claimed.fileTimeMs };
  }
  try {
    return await runClaimed(path, claimed, fn, log, opts);
  } finally {
    claimed.release();
  }
}

async function runClaimed(path: string, claimed: ClaimedTask, fn: SpoolerFunction | null, log: (line: string, err?: unknown) => void, opts: RunSpoolTaskOptions): Promise<SpoolOutcome> {
  const { bytes } = claimed;
  const policy = opts.retry ?? RETRY_FOREVER;
  const root = opts.root ?? dirname(path);
  const now = opts.nowMs ?? Date.now;
  let task: SpoolTask;
  try {
    task = spoolTaskFromBytes(bytes, basename(path));
  } catch (err) {
    const aside = join(dirname(path), `malformed_${basename(path)}`);
    try {
      renameSync(path, aside);
    } catch {
      /* gone already */
    }
    log(`[spooler] malformed task file ${path} moved to ${aside}: ${(err as Error).message}`);
    return { path, status: "malformed", error: err };
  }
  if (typeof fn !== "function") {
    log(`[spooler] unable to find the spooler function, have you loaded it into the spooler process ? (task ${path} kept)`);
    return { path, status: "ignored", task };
  }
  const known = policy.maxRetries > 0 && opts.attempted !== false ? readAttempts(path) : 0;
  if (policy.maxRetries > 0 && known > policy.maxRetries) {
    // Counted by the master: the spooler died running it, again and again.
    const movedTo = moveToFailed(path, root);
    log(`[spooler] task ${path} failed ${known} times (its spooler died running it); moved to ${movedTo}`);
    return { path, status: "failed", task, attempts: known, movedTo };
  }
  opts.beforeRun?.(path);
  let returned: unknown;
  let error: unknown;
  let threw = false;
  try {
    returned = await fn(task);
  } catch (err) {
    threw = true;
    error = err;
  }
  if (!threw && returned === SPOOL_OK) {
    try {
      if (claimed.retire) claimed.retire();
      else unlinkSync(path);
    } catch {
      /* removed by the callable itself */
    }
    if (known > 0) clearAttempts(path);
    return { path, status: "done", returned, task };
  }
  const status = threw ? "failed" : returned === SPOOL_IGNORE ? "ignored" : "retry";
  let fate;
  try {
    fate = applyFailure(path, root, policy, now(), known);
  } catch (err) {
    log(`[spooler] cannot record the failure of task ${path}: ${(err as Error).message}`);
    return { path, status, returned, error, task };
  }
  const what = threw ? "failed" : status === "ignored" ? "was ignored (SPOOL_IGNORE)" : `returned ${describe(returned)}`;
  if (fate.kind === "failed") {
    log(`[spooler] task ${path} ${what}; ${fate.attempts} failed runs: moved to ${fate.movedTo}`, error);
    return { path, status, returned, error, task, attempts: fate.attempts, movedTo: fate.movedTo };
  }
  const when = policy.maxRetries === 0 ? "it will be retried" : `retry ${fate.attempts} of ${policy.maxRetries} at ${new Date(fate.retryAtMs).toISOString()}`;
  if (threw || status === "ignored") log(`[spooler] task ${path} ${what}; ${when}`, error);
  return { path, status, returned, error, task, attempts: fate.attempts || undefined, retryAtMs: policy.maxRetries === 0 ? undefined : fate.retryAtMs };
}

function describe(value: unknown): string {
  if (value === SPOOL_RETRY) return "SPOOL_RETRY";
  try {
    return typeof value === "string" ? JSON.stringify(value) : String(value);
  } catch {
    return typeof value;
  }
}
