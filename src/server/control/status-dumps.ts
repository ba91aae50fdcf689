/**
 * What the master logs on SIGUSR1 and SIGUSR2, after uWSGI: SIGUSR1 prints the request counters
 * (uWSGI's `stats()`: the total, then each worker's requests and exceptions), SIGUSR2 what each
 * worker is doing now (uWSGI's `what_i_am_doing()`, printed there by each worker; here the master
 * prints it for all of them, from the counters the workers report).
 * Neither reopens the log: log reopening is `--touch-logreopen`, the master FIFO's `l`/`L`, or a
 * reload with `--log-reopen`.
 * @module
 */
import type { WorkerSlot } from "../worker-table.js";

/** SIGUSR1: the request counters, as uWSGI's master prints them. */
export function requestCounterLines(slots: readonly WorkerSlot[]): string[] {
  const totals = slots.map((s) => s.totals());
  const lines = [`\tworkers total requests: ${totals.reduce((sum, t) => sum + t.requests, 0)}`, "-----------------"];
  slots.forEach((s, i) => {
    lines.push(`\tworker ${s.id} app 0 requests: ${totals[i]!.requests} exceptions: ${totals[i]!.exceptions}`, "-----------------");
  });
  return lines;
}

/** SIGUSR2: each worker's state now (busy ones with their oldest running request's age). */
export function workerActivityLines(slots: readonly WorkerSlot[], now: number): string[] {
  return slots.map((s) => {
    const p = s.serving;
    if (!p) return `worker ${s.id}: no process (cheap)`;
    const c = p.counters;
    if (c.inFlight === 0) return `worker ${s.id} (pid: ${p.pid}): idle, ${c.requests} requests served`;
    const age = c.oldestStart ? ` for ${((now - c.oldestStart) / 1000).toFixed(1)} seconds` : "";
    return `worker ${s.id} (pid: ${p.pid}): busy, ${c.inFlight} request(s) in flight, the oldest running${age}`;
  });
}
