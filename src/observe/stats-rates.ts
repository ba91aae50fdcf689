/**
 * Rates between two stats documents: requests/s and bytes/s per worker and for the instance
 * (a worker whose pid changed was respawned: its counters restarted, its rate starts over).
 * @module
 */
import type { StatsDocument } from "./stats-document-types.js";

/** Rates of one worker. */
export interface WorkerRates {
  requestsPerSecond: number;
  txPerSecond: number;
}

/** Rates of the instance. */
export interface InstanceRates {
  requestsPerSecond: number;
  txPerSecond: number;
  workers: Map<number, WorkerRates>;
}

/**
 * The rates from `previous` (read `seconds` earlier) to `current`; all zero without a previous.
 * @example
 * ```ts
 * const r = statsRates(before, after, 1);
 * r.workers.get(1)?.requestsPerSecond;
 * ```
 */
export function statsRates(previous: StatsDocument | null, current: StatsDocument, seconds: number): InstanceRates {
  const workers = new Map<number, WorkerRates>();
  let rps = 0;
  let tps = 0;
  for (const w of current.workers) {
    const before = previous?.workers.find((p) => p.id === w.id && p.pid === w.pid);
    const rate = (now: number | undefined, then: number | undefined) => (before && seconds > 0 ? Math.max(0, ((now ?? 0) - (then ?? 0)) / seconds) : 0);
    const r = { requestsPerSecond: rate(w.requests, before?.requests), txPerSecond: rate(w.tx, before?.tx) };
    workers.set(w.id, r);
    rps += r.requestsPerSecond;
    tps += r.txPerSecond;
  }
  return { requestsPerSecond: rps, txPerSecond: tps, workers };
}
