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
  if (typeof value === "string") return Buffer.from(value, "utf8");
  if (value instanceof Uint8Array) return Buffer.from(value.buffer, value.byteOffset, value.byteLength);
  throw new UwsgiError("UWSGI_ERR_INVALID_ARGUMENT", what, `expected string, Buffer or Uint8Array, got ${describe(value)}`);
}

/** A short description of a value's type for error messages. */
export function describe(value: unknown): string {
  if (value === null) return "null";
  if (Array.isArray(value)) return "array";
  return typeof value === "object" ? (value.constructor?.name ?? "object") : typeof value;
}
