/**
 * The server side of remote signals (modifier1 110, uWSGI's signal plugin): the signal number
 * travels in modifier2; the worker that receives the packet hands it to its master, which routes
 * it by the instance's signal table exactly as a local `uwsgi.signal(num)` (behaviour spec
 * §1.5.4). The reply is a bare header `[255][0][0][status]`: 1 = handed to the master, 0 = the
 * master cannot be reached. As in uWSGI, an unregistered number is accepted (status 1) and then
 * goes to any worker, which logs that it has no handler.
 * @module
 */
import { decodeSignalRequest, encodeStatusReply } from "../../protocol/messages.js";
import type { ModifierHandler } from "../uwsgi-protocol/modifier-handlers.js";

/** Hands signal `num` to the master; false when it cannot (the master is gone). */
export type RaiseInInstance = (num: number) => boolean;

/** Builds the modifier1 110 handler. */
export function createSignalRequestHandler(raise: RaiseInInstance): ModifierHandler {
  return (req) => {
    const num = decodeSignalRequest(req);
    let ok: boolean;
    try {
      ok = raise(num);
    } catch (err) {
      req.log(`[uwsgi-signal] remote signal ${num} not raised: ${(err as Error).message}`);
      ok = false;
    }
    return new Promise<void>((resolve) => {
      req.socket.write(encodeStatusReply(ok), () => resolve());
    });
  };
}
