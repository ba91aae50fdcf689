/**
 * Finding spool files in a spooler directory, in the order a spooler runs them.
 * @module
 */
import { readdirSync, statSync } from "node:fs";
import { join } from "node:path";
import { isSpoolFileName } from "../../protocol/spool-file.js";
import { ATTEMPTS_PREFIX } from "./spool-attempts.js";

const NUMERIC = /^\d+$/;
const DIGIT_RUNS = /(\d+)/;

/**
 * Version order, as glibc's `versionsort` that uWSGI's ordered spooler uses: numeric names by
 * value first, then the rest compared run by run, digit runs by value. Task names
 * (`..._<pid>_<counter>_...`) therefore come out in spool order per process (counter 9 before 10).
 */
export function compareSpoolNames(a: string, b: string): number {
  const na = NUMERIC.test(a);
  const nb = NUMERIC.test(b);
  if (na && nb) return Number(a) - Number(b) || (a < b ? -1 : a > b ? 1 : 0);
  if (na !== nb) return na ? -1 : 1;
  const pa = a.split(DIGIT_RUNS);
  const pb = b.split(DIGIT_RUNS);
  const n = Math.min(pa.length, pb.length);
  for (let i = 0; i < n; i++) {
    const x = pa[i]!;
    const y = pb[i]!;
    if (x === y) continue;
    if (i % 2 === 1) {
      // digit runs (odd indexes of the split): by value, then the shorter (fewer leading zeros) first
      const d = x.length === y.length ? (x < y ? -1 : 1) : Number(x) - Number(y) || x.length - y.length;
      if (d !== 0) return d < 0 ? -1 : 1;
    } else {
      return x < y ? -1 : 1;
    }
  }
  return pa.length - pb.length;
}

function entries(dir: string): string[] {
  try {
    return readdirSync(dir).sort(compareSpoolNames);
  } catch {
    return [];
  }
}

/** Full paths of the task files at the top level of `dir` (what `spooler_jobs()` lists). */
export function listSpoolFiles(dir: string): string[] {
  return entries(dir)
    .filter((name) => isSpoolFileName(name))
    .map((name) => join(dir, name))
    .filter((path) => {
      try {
        return statSync(path).isFile();
      } catch {
        return false;
      }
    });
}

/** One pass over a spooler directory. */
export interface SpoolScan {
  /** Task files whose time has come, in run order. */
  readonly due: string[];
  /** The earliest file time (ms) of a task not due yet (a later `at`, a retry backing off), or null. */
  readonly nextDueMs: number | null;
  /** Tasks that have failed before (an attempts record exists beside them). */
  readonly attempted: ReadonlySet<string>;
}

/**
 * Scans `dir`: task files whose time has come (`mtime <= nowMs`, the `at` time), in run order:
 * numeric priority subdirectories first, lowest number first (recursively), then the top-level
 * files in version order.
 *
 * uWSGI runs priority subdirectories only with `--spooler-ordered`; without it their tasks never
 * run. We always run them (see docs/differences.md).
 */
export function scanSpoolDir(dir: string, nowMs: number): SpoolScan {
  const due: string[] = [];
  const attempted = new Set<string>();
  let nextDueMs: number | null = null;
  const walk = (d: string): void => {
    const files: string[] = [];
    for (const name of entries(d)) {
      const path = join(d, name);
      if (name.startsWith(ATTEMPTS_PREFIX)) {
        attempted.add(join(d, name.slice(ATTEMPTS_PREFIX.length)));
        continue;
      }
      const numeric = NUMERIC.test(name);
      if (!numeric && !isSpoolFileName(name)) continue;
      let st;
      try {
        st = statSync(path);
      } catch {
        continue; // taken by another spooler meanwhile
      }
      if (numeric) {
        if (st.isDirectory()) walk(path);
      } else if (st.isFile()) {
        if (st.mtimeMs <= nowMs) files.push(path);
        else if (nextDueMs === null || st.mtimeMs < nextDueMs) nextDueMs = st.mtimeMs;
      }
    }
    due.push(...files);
  };
  walk(dir);
  return { due, nextDueMs, attempted };
}

/** The task files of {@link scanSpoolDir} whose time has come, in run order. */
export function dueSpoolFiles(dir: string, nowMs: number): string[] {
  return scanSpoolDir(dir, nowMs).due;
}
