/**
 * Conversions between the byte-ish inputs the API accepts and the `Buffer`s it returns.
 * @module
 */
import { Buffer } from "node:buffer";
import { UwsgiError } from "../errors.js";

/** What the API accepts wherever uWSGI takes bytes. */
export type BytesLike = Buffer | Uint8Array | string;

/**
 * Turns a string (UTF-8), `Uint8Array` or `Buffer` into a `Buffer` without copying Buffers.
 * @throws UwsgiError UWSGI_ERR_INVALID_ARGUMENT for anything else, naming `what`.
 */
export function toBuffer(value: BytesLike, what = "value"): Buffer {
  if (Buffer.isBuffer(value)) return value;
  if (typeof value === "string") return stringToBuffer(value);
  if (value instanceof Uint8Array) return Buffer.from(value.buffer, value.byteOffset, value.byteLength);
  throw new UwsgiError("UWSGI_ERR_INVALID_ARGUMENT", what, `expected string, Buffer or Uint8Array, got ${describe(value)}`);
}

/** Strings up to this many characters are encoded in JavaScript (see {@link shortStringBuffer}). */
const SHORT_STRING = 16;

/** The UTF-8 bytes of a string, in a new Buffer. */
export function stringToBuffer(s: string): Buffer {
  return s.length <= SHORT_STRING ? shortStringBuffer(s) : Buffer.from(s, "utf8");
}

/**
 * The UTF-8 bytes of a short string: an ASCII one is copied here character by character, which
 * costs a third of `Buffer.from(string)`'s two calls into C++ (its length, then its bytes); any
 * other goes to `Buffer.from`. Both take the bytes from Buffer's pool.
 */
function shortStringBuffer(s: string): Buffer {
  const n = s.length;
  const buf = Buffer.allocUnsafe(n);
  for (let i = 0; i < n; i++) {
    const c = s.charCodeAt(i);
    if (c > 0x7f) return Buffer.from(s, "utf8");
    buf[i] = c;
  }
  return buf;
}

/** A short description of a value's type for error messages. */
export function describe(value: unknown): string {
  if (value === null) return "null";
  if (Array.isArray(value)) return "array";
  return typeof value === "object" ? (value.constructor?.name ?? "object") : typeof value;
}
