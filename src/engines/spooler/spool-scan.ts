/**
 * Finding spool files in a spooler directory, in the order a spooler runs them.
 * @module
 */
import { readdirSync, statSync } from "node:fs";
import { join } from "node:path";
import { isSpoolFileName } from "../../protocol/spool-file.js";

const NUMERIC = /^\d+$/;

/** Version-style order: numeric names by value, then the rest by name. */
function byVersion(a: string, b: string): number {
  const na = NUMERIC.test(a);
  const nb = NUMERIC.test(b);
  if (na && nb) return Number(a) - Number(b);
  if (na !== nb) return na ? -1 : 1;
  return a < b ? -1 : a > b ? 1 : 0;
}

function entries(dir: string): string[] {
  try {
    return readdirSync(dir).sort(byVersion);
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

/**
 * Task files whose time has come (`mtime <= nowMs`, the `at` time), in run order: numeric
 * priority subdirectories first, lowest number first (recursively), then the top-level files.
 *
 * uWSGI runs priority subdirectories only with `--spooler-ordered`; without it their tasks never
 * run. We always run them (see docs/differences.md).
 */
export function dueSpoolFiles(dir: string, nowMs: number): string[] {
  const out: string[] = [];
  const files: string[] = [];
  for (const name of entries(dir)) {
    const path = join(dir, name);
    let st;
    try {
      st = statSync(path);
    } catch {
      continue; // taken by another spooler meanwhile
    }
    if (st.isDirectory() && NUMERIC.test(name)) out.push(...dueSpoolFiles(path, nowMs));
    else if (st.isFile() && isSpoolFileName(name) && st.mtimeMs <= nowMs) files.push(path);
  }
  return [...out, ...files];
}
