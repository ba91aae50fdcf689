/**
 * modifier1 100 (ping): the reply is `[100][len][1]` followed by the instance's warning
 * message (`set_warning_message`, at most 80 bytes); `uwsgi --ping` reads it.
 * @module
 */
import { type BytesLike, toBuffer } from "../../core/bytes.js";
import { encodePingResponse } from "../../protocol/messages.js";
import type { ModifierHandler } from "./modifier-handlers.js";

/** Longest warning message a ping reply carries (uWSGI's shared 81-byte buffer). */
export const PING_WARNING_MAX = 80;

/**
 * A ping handler answering with the current warning message.
 * @param getWarningMessage returns the message, or null/empty when there is none; read on every ping.
 * @example
 * ```ts
 * registry.register(Modifier1.PING, createPingHandler(() => shared.warningMessage()), { accounted: false });
 * ```
 */
export function createPingHandler(getWarningMessage: () => BytesLike | null = () => null): ModifierHandler {
  return ({ socket }) => {
    const message = getWarningMessage();
    const bytes = message === null ? null : toBuffer(message, "warning message").subarray(0, PING_WARNING_MAX);
    socket.write(encodePingResponse(bytes));
  };
}
