/**
 * Whether a worker's report changes what the master shows: the worker table it pushes to every
 * process and the built-in metrics mirror only the counters, not the Node runtime sample a
 * heartbeat carries. An unchanged heartbeat then costs the master and the workers no table push.
 * @module
 */
import type { WorkerCounters } from "../ipc-messages.js";

/**
 * True when `next` differs from `prev` in any counter other than `runtime`.
 * @example
 * if (countersChanged(proc.counters, counters)) tableDirty = true;
 */
export function countersChanged(prev: WorkerCounters | undefined, next: WorkerCounters): boolean {
  if (prev === undefined) return true;
  for (const key of Object.keys(next) as (keyof WorkerCounters)[]) {
    if (key !== "runtime" && prev[key] !== next[key]) return true;
  }
  for (const key of Object.keys(prev) as (keyof WorkerCounters)[]) {
    if (key !== "runtime" && !(key in next)) return true;
  }
  return false;
}
