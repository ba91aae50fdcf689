/**
 * One spooler pass: every task of the served directories whose time has come, run in order.
 * @module
 */
import type { SpoolerFunction } from "../../api.js";
import { dueSpoolFiles } from "./spool-scan.js";
import { runSpoolTask, type SpoolOutcome } from "./spool-task-runner.js";

/** Runs the due tasks of `dirs` with `hook` at `nowMs`; reports what happened to each. */
export async function runSpoolPass(
  dirs: readonly string[],
  hook: SpoolerFunction | null,
  nowMs: number,
  log: (line: string, err?: unknown) => void,
): Promise<SpoolOutcome[]> {
  const outcomes: SpoolOutcome[] = [];
  for (const dir of dirs) {
    for (const path of dueSpoolFiles(dir, nowMs)) outcomes.push(await runSpoolTask(path, hook, log));
  }
  return outcomes;
}
