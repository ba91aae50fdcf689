/**
 * Running one spool file through the spooler callable with uWSGI's return-code protocol:
 * `SPOOL_OK` (-2) removes the file; `SPOOL_RETRY` (-1), `SPOOL_IGNORE` (0), any other value,
 * a missing callable and a thrown error all keep it for the next pass.
 * @module
 */
import { Buffer } from "node:buffer";
import { readFileSync, renameSync, unlinkSync } from "node:fs";
import { basename, dirname, join } from "node:path";
import type { SpoolTask, SpoolerFunction } from "../../api.js";
import { decodeSpoolFile } from "../../protocol/spool-file.js";
import { varsToObject } from "../../protocol/packet.js";

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
  /** `done`: removed; `retry`: kept; `ignored`: no callable took it (kept); `failed`: threw (kept); `malformed`: set aside. */
  readonly status: "done" | "retry" | "ignored" | "failed" | "malformed";
  /** What the callable returned, when it returned. */
  readonly returned?: unknown;
  readonly error?: unknown;
  /** The task dictionary given to the callable. */
  readonly task?: SpoolTask;
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

/**
 * Runs the task in `path` with `fn` and applies the result to its file.
 * A file that cannot be decoded is renamed to `malformed_<name>` (never scanned again, kept for
 * inspection) instead of being deleted as uWSGI does.
 */
export async function runSpoolTask(
  path: string,
  fn: SpoolerFunction | null,
  log: (line: string, err?: unknown) => void,
): Promise<SpoolOutcome> {
  let task: SpoolTask;
  try {
    task = spoolTaskFromBytes(readFileSync(path), basename(path));
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
  let returned: unknown;
  try {
    returned = await fn(task);
  } catch (err) {
    log(`[spooler] task ${path} failed; it will be retried`, err);
    return { path, status: "failed", error: err, task };
  }
  if (returned === SPOOL_OK) {
    try {
      unlinkSync(path);
    } catch {
      /* removed by the callable itself */
    }
    return { path, status: "done", returned, task };
  }
  if (returned === SPOOL_IGNORE) {
    log(`[spooler] task ${path} was ignored (SPOOL_IGNORE); it stays for the next pass`);
    return { path, status: "ignored", returned, task };
  }
  return { path, status: "retry", returned, task };
}
