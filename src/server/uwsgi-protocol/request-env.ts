/**
 * Decodes the vars of an HTTP-style uwsgi request straight into the request's environ: one
 * string per key and value (latin1, byte for byte, as WSGI's environ), the last duplicate
 * winning. This is the hot path of every `--socket` request, so it reads strings directly
 * instead of going through `Buffer` views; the rules are those of `decodeVars`
 * (src/protocol/packet.ts), which is called to produce the exact error for a bad payload.
 * @module
 */
import { UwsgiError } from "../../errors.js";
import { decodeVars } from "../../protocol/packet.js";

/**
 * The vars of `payload` as an environ object.
 * @throws UwsgiError UWSGI_ERR_PACKET_MALFORMED (from `decodeVars`) naming the bad record.
 * @example
 * const env = decodeRequestEnv(packet.payload); // { REQUEST_METHOD: "GET", PATH_INFO: "/", ... }
 */
export function decodeRequestEnv(payload: Buffer): Record<string, string> {
  const env: Record<string, string> = {};
  const end = payload.length;
  let p = 0;
  while (p < end) {
    if (end - p < 2) return fail(payload);
    const keyLength = payload[p]! | (payload[p + 1]! << 8);
    p += 2;
    if (keyLength === 0 || p + keyLength + 2 > end) return fail(payload);
    const key = payload.toString("latin1", p, p + keyLength);
    p += keyLength;
    const valueLength = payload[p]! | (payload[p + 1]! << 8);
    p += 2;
    if (p + valueLength > end) return fail(payload);
    if (key !== "__proto__") env[key] = valueLength === 0 ? "" : payload.toString("latin1", p, p + valueLength);
    p += valueLength;
  }
  return env;
}

/** Throws the canonical error for a payload the fast decoder rejected. */
function fail(payload: Buffer): never {
  decodeVars(payload); // throws UWSGI_ERR_PACKET_MALFORMED with the precise reason
  throw new UwsgiError("UWSGI_ERR_PACKET_MALFORMED", "vars: invalid record");
}
