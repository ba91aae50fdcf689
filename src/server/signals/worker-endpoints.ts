/**
 * The master's workers as signal endpoints: the current process of every slot.
 * @module
 */
import type { WorkerSlot } from "../worker-table.js";
import type { SignalEndpoint } from "./signal-endpoints.js";

/** One endpoint per running worker (the current process of each slot). */
export function workerSignalEndpoints(slots: readonly WorkerSlot[]): SignalEndpoint[] {
  const out: SignalEndpoint[] = [];
  for (const slot of slots) {
    const proc = slot.current;
    if (!proc || proc.exited) continue;
    out.push({
      kind: "worker",
      id: slot.id,
      pid: proc.pid,
      ready: proc.ready && !proc.stopping && proc.child.connected,
      busy: proc.counters.inFlight > 0,
      active: !slot.cheaped,
    });
  }
  return out;
}
