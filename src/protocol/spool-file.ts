/**
 * uWSGI spool files: their byte layout and their names.
 *
 * A spool file is `[17][dictlen LE16][0]` + a vars dictionary + an optional raw body that runs
 * to the end of the file. The same header+dict layout with modifier1 0 is also accepted when
 * reading (`uwsgi.parsefile`).
 *
 * @module
 */
import { Buffer } from "node:buffer";
import { UwsgiError, isUwsgiError } from "../errors.js";
import {
  Modifier1,
  UWSGI_HEADER_SIZE,
  UWSGI_MAX_DATASIZE,
  type VarsInput,
  type VarsPair,
  decodeVars,
  encodeHeader,
  encodeVars,
} from "./packet.js";

/** Every spool file name starts with this; the spooler only picks up such names. */
export const SPOOL_FILE_PREFIX = "uwsgi_spoolfile_on_";

/** A decoded spool file. */
export interface SpoolFileContent {
  /** The task's dictionary, in file order (duplicates kept). */
  vars: VarsPair[];
  /** The raw bytes after the dictionary, or `null` when there are none. */
  body: Buffer | null;
}

/** The parts of a spool file name (see {@link spoolFileName}). */
export interface SpoolFileNameParts {
  /** Host name of the writer (must not contain `/` or NUL). */
  hostname: string;
  /** Process id of the writer. */
  pid: number;
  /** Per-process counter, incremented on every spool attempt. */
  counter: number;
  /** A random non-negative integer (uWSGI uses C `rand()`). */
  random: number;
  /** Wall-clock time in milliseconds since the epoch; fractions give the microseconds. */
  nowMs: number;
}

/**
 * Encodes a spool file: header, dictionary, then `body` (if any, no size limit).
 *
 * Deliberate difference from uWSGI: uWSGI silently truncates key/value lengths to 16 bits
 * (a 70000-byte value is stored as its first 4464 bytes, a BUG); here an oversized key or value,
 * an empty key, or a dictionary over 65535 bytes is an error.
 * @throws UwsgiError UWSGI_ERR_SPOOL_ARGUMENT naming the offending key or size.
 * @example
 * encodeSpoolFile([["priority", "5"], ["action", "ok"]]);
 * // => <Buffer 11 19 00 00 08 00 70 72 69 ... 02 00 6f 6b>
 */
export function encodeSpoolFile(vars: VarsInput, body?: Buffer | null): Buffer {
  const direct = encodeDirect(vars, body);
  if (direct) return direct;
  let dict: Buffer;
  try {
    dict = encodeVars(vars);
  } catch (err) {
    if (isUwsgiError(err, "UWSGI_ERR_PACKET_ENCODE")) throw new UwsgiError("UWSGI_ERR_SPOOL_ARGUMENT", err.message.replace(/^cannot encode uwsgi packet: /, ""));
    throw err;
  }
  if (dict.length > UWSGI_MAX_DATASIZE) {
    throw new UwsgiError("UWSGI_ERR_SPOOL_ARGUMENT", `the encoded dictionary is ${dict.length} bytes (max ${UWSGI_MAX_DATASIZE}); put big values in the body`);
  }
  if (body !== undefined && body !== null && !Buffer.isBuffer(body)) {
    throw new UwsgiError("UWSGI_ERR_SPOOL_ARGUMENT", "body must be a Buffer");
  }
  const parts = [encodeHeader(Modifier1.SPOOL, dict.length, 0), dict];
  if (body && body.length > 0) parts.push(body);
  return Buffer.concat(parts);
}

/** Byte length of a key or value given as a string or Buffer; -1 for anything else. */
function byteSize(x: unknown): number {
  return typeof x === "string" ? Buffer.byteLength(x, "utf8") : Buffer.isBuffer(x) ? x.length : -1;
}

/**
 * {@link encodeSpoolFile} in one buffer, written once, for pairs of strings/Buffers within the
 * limits (what `uwsgi.spool()` passes); null for anything else, which the general path encodes
 * or rejects with its detailed errors.
 */
function encodeDirect(vars: VarsInput, body: Buffer | null | undefined): Buffer | null {
  if (!Array.isArray(vars) || (body !== undefined && body !== null && !Buffer.isBuffer(body))) return null;
  let dictLength = 0;
  for (const pair of vars as unknown[]) {
    if (!Array.isArray(pair) || pair.length !== 2) return null;
    const k = byteSize(pair[0]);
    const v = byteSize(pair[1]);
    if (k <= 0 || k > UWSGI_MAX_DATASIZE || v < 0 || v > UWSGI_MAX_DATASIZE) return null;
    dictLength += 4 + k + v;
  }
  if (dictLength > UWSGI_MAX_DATASIZE) return null;
  const bodyLength = body ? body.length : 0;
  const out = Buffer.allocUnsafe(UWSGI_HEADER_SIZE + dictLength + bodyLength);
  out[0] = Modifier1.SPOOL;
  out.writeUInt16LE(dictLength, 1);
  out[3] = 0;
  let p = UWSGI_HEADER_SIZE;
  for (const pair of vars as ReadonlyArray<readonly [string | Buffer, string | Buffer]>) {
    p = writeSized(out, p, pair[0]);
    p = writeSized(out, p, pair[1]);
  }
  if (body && bodyLength > 0) body.copy(out, p);
  return out;
}

