// One temporary root per test file, removed after the file's tests, and fresh empty directories
// under it: scratchDirs("spool-engine") → () => a new directory each call.
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after } from "node:test";

/** The root (for paths beside the directories) and a maker of fresh empty directories under it. */
export function scratchDirs(name: string): { root: string; fresh(): string } {
  const root = mkdtempSync(join(tmpdir(), `uwsgi-node-${name}-`));
  after(() => rmSync(root, { recursive: true, force: true }));
  let n = 0;
  return { root, fresh: () => mkdtempSync(join(root, `d${n++}-`)) };
}
