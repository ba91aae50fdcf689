/**
 * Finding spool files in a spooler directory, in the order a spooler runs them.
 * @module
 */
import { type Dirent, readdirSync, statSync } from "node:fs";
import { join } from "node:path";
import { isSpoolFileName } from "../../protocol/spool-file.js";
import { ATTEMPTS_PREFIX } from "./spool-attempts.js";

const NUMERIC = /^\d+$/;
const DIGIT_RUNS = /(\d+)/;

/** What {@link compareSpoolNames} compares of a name, computed once per name when sorting. */
interface SortKey {
  readonly name: string;
  readonly numeric: boolean;
  /** The name split into runs: text at even indexes, digit runs at odd ones. */
  readonly runs: readonly string[];
}

function sortKey(name: string): SortKey {
  return { name, numeric: NUMERIC.test(name), runs: name.split(DIGIT_RUNS) };
}

function compareKeys(a: SortKey, b: SortKey): number {
  if (a.numeric && b.numeric) return Number(a.name) - Number(b.name) || (a.name < b.name ? -1 : a.name > b.name ? 1 : 0);
  if (a.numeric !== b.numeric) return a.numeric ? -1 : 1;
  const pa = a.runs;
  const pb = b.runs;
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

/**
 * Version order, as glibc's `versionsort` that uWSGI's ordered spooler uses: numeric names by
 * value first, then the rest compared run by run, digit runs by value. Task names
 * (`..._<pid>_<counter>_...`) therefore come out in spool order per process (counter 9 before 10).
 */
export function compareSpoolNames(a: string, b: string): number {
  return compareKeys(sortKey(a), sortKey(b));
}

/** `names` in {@link compareSpoolNames} order, each name split once (a pass may list thousands). */
export function sortSpoolNames(names: readonly string[]): string[] {
  return names
    .map(sortKey)
    .sort(compareKeys)
    .map((k) => k.name);
}

function entries(dir: string): string[] {
  try {
    return sortSpoolNames(readdirSync(dir));
  } catch {
    return [];
  }
}

/** The entries of `dir` (with their types, when the file system gives them) in name order. */
function typedEntries(dir: string): Dirent[] {
  let list: Dirent[];
  try {
    list = readdirSync(dir, { withFileTypes: true });
  } catch {
    return [];
  }
  return list
    .map((entry) => ({ entry, key: sortKey(entry.name) }))
    .sort((a, b) => compareKeys(a.key, b.key))
    .map((k) => k.entry);
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

/** Options of {@link scanSpoolDir}. */
export interface ScanOptions {
  /**
   * Read each task file's time (a stat per file) and list only those whose time has come. False:
   * list every task file (the directory entry's type says it is one) and leave the time to the
   * claim, which reads it under the task's lock anyway (`ClaimedTask.fileTimeMs`); then
   * `nextDueMs` is null. Default true.
   */
  readonly checkTimes?: boolean;
}

/**
 * Scans `dir`: task files whose time has come (`mtime <= nowMs`, the `at` time), in run order:
 * numeric priority subdirectories first, lowest number first (recursively), then the top-level
 * files in version order.
 *
 * uWSGI runs priority subdirectories only with `--spooler-ordered`; without it their tasks never
 * run. We always run them (see docs/differences.md).
 */
export function scanSpoolDir(dir: string, nowMs: number, { checkTimes = true }: ScanOptions = {}): SpoolScan {
  const due: string[] = [];
  const attempted = new Set<string>();
  let nextDueMs: number | null = null;
  const walk = (d: string): void => {
    const files: string[] = [];
    for (const entry of typedEntries(d)) {
      const name = entry.name;
      const path = join(d, name);
      if (name.startsWith(ATTEMPTS_PREFIX)) {
        attempted.add(join(d, name.slice(ATTEMPTS_PREFIX.length)));
        continue;
      }
      const numeric = NUMERIC.test(name);
      if (!numeric && !isSpoolFileName(name)) continue;
      if (!checkTimes && !numeric && entry.isFile()) {
        files.push(path);
        continue;
      }
      let st;
      try {
        st = statSync(path);
      } catch {
        continue; // taken by another spooler meanwhile
      }
      if (numeric) {
        if (st.isDirectory()) walk(path);
      } else if (st.isFile()) {
        if (!checkTimes || st.mtimeMs <= nowMs) files.push(path);
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
