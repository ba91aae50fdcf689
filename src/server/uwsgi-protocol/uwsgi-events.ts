/**
 * What the uwsgi protocol socket reports about each request (for accounting and the request log),
 * and the application it serves.
 * @module
 */
import type { IncomingMessage, ServerResponse } from "node:http";

/** The application: a plain Node request listener (an Express app is one). */
export type UwsgiRequestListener = (req: IncomingMessage, res: ServerResponse) => void;

/** A request that starts being served (for accounting). */
export interface UwsgiRequestEvent {
  readonly modifier1: number;
  readonly modifier2: number;
  /** The request vars (modifier1 0/30), null for other modifiers. */
  readonly env: Readonly<Record<string, string>> | null;
  readonly req?: IncomingMessage;
  readonly res?: ServerResponse;
}

/** A request that is over (for accounting and the request log). */
export interface UwsgiResponseEvent extends UwsgiRequestEvent {
  /** HTTP status sent (0 for non-HTTP modifiers). */
  readonly status: number;
  /** Bytes written to the connection, headers included. */
  readonly txBytes: number;
  /** Time from the complete packet to the end of the response, in µs. */
  readonly durationMicros: number;
  /** True if the response did not complete (client gone, handler failed). */
  readonly aborted: boolean;
  /** The exception the application or handler raised, if any. */
  readonly error?: unknown;
}