function writeSized(out: Buffer, p: number, x: string | Buffer): number {
  const n = typeof x === "string" ? out.write(x, p + 2, "utf8") : x.copy(out, p + 2);
  out.writeUInt16LE(n, p);
  return p + 2 + n;
}

/**
 * Decodes a spool file (modifier1 17, or 0 as `parsefile` allows). The body is whatever follows
 * the dictionary, `null` when nothing does. Results are views into `buf`.
 * @param name used in error messages (e.g. the file's path).
 * @throws UwsgiError UWSGI_ERR_SPOOL_FILE_MALFORMED for a short header, another modifier1,
 *   a dictionary running past the end, or a malformed dictionary.
 * @example
 * const { vars, body } = decodeSpoolFile(fs.readFileSync(path), path);
 */
export function decodeSpoolFile(buf: Buffer, name = "<buffer>"): SpoolFileContent {
  if (!Buffer.isBuffer(buf)) throw new UwsgiError("UWSGI_ERR_INVALID_ARGUMENT", "buf", "expected a Buffer");
  if (buf.length < UWSGI_HEADER_SIZE) {
    throw new UwsgiError("UWSGI_ERR_SPOOL_FILE_MALFORMED", name, `truncated header: ${buf.length} of ${UWSGI_HEADER_SIZE} bytes`);
  }
  const modifier1 = buf[0]!;
  const dictLength = buf.readUInt16LE(1);
  if (modifier1 !== Modifier1.SPOOL && modifier1 !== Modifier1.WSGI) {
    throw new UwsgiError("UWSGI_ERR_SPOOL_FILE_MALFORMED", name, `modifier1 is ${modifier1}, expected 17 or 0`);
  }
  const dictEnd = UWSGI_HEADER_SIZE + dictLength;
  if (dictEnd > buf.length) {
    throw new UwsgiError("UWSGI_ERR_SPOOL_FILE_MALFORMED", name, `dictionary of ${dictLength} bytes runs past the end of the ${buf.length}-byte file`);
  }
  let vars: VarsPair[];
  try {
    vars = decodeVars(buf.subarray(UWSGI_HEADER_SIZE, dictEnd));
  } catch (err) {
    if (isUwsgiError(err, "UWSGI_ERR_PACKET_MALFORMED")) throw new UwsgiError("UWSGI_ERR_SPOOL_FILE_MALFORMED", name, err.message);
    throw err;
  }
  return { vars, body: dictEnd < buf.length ? buf.subarray(dictEnd) : null };
}

/**
 * The spool file name uWSGI uses:
 * `uwsgi_spoolfile_on_<hostname>_<pid>_<counter>_<rand>_<sec>_<usec>` (usec not zero-padded).
 * @throws UwsgiError UWSGI_ERR_SPOOL_ARGUMENT for a host name with `/` or NUL, or a part that is
 *   not a non-negative integer.
 * @example
 * spoolFileName({ hostname: "web1", pid: 42, counter: 1, random: 1804289383, nowMs: 1700000000123.456 });
 * // => "uwsgi_spoolfile_on_web1_42_1_1804289383_1700000000_123456"
 */
export function spoolFileName({ hostname, pid, counter, random, nowMs }: SpoolFileNameParts): string {
  if (typeof hostname !== "string" || /[/\0]/.test(hostname)) {
    throw new UwsgiError("UWSGI_ERR_SPOOL_ARGUMENT", `hostname ${JSON.stringify(hostname)} cannot be part of a file name`);
  }
  for (const [what, value] of [["pid", pid], ["counter", counter], ["random", random]] as const) {
    if (!Number.isSafeInteger(value) || value < 0) {
      throw new UwsgiError("UWSGI_ERR_SPOOL_ARGUMENT", `${what} must be a non-negative integer, got ${String(value)}`);
    }
  }
  if (!Number.isFinite(nowMs) || nowMs < 0) {
    throw new UwsgiError("UWSGI_ERR_SPOOL_ARGUMENT", `nowMs must be a non-negative time, got ${String(nowMs)}`);
  }
  const sec = Math.floor(nowMs / 1000);
  const usec = Math.min(999_999, Math.floor((nowMs - sec * 1000) * 1000));
  return `${SPOOL_FILE_PREFIX}${hostname}_${pid}_${counter}_${random}_${sec}_${usec}`;
}

/**
 * True for a base name the spooler would pick up as a task (it starts with
 * `uwsgi_spoolfile_on_`, the same prefix test uWSGI applies).
 * @example
 * isSpoolFileName("uwsgi_spoolfile_on_web1_42_1_7_1700000000_5"); // => true
 */
export function isSpoolFileName(name: string): boolean {
  return typeof name === "string" && name.startsWith(SPOOL_FILE_PREFIX);
}
