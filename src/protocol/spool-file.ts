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
import { Modifier1, UWSGI_HEADER_SIZE, type VarsInput, type VarsPair, decodeVars, encodeVarsPacket } from "./packet.js";

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
  if (body !== undefined && body !== null && !Buffer.isBuffer(body)) {
    throw new UwsgiError("UWSGI_ERR_SPOOL_ARGUMENT", "body must be a Buffer");
  }
  try {
    return encodeVarsPacket(Modifier1.SPOOL, 0, vars, body);
  } catch (err) {
    if (!isUwsgiError(err, "UWSGI_ERR_PACKET_ENCODE")) throw err;
    const detail = err.message.replace(/^cannot encode uwsgi packet: /, "");
    throw new UwsgiError("UWSGI_ERR_SPOOL_ARGUMENT", /^the encoded dictionary /.test(detail) ? `${detail}; put big values in the body` : detail);
  }
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
