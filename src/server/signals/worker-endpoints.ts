/**
 * The master's workers as signal endpoints: the current process of every slot.
 * @module
 */
import type { WorkerSlot } from "../worker-table.js";
import type { SignalEndpoint } from "./signal-endpoints.js";
import type { SignalDeliveryMessage } from "./signal-messages.js";

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
      send(num: number): boolean {
        if (!proc.child.connected) return false;
        const msg: SignalDeliveryMessage = { t: "sig-deliver", num };
        proc.child.send(msg, (err) => {
          // the worker is going away; its exit is handled separately
          void err;
        });
        return true;
      },
    });
  }
  return out;
}
