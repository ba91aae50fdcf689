/**
 * How many times a task has failed, and what happens after a failure: the retry backs off (the
 * task file's time is moved forward, which is also how uWSGI's spooler sees a later `at`), and
 * past the retry limit the file moves to the `failed` folder of its spooler directory.
 *
 * The count lives in a small record beside the task (`.attempts_<task name>`, a name no uWSGI
 * or uwsgi-node spooler ever runs), so it survives spooler restarts and is shared by every
 * spooler process of the directory. Only failures write it: a task that succeeds at once costs
 * nothing more.
 * @module
 */
import { mkdirSync, readFileSync, renameSync, unlinkSync, utimesSync, writeFileSync } from "node:fs";
import { basename, dirname, join } from "node:path";

/** Name prefix of attempt records. */
export const ATTEMPTS_PREFIX = ".attempts_";

/** Name of the folder (inside a spooler directory) failed tasks move to. */
export const FAILED_DIR = "failed";

/** What the spooler does with a task that failed. */
export interface RetryPolicy {
  /**
   * Retries before the task moves to the failed folder; 0 = retry forever at every pass, without
   * backoff (uWSGI's behaviour).
   */
  readonly maxRetries: number;
  /** Delay before the first retry, in seconds; each further retry doubles it. */
  readonly baseDelaySeconds: number;
  /** Longest delay between two retries, in seconds. */
  readonly maxDelaySeconds: number;
}

/** uWSGI's behaviour: every failed task runs again at the next pass, forever. */
export const RETRY_FOREVER: RetryPolicy = Object.freeze({ maxRetries: 0, baseDelaySeconds: 0, maxDelaySeconds: 0 });

/** Longest backoff between two retries (s). */
export const MAX_RETRY_DELAY_SECONDS = 3600;

/**
 * The policy of an instance: retries back off from the scan period (`--spooler-frequency`),
 * doubling each time up to an hour; `maxRetries` 0 keeps uWSGI's retry-forever behaviour.
 */
export function retryPolicy(maxRetries: number, frequencySeconds: number): RetryPolicy {
  return maxRetries === 0 ? RETRY_FOREVER : { maxRetries, baseDelaySeconds: frequencySeconds, maxDelaySeconds: MAX_RETRY_DELAY_SECONDS };
}

/** Path of the attempt record of `taskPath`. */
export function attemptsPath(taskPath: string): string {
  return join(dirname(taskPath), ATTEMPTS_PREFIX + basename(taskPath));
}

/** Failed runs recorded for `taskPath` (0 when none). */
export function readAttempts(taskPath: string): number {
  try {
    const n = Number.parseInt(readFileSync(attemptsPath(taskPath), "latin1"), 10);
    return Number.isSafeInteger(n) && n > 0 ? n : 0;
  } catch {
    return 0;
  }
}

/** Records one more failed run of `taskPath` and returns the new count. */
export function addAttempt(taskPath: string, known = readAttempts(taskPath)): number {
  const n = known + 1;
  writeFileSync(attemptsPath(taskPath), `${n}\n`, { mode: 0o600 });
  return n;
}

/** Drops the attempt record of `taskPath` (after it succeeded or moved away). */
export function clearAttempts(taskPath: string): void {
  try {
    unlinkSync(attemptsPath(taskPath));
  } catch {
    // there was none
  }
}

/** Seconds to wait before retry number `attempt` (1-based) under `policy`. */
export function retryDelaySeconds(policy: RetryPolicy, attempt: number): number {
  if (policy.maxRetries === 0) return 0;
  return Math.min(policy.baseDelaySeconds * 2 ** Math.max(0, attempt - 1), policy.maxDelaySeconds);
}

/** What became of a failed task. */
export type FailureFate = { readonly kind: "retry"; readonly attempts: number; readonly retryAtMs: number } | { readonly kind: "failed"; readonly attempts: number; readonly movedTo: string };

/**
 * Applies `policy` to a task that just failed: counts the failure, then either moves the task's
 * time forward by the backoff delay or, past the limit, moves the file to `<root>/failed/`.
 * The caller holds the task's lock.
 * @param root the spooler directory the task belongs to (priority subdirectories included).
 * @param known failures recorded before this one (read from the record when undefined).
 */
export function applyFailure(taskPath: string, root: string, policy: RetryPolicy, nowMs: number, known?: number): FailureFate {
  if (policy.maxRetries === 0) return { kind: "retry", attempts: 0, retryAtMs: nowMs };
  const attempts = addAttempt(taskPath, known);
  if (attempts > policy.maxRetries) {
    const failedDir = join(root, FAILED_DIR);
    mkdirSync(failedDir, { recursive: true, mode: 0o750 });
    const movedTo = join(failedDir, basename(taskPath));
    renameSync(taskPath, movedTo);
    clearAttempts(taskPath);
    return { kind: "failed", attempts, movedTo };
  }
  const retryAtMs = nowMs + retryDelaySeconds(policy, attempts) * 1000;
  const at = Math.ceil(retryAtMs / 1000);
  utimesSync(taskPath, at, at);
  return { kind: "retry", attempts, retryAtMs: at * 1000 };
}
