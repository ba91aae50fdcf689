/**
 * Persistent RPC connections between uwsgi-node nodes (an extension of modifier1 173 that real
 * uWSGI ignores safely). uWSGI's client opens a connection per call and its server closes it
 * after the reply; a Node process pays a few hundred microseconds of CPU per TCP connection, more
 * than the call itself. So a uwsgi-node client asks once per connection:
 *
 * - `[173][0][0][75]` (an empty request with modifier2 75, "keep"): a uwsgi-node server answers
 *   `[173][4][0][75]` + the idle time it keeps the connection (u32 LE, ms) and keeps it open;
 *   real uWSGI logs "Empty RPC request. skip." and closes without running anything (its rpc
 *   plugin refuses an empty payload before looking at modifier2), so the client learns it must
 *   use one connection per call with that node.
 * - On a kept connection every call is a standard request (modifier2 0) and gets a reply, a miss
 *   too: `[173][0][0][0]` (an empty value, which is null as in uWSGI).
 * - A kept connection left idle (or whose worker stops) gets `[173][0][0][76]` ("farewell")
 *   before the server closes it: a call the client sent meanwhile was not read, and is sent again
 *   on a new connection. A connection that closes without a reply or a farewell failed the call.
 * @module
 */
import { Buffer } from "node:buffer";

/** modifier1 of RPC. */
const RPC = 173;
/** modifier2 of the keep request and of its acknowledgement. */
export const RPC_KEEP = 75;
/** modifier2 of the farewell on an idle kept connection. */
export const RPC_FAREWELL = 76;
/** How long a server keeps an idle connection (ms). */
export const RPC_KEEP_IDLE_MS = 15_000;

/** The keep request a client writes first on a new connection. */
export const RPC_KEEP_REQUEST: Buffer = Buffer.from([RPC, 0, 0, RPC_KEEP]);

/** The server's acknowledgement: `[173][4][0][75]` + idle ms. */
export function encodeKeepAck(idleMs: number): Buffer {
  const b = Buffer.from([RPC, 4, 0, RPC_KEEP, 0, 0, 0, 0]);
  b.writeUInt32LE(idleMs >>> 0, 4);
  return b;
}

/** The farewell packet. */
export const RPC_FAREWELL_PACKET: Buffer = Buffer.from([RPC, 0, 0, RPC_FAREWELL]);

/** A miss on a kept connection (an empty standard reply). */
export const RPC_EMPTY_REPLY: Buffer = Buffer.from([RPC, 0, 0, 0]);
