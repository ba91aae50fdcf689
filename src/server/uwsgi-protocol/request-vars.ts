/**
 * Decodes the vars of an HTTP-style uwsgi request: keys and values as latin1 strings (byte for
 * byte, as WSGI's environ), in packet order, in one flat array. This is the hot path of every
 * `--socket` request, so it decodes the payload into one string and cuts the vars out of it
 * (one call into Node instead of one per key and value), and it builds no object: an environ
 * object with two dozen dynamic keys costs V8 a slow keyed store and a string-table lookup per
 * key, and most requests never ask for it ({@link envOfVars} builds it on demand). The rules are
 * those of `decodeVars` (src/protocol/packet.ts), which is called to produce the exact error for
 * a bad payload.
 * @module
 */
import { Buffer } from "node:buffer";
import { UwsgiError } from "../../errors.js";
import { decodeVars } from "../../protocol/packet.js";

/**
 * The vars of `payload`: keys at even indexes, each followed by its value.
 * @throws UwsgiError UWSGI_ERR_PACKET_MALFORMED (from `decodeVars`) naming the bad record.
 * @example
 * decodeRequestVars(packet.payload); // ["REQUEST_METHOD", "GET", "PATH_INFO", "/", ...]
 */
export function decodeRequestVars(payload: Buffer): string[] {
  const vars: string[] = [];
  let n = 0;
  const end = payload.length;
  const text = payload.toString("latin1");
  let p = 0;
  while (p < end) {
    if (end - p < 2) return fail(payload);
    const keyLength = payload[p]! | (payload[p + 1]! << 8);
    p += 2;
    if (keyLength === 0 || p + keyLength + 2 > end) return fail(payload);
    const key = text.substring(p, p + keyLength);
    p += keyLength;
    const valueLength = payload[p]! | (payload[p + 1]! << 8);
    p += 2;
    if (p + valueLength > end) return fail(payload);
    vars[n] = key; // (two stores: a two-argument push() is a call into a builtin)
    vars[n + 1] = valueLength === 0 ? "" : text.substring(p, p + valueLength);
    n += 2;
    p += valueLength;
  }
  return vars;
}

/**
 * The environ object of decoded vars: the last duplicate wins, in the position of the first; a
 * `__proto__` var is left out (it cannot be an own key of a plain object).
 * @example
 * envOfVars(["A", "1", "B", "2", "A", "3"]); // { A: "3", B: "2" }
 */
export function envOfVars(vars: readonly string[]): Record<string, string> {
  const env: Record<string, string> = {};
  for (let i = 0; i < vars.length; i += 2) {
    const key = vars[i]!;
    if (key !== "__proto__") env[key] = vars[i + 1]!;
  }
  return env;
}

/** Throws the canonical error for a payload the fast decoder rejected. */
function fail(payload: Buffer): never {
  decodeVars(payload); // throws UWSGI_ERR_PACKET_MALFORMED with the precise reason
  throw new UwsgiError("UWSGI_ERR_PACKET_MALFORMED", "vars: invalid record");
}
