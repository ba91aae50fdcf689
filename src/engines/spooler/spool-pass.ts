/**
 * One spooler pass: every task of the served directories whose time has come, run in order.
 * @module
 */
import type { SpoolerFunction } from "../../api.js";
import { scanSpoolDir } from "./spool-scan.js";
import { runSpoolTask, type RunSpoolTaskOptions, type SpoolOutcome } from "./spool-task-runner.js";

/**
 * Runs the due tasks of `dirs` with `hook` at `nowMs`; reports what happened to each. `options`
 * (retry policy, claim, clock) apply to every task; each task's failed folder is its directory's.
 */
export async function runSpoolPass(
  dirs: readonly string[],
  hook: SpoolerFunction | null,
  nowMs: number,
  log: (line: string, err?: unknown) => void,
  options: Omit<RunSpoolTaskOptions, "root" | "attempted"> = {},
): Promise<SpoolOutcome[]> {
  const outcomes: SpoolOutcome[] = [];
  for (const dir of dirs) {
    const scan = scanSpoolDir(dir, nowMs);
    for (const path of scan.due) outcomes.push(await runSpoolTask(path, hook, log, { ...options, root: dir, attempted: scan.attempted.has(path) }));
  }
  return outcomes;
}
