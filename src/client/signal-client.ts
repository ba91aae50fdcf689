/**
 * Raising a signal on another node (modifier1 110).
 * @module
 */
import { UwsgiError } from "../errors.js";
import { decodeStatusReply, encodeSignalRequest } from "../protocol/messages.js";
import type { RemoteSignal } from "../module/signal-functions.js";
import { HeaderReplyReader, exchange } from "./uwsgi-exchange.js";

/** Sends signals to other nodes with uWSGI's errors: rejected (ValueError) or unreachable (IOError). */
export class SignalClient implements RemoteSignal {
  constructor(private readonly timeoutMs: () => number) {}

  async send(address: string, num: number): Promise<void> {
    const reply = await exchange(address, encodeSignalRequest(num), new HeaderReplyReader(), this.timeoutMs());
    if (!reply.ok) throw new UwsgiError("UWSGI_ERR_SIGNAL_REMOTE_UNREACHABLE", num, address);
    if (!decodeStatusReply(reply.value)) throw new UwsgiError("UWSGI_ERR_SIGNAL_REMOTE_REJECTED", address, num);
  }
}
