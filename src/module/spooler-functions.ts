/**
 * Spooler functions: queueing tasks as uWSGI spool files, listing and reading them.
 * @module
 */
import { Buffer } from "node:buffer";
import { readFileSync } from "node:fs";
import { resolve } from "node:path";
import type { SpoolMessage, SpoolTask, SpoolValue, UwsgiModule } from "../api.js";
import { toBuffer } from "../core/bytes.js";
import { UwsgiError } from "../errors.js";
import { decodeSpoolFile } from "../protocol/spool-file.js";
import { varsToObject } from "../protocol/packet.js";
import { writeSpoolFileSync } from "../protocol/spool-file-io.js";
import { listSpoolFiles } from "../engines/spooler/spool-scan.js";
import { spoolTaskFromBytes } from "../engines/spooler/spool-task-runner.js";
import type { ProcessRole } from "./process-role.js";

/** What the spooler functions need from their backend. */
export interface SpoolerDeps {
  /** Spooler directories, first = default target. Empty when no spooler is configured. */
  dirs(): readonly string[];
  role(): ProcessRole;
  /** Tells the spooler(s) of `dir` that a task is waiting. */
  notify(dir: string): void;
  /** Pids of every spooler process, in configuration order. */
  pids(): number[];
  /** Sets (seconds > 0) or clears (0) the scan-period override. */
  setFrequency(seconds: number): void;
  /**
   * A clock other than the file system's (the stub's, which tests may set): a task without `at`
   * gets its time as its file time, so it is due at once by that clock. Absent (the server): such
   * a task keeps the time of its write, the real time, so it is due at once, and its write costs
   * no extra system call.
   */
  nowMs?(): number;
}

type SpoolerFunctionName =
  | "send_to_spooler" | "spool" | "spooler_jobs" | "spooler_get_task" | "spooler_pid" | "spooler_pids"
  | "set_spooler_frequency" | "i_am_the_spooler" | "parsefile";

function valueBytes(key: string, value: SpoolValue): Buffer {
  if (typeof value === "number") {
    if (!Number.isFinite(value)) throw new UwsgiError("UWSGI_ERR_SPOOL_ARGUMENT", `value of ${JSON.stringify(key)} is not a finite number`);
    return Buffer.from(String(value));
  }
  return toBuffer(value, `spool value ${JSON.stringify(key)}`);
}

/** Where a task goes: its spooler directory, priority subdirectory and `at` time. */
export interface SpoolTarget {
  readonly dir: string;
  readonly priority?: string;
  readonly at?: number;
}

/**
 * Reads the reserved keys of a task (`spooler`, `priority`, `at`; the last one wins, as uWSGI's
 * parser keeps the last) against the spool directories `dirs` (the first is the default).
 * @throws UwsgiError UWSGI_ERR_SPOOLER_NONE without directories; UWSGI_ERR_SPOOL_FAILED for a
 *   `spooler` that names no configured or external directory; UWSGI_ERR_SPOOL_ARGUMENT for a
 *   `priority` that is not a whole number or an `at` that is not a time.
 */
export function spoolTarget(dirs: readonly string[], vars: Iterable<readonly [string | Buffer, Buffer]>): SpoolTarget {
  if (dirs.length === 0) throw new UwsgiError("UWSGI_ERR_SPOOLER_NONE", "configure --spooler DIR or --spooler-external DIR");
  let dir = dirs[0]!;
  let priority: string | undefined;
  let at: number | undefined;
  for (const [k, bytes] of vars) {
    const key = typeof k === "string" ? k : k.toString("latin1");
    if (key === "spooler") {
      const wanted = resolve(bytes.toString("utf8"));
      const found = dirs.find((d) => d === wanted);
      if (!found) throw new UwsgiError("UWSGI_ERR_SPOOL_FAILED", `no spooler serves ${JSON.stringify(bytes.toString("utf8"))} (configured: ${dirs.join(", ")})`);
      dir = found;
    } else if (key === "priority") {
      priority = bytes.toString("utf8");
      if (!/^\d+$/.test(priority)) throw new UwsgiError("UWSGI_ERR_SPOOL_ARGUMENT", `priority must be a whole number >= 0, got ${JSON.stringify(priority)}`);
    } else if (key === "at") {
      at = Number(bytes.toString("utf8"));
      if (!Number.isFinite(at) || at < 0) throw new UwsgiError("UWSGI_ERR_SPOOL_ARGUMENT", `at must be a unix time, got ${JSON.stringify(bytes.toString("utf8"))}`);
    }
  }
  return { dir, priority, at };
}

/** Builds the spooler functions. */
export function spoolerFunctions(deps: SpoolerDeps): Pick<UwsgiModule, SpoolerFunctionName> {
  function sendToSpooler(message?: SpoolMessage | null, kwargs?: SpoolMessage): Buffer {
    if (message !== null && message !== undefined && (typeof message !== "object" || Array.isArray(message) || Buffer.isBuffer(message))) {
      throw new UwsgiError("UWSGI_ERR_SPOOL_ARGUMENT", "the message must be an object of key -> bytes/string/number");
    }
    const merged: SpoolMessage = { ...(message ?? {}), ...(kwargs ?? {}) };
    const dirs = deps.dirs();
    if (dirs.length === 0) throw new UwsgiError("UWSGI_ERR_SPOOLER_NONE", "configure --spooler DIR or --spooler-external DIR");
    let body: Buffer | undefined;
    const vars: Array<[string, Buffer]> = [];
    for (const [key, value] of Object.entries(merged)) {
      if (value === undefined) continue;
      if (key === "body") body = valueBytes(key, value);
      else vars.push([key, valueBytes(key, value)]);
    }
    const { dir, priority, at } = spoolTarget(dirs, vars);
    const path = writeSpoolFileSync(dir, vars, body, { priority, at: at ?? (deps.nowMs ? Math.floor(deps.nowMs() / 1000) : null) });
    deps.notify(dir);
    return Buffer.from(path);
  }

  return {
    send_to_spooler: sendToSpooler,
    spool: sendToSpooler,
    spooler_jobs: () => {
      const first = deps.dirs()[0];
      return first ? listSpoolFiles(first).map((p) => Buffer.from(p)) : [];
    },
    spooler_get_task(path: string): SpoolTask | null {
      try {
        return spoolTaskFromBytes(readFileSync(path), path);
      } catch {
        return null;
      }
    },
    spooler_pid: () => deps.pids()[0] ?? 0,
    spooler_pids: () => deps.pids(),
    set_spooler_frequency(seconds: number): boolean {
      if (!Number.isInteger(seconds) || seconds < 0) throw new UwsgiError("UWSGI_ERR_INVALID_ARGUMENT", "seconds", `expected a whole number >= 0, got ${seconds}`);
      deps.setFrequency(seconds);
      return true;
    },
    i_am_the_spooler: () => deps.role().kind === "spooler",
    parsefile(fpath: string): Record<string, Buffer> | null {
      try {
        return { ...varsToObject(decodeSpoolFile(readFileSync(fpath)).vars) };
      } catch {
        return null;
      }
    },
  };
}
