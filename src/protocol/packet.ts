/**
 * The uwsgi binary packet: a 4-byte header (`modifier1`, little-endian 16-bit `datasize`,
 * `modifier2`) followed by exactly `datasize` payload bytes, plus the two payload encodings
 * uWSGI uses on top of it: the "vars" dictionary and the array.
 *
 * Every function here is pure. Decoders return views into the input (`subarray`, no copies)
 * and never allocate more than the input they were given; malformed input raises
 * `UWSGI_ERR_PACKET_MALFORMED` naming the field and the payload offset.
 *
 * @module
 */
import { Buffer } from "node:buffer";
import { type BytesLike, toBuffer } from "../core/bytes.js";
import { UwsgiError } from "../errors.js";

/** Size of the uwsgi packet header in bytes. */
export const UWSGI_HEADER_SIZE = 4;

/** Largest payload a packet can describe (`datasize` is an unsigned 16-bit field). */
export const UWSGI_MAX_DATASIZE = 0xffff;

/**
 * The `modifier1` values the runtime API deals with (uWSGI's `UWSGI_MODIFIER_*`), i.e. which
 * handler a packet is meant for.
 */
export const Modifier1 = {
  /** WSGI/Python request: vars dict + body. */
  WSGI: 0,
  /** Spool request (remote spooling) and spool files. */
  SPOOL: 17,
  /** Python request with SCRIPT_NAME/PATH_INFO fix-up (an alias of 0). */
  PYTHON_PATH_FIXUP: 30,
  /** Multicast announce (received and ignored by uWSGI 2.0). */
  MULTICAST_ANNOUNCE: 73,
  /** Multicast (defined, unused). */
  MULTICAST: 74,
  /** Ping; the reply carries the instance's warning message. */
  PING: 100,
  /** Echo: the payload is returned verbatim. */
  ECHO: 101,
  /** Legion announce (UDP, encrypted). */
  LEGION: 109,
  /** Remote signal; the signal number travels in modifier2. */
  SIGNAL: 110,
  /** Cache commands; modifier2 selects the command. */
  CACHE: 111,
  /** Emperor to vassal config push. */
  EMPEROR_CONFIG: 115,
  /** Remote procedure call. */
  RPC: 173,
  /** Subscription server packet. */
  SUBSCRIPTION: 224,
  /** Response / acknowledgement marker used by status replies. */
  RESPONSE: 255,
} as const;

/** The fixed part of every uwsgi packet. */
export interface UwsgiHeader {
  /** Handler selector, 0..255. */
  modifier1: number;
  /** Payload length in bytes, 0..65535. */
  datasize: number;
  /** Sub-command / variant, 0..255; its meaning depends on `modifier1`. */
  modifier2: number;
}

/** A whole packet: header fields plus its `datasize` payload bytes. */
export interface UwsgiPacket {
  modifier1: number;
  modifier2: number;
  payload: Buffer;
}

/** A packet decoded from a buffer, with the offset just past its payload. */
export interface DecodedPacket extends UwsgiPacket {
  /** Offset in the input of the first byte after the packet (e.g. a request body). */
  end: number;
}

/** A key/value pair of a vars dictionary, as decoded (views into the payload). */
export type VarsPair = [key: Buffer, value: Buffer];

/** What the vars encoders accept: pairs in order (duplicates allowed) or a plain object. */
export type VarsInput = Iterable<readonly [BytesLike, BytesLike]> | Record<string, BytesLike>;

/**
 * Renders bytes for an error message: printable ASCII as is, anything else as `\xNN`,
 * cut to `max` bytes.
 *
 * @example
 * quoteBytes(Buffer.from("ab\x00")); // => '"ab\\x00"'
 */
export function quoteBytes(bytes: Buffer, max = 32): string {
  let out = "";
  for (const b of bytes.subarray(0, max)) {
    out += b >= 0x20 && b < 0x7f && b !== 0x22 && b !== 0x5c ? String.fromCharCode(b) : `\\x${b.toString(16).padStart(2, "0")}`;
  }
  return `"${out}${bytes.length > max ? "..." : ""}"`;
}

function malformed(detail: string): UwsgiError {
  return new UwsgiError("UWSGI_ERR_PACKET_MALFORMED", detail);
}

function checkByte(what: string, value: number): void {
  if (!Number.isInteger(value) || value < 0 || value > 0xff) {
    throw new UwsgiError("UWSGI_ERR_INVALID_ARGUMENT", what, `expected an integer 0..255, got ${String(value)}`);
  }
}

function checkLength(what: string, length: number): void {
  if (length > UWSGI_MAX_DATASIZE) {
    throw new UwsgiError("UWSGI_ERR_PACKET_ENCODE", `${what} is ${length} bytes (max ${UWSGI_MAX_DATASIZE})`);
  }
}

/**
 * Builds the 4-byte header `[modifier1][datasize LE16][modifier2]`.
 * @throws UwsgiError UWSGI_ERR_PACKET_ENCODE if `datasize` > 65535; UWSGI_ERR_INVALID_ARGUMENT
 *   for a modifier outside 0..255 or a negative/non-integer datasize.
 * @example
 * encodeHeader(Modifier1.SIGNAL, 0, 10); // => <Buffer 6e 00 00 0a>
 */
export function encodeHeader(modifier1: number, datasize: number, modifier2: number): Buffer {
  checkByte("modifier1", modifier1);
  checkByte("modifier2", modifier2);
  if (!Number.isInteger(datasize) || datasize < 0) {
    throw new UwsgiError("UWSGI_ERR_INVALID_ARGUMENT", "datasize", `expected a non-negative integer, got ${String(datasize)}`);
  }
  checkLength("datasize", datasize);
  const header = Buffer.allocUnsafe(UWSGI_HEADER_SIZE);
  header[0] = modifier1;
  header.writeUInt16LE(datasize, 1);
  header[3] = modifier2;
  return header;
}

/**
 * Reads the 4-byte header starting at `offset`.
 * @throws UwsgiError UWSGI_ERR_PACKET_MALFORMED if fewer than 4 bytes are available there.
 * @example
 * decodeHeader(Buffer.from([0xad, 0x0d, 0x00, 0x00])); // => { modifier1: 173, datasize: 13, modifier2: 0 }
 */
export function decodeHeader(buf: Buffer, offset = 0): UwsgiHeader {
  const available = buf.length - offset;
  if (!Number.isInteger(offset) || offset < 0 || available < UWSGI_HEADER_SIZE) {
    throw malformed(`truncated header: ${Math.max(0, available)} of ${UWSGI_HEADER_SIZE} bytes at offset ${offset}`);
  }
  return { modifier1: buf[offset]!, datasize: buf.readUInt16LE(offset + 1), modifier2: buf[offset + 3]! };
}

/**
 * Builds a whole packet: header + payload.
 * @throws UwsgiError UWSGI_ERR_PACKET_ENCODE if the payload exceeds 65535 bytes.
 * @example
 * encodePacket(Modifier1.RPC, 0, encodeArray(["hello", "a", "b"]));
 */
export function encodePacket(modifier1: number, modifier2: number, payload: BytesLike): Buffer {
  const body = toBuffer(payload, "payload");
  checkLength("payload", body.length);
  return Buffer.concat([encodeHeader(modifier1, body.length, modifier2), body]);
}

/**
 * Decodes the packet starting at `offset`: its header and its `datasize` payload bytes (a view).
 * Bytes after the payload are not looked at; `end` says where they start.
 * @throws UwsgiError UWSGI_ERR_PACKET_MALFORMED if the header is truncated or `datasize` runs
 *   past the end of `buf`.
 * @example
 * const { modifier1, payload, end } = decodePacket(bytes);
 */
export function decodePacket(buf: Buffer, offset = 0): DecodedPacket {
  const { modifier1, datasize, modifier2 } = decodeHeader(buf, offset);
  const start = offset + UWSGI_HEADER_SIZE;
  if (start + datasize > buf.length) {
    throw malformed(`datasize ${datasize} runs past the end: only ${buf.length - start} payload bytes follow the header at offset ${offset}`);
  }
  return { modifier1, modifier2, payload: buf.subarray(start, start + datasize), end: start + datasize };
}

function varsEntries(vars: VarsInput): Iterable<readonly [BytesLike, BytesLike]> {
  if (vars === null || typeof vars !== "object") {
    throw new UwsgiError("UWSGI_ERR_INVALID_ARGUMENT", "vars", "expected an iterable of [key, value] pairs or an object");
  }
  return Symbol.iterator in vars ? (vars as Iterable<readonly [BytesLike, BytesLike]>) : Object.entries(vars);
}

/** Writes each part as `[u16 LE length][bytes]`, back to back (lengths already checked). */
function joinLengthPrefixed(parts: readonly Buffer[]): Buffer {
  let total = 0;
  for (const part of parts) total += 2 + part.length;
  const out = Buffer.allocUnsafe(total);
  let p = 0;
  for (const part of parts) {
    p = out.writeUInt16LE(part.length, p);
    p += part.copy(out, p);
  }
  return out;
}

/**
 * Encodes a vars dictionary: `[u16 keylen][key][u16 vallen][value]` per pair, in order,
 * no terminator. Duplicate keys are kept (pass pairs to emit them).
 * The result may exceed 65535 bytes; {@link encodePacket} checks the packet limit.
 * @throws UwsgiError UWSGI_ERR_PACKET_ENCODE for an empty key or a key/value over 65535 bytes.
 * @example
 * encodeVars({ a: "1" }); // => <Buffer 01 00 61 01 00 31>
 * encodeVars([["size", "3"], ["size", "3"]]);
 */
export function encodeVars(vars: VarsInput): Buffer {
  const parts: Buffer[] = [];
  let index = 0;
  for (const entry of varsEntries(vars)) {
    if (!Array.isArray(entry) || entry.length !== 2) {
      throw new UwsgiError("UWSGI_ERR_INVALID_ARGUMENT", `vars entry #${index}`, "expected a [key, value] pair");
    }
    const key = toBuffer(entry[0], `vars key #${index}`);
    if (key.length === 0) throw new UwsgiError("UWSGI_ERR_PACKET_ENCODE", `vars key #${index} is empty`);
    checkLength(`vars key #${index}`, key.length);
    const value = toBuffer(entry[1], `vars value of key ${quoteBytes(key)}`);
    checkLength(`vars value of key ${quoteBytes(key)}`, value.length);
    parts.push(key, value);
    index++;
  }
  return joinLengthPrefixed(parts);
}

/** Byte length of a key or value given as a string or Buffer; -1 for anything else. */
function byteSize(x: unknown): number {
  return typeof x === "string" ? Buffer.byteLength(x, "utf8") : Buffer.isBuffer(x) ? x.length : -1;
}

function writeSized(out: Buffer, p: number, x: string | Buffer): number {
  const n = typeof x === "string" ? out.write(x, p + 2, "utf8") : x.copy(out, p + 2);
  out.writeUInt16LE(n, p);
  return p + 2 + n;
}

/**
 * {@link encodeVarsPacket} for an array of [string | Buffer, string | Buffer] pairs within the
 * limits: sizes measured once, everything written straight into the one buffer. Null for
 * anything else, which the general path encodes or rejects with its detailed errors.
 */
function encodeVarsPacketDirect(modifier1: number, modifier2: number, vars: VarsInput, tail: Buffer | null): Buffer | null {
  if (!Array.isArray(vars)) return null;
  let dictLength = 0;
  for (const pair of vars as unknown[]) {
    if (!Array.isArray(pair) || pair.length !== 2) return null;
    const k = byteSize(pair[0]);
    const v = byteSize(pair[1]);
    if (k <= 0 || k > UWSGI_MAX_DATASIZE || v < 0 || v > UWSGI_MAX_DATASIZE) return null;
    dictLength += 4 + k + v;
  }
  if (dictLength > UWSGI_MAX_DATASIZE) return null;
  const tailLength = tail ? tail.length : 0;
  const out = Buffer.allocUnsafe(UWSGI_HEADER_SIZE + dictLength + tailLength);
  out[0] = modifier1;
  out.writeUInt16LE(dictLength, 1);
  out[3] = modifier2;
  let p = UWSGI_HEADER_SIZE;
  for (const pair of vars as ReadonlyArray<readonly [string | Buffer, string | Buffer]>) {
    p = writeSized(out, p, pair[0]);
    p = writeSized(out, p, pair[1]);
  }
  if (tail && tailLength > 0) tail.copy(out, p);
  return out;
}

/**
 * Encodes a whole vars packet in one buffer: the header `[modifier1][dictlen LE16][modifier2]`,
 * the vars dictionary as {@link encodeVars} writes it, then `tail` (raw bytes after the packet,
 * not counted in the header, e.g. a spool file's body; no size limit).
 * @throws UwsgiError UWSGI_ERR_PACKET_ENCODE for an empty key, a key/value over 65535 bytes or a
 *   dictionary over 65535 bytes; UWSGI_ERR_INVALID_ARGUMENT for a modifier outside 0..255 or a
 *   malformed vars entry.
 * @example
 * encodeVarsPacket(Modifier1.SPOOL, 0, [["a", "1"]], Buffer.from("body"));
 * // => <Buffer 11 06 00 00 01 00 61 01 00 31 62 6f 64 79>
 */
export function encodeVarsPacket(modifier1: number, modifier2: number, vars: VarsInput, tail?: Buffer | null): Buffer {
  checkByte("modifier1", modifier1);
  checkByte("modifier2", modifier2);
  if (tail !== undefined && tail !== null && !Buffer.isBuffer(tail)) {
    throw new UwsgiError("UWSGI_ERR_INVALID_ARGUMENT", "tail", "expected a Buffer");
  }
  const direct = encodeVarsPacketDirect(modifier1, modifier2, vars, tail ?? null);
  if (direct) return direct;
  const dict = encodeVars(vars);
  if (dict.length > UWSGI_MAX_DATASIZE) {
    throw new UwsgiError("UWSGI_ERR_PACKET_ENCODE", `the encoded dictionary is ${dict.length} bytes (max ${UWSGI_MAX_DATASIZE})`);
  }
  const tailLength = tail ? tail.length : 0;
  const out = Buffer.allocUnsafe(UWSGI_HEADER_SIZE + dict.length + tailLength);
  out[0] = modifier1;
  out.writeUInt16LE(dict.length, 1);
  out[3] = modifier2;
  dict.copy(out, UWSGI_HEADER_SIZE);
  if (tail && tailLength > 0) tail.copy(out, UWSGI_HEADER_SIZE + dict.length);
  return out;
}

/**
 * Decodes a vars dictionary with uWSGI's generic (hooked) parser rules: a zero key length is
 * invalid, values may be empty (also the last one), a record running past the end is invalid,
 * duplicate keys are all returned in order. Keys and values are views into `payload`.
 * @throws UwsgiError UWSGI_ERR_PACKET_MALFORMED naming the record and offset.
 * @example
 * decodeVars(Buffer.from([1, 0, 0x61, 1, 0, 0x31])); // => [[<Buffer 61>, <Buffer 31>]]
 */
export function decodeVars(payload: Buffer): VarsPair[] {
  const pairs: VarsPair[] = [];
  const end = payload.length;
  let p = 0;
  while (p < end) {
    if (end - p < 2) throw malformed(`vars: truncated key length at offset ${p}`);
    const keyLength = payload.readUInt16LE(p);
    if (keyLength === 0) throw malformed(`vars: zero key length at offset ${p}`);
    p += 2;
    if (p + keyLength > end) {
      throw malformed(`vars: key of ${keyLength} bytes at offset ${p} runs past the end of the ${end}-byte payload`);
    }
    const key = payload.subarray(p, p + keyLength);
    p += keyLength;
    if (end - p < 2) throw malformed(`vars: truncated value length of key ${quoteBytes(key)} at offset ${p}`);
    const valueLength = payload.readUInt16LE(p);
    p += 2;
    if (p + valueLength > end) {
      throw malformed(`vars: value of key ${quoteBytes(key)} (${valueLength} bytes at offset ${p}) runs past the end of the ${end}-byte payload`);
    }
    pairs.push([key, payload.subarray(p, p + valueLength)]);
    p += valueLength;
  }
  return pairs;
}

/**
 * Turns decoded pairs into an object keyed by the UTF-8 key; for duplicate keys the last value
 * wins (what most uWSGI consumers do). The object has no prototype.
 * @example
 * varsToObject(decodeVars(payload)).PATH_INFO?.toString();
 */
export function varsToObject(pairs: Iterable<VarsPair>): Record<string, Buffer> {
  const out: Record<string, Buffer> = Object.create(null);
  for (const [key, value] of pairs) out[key.toString("utf8")] = value;
  return out;
}

/**
 * The value of the last pair whose key equals `key` byte for byte, or `null`.
 * @example
 * varsGet(decodeVars(payload), "CONTENT_LENGTH");
 */
export function varsGet(pairs: readonly VarsPair[], key: BytesLike): Buffer | null {
  const wanted = toBuffer(key, "key");
  for (let i = pairs.length - 1; i >= 0; i--) {
    const pair = pairs[i]!;
    if (pair[0].equals(wanted)) return pair[1];
  }
  return null;
}

/**
 * Encodes an array: `[u16 len][bytes]` per item, no terminator. Empty items are encoded as is.
 * @throws UwsgiError UWSGI_ERR_PACKET_ENCODE for an item over 65535 bytes.
 * @example
 * encodeArray(["hello", "a"]); // => <Buffer 05 00 68 65 6c 6c 6f 01 00 61>
 */
export function encodeArray(items: Iterable<BytesLike>): Buffer {
  const parts: Buffer[] = [];
  let index = 0;
  for (const item of items) {
    const buf = toBuffer(item, `array item #${index}`);
    checkLength(`array item #${index}`, buf.length);
    parts.push(buf);
    index++;
  }
  return joinLengthPrefixed(parts);
}

/** Options of {@link decodeArray}. */
export interface DecodeArrayOptions {
  /** Most items accepted; more is malformed. Default 255 (uWSGI's RPC argument vector). */
  maxItems?: number;
}

/**
 * Decodes an array. Items are views into `payload`, in order.
 *
 * Deliberate difference from uWSGI (whose `uwsgi_parse_array` has a BUG here): **empty items
 * are preserved**. uWSGI silently drops an empty item followed by more data and rejects the
 * whole packet when the last item is empty; it also silently ignores items past the 255th,
 * which this decoder reports as malformed instead.
 * @throws UwsgiError UWSGI_ERR_PACKET_MALFORMED for a truncated length, an item running past the
 *   end, or more than `maxItems` items.
 * @example
 * decodeArray(encodeArray(["a", "", "c"])).map(String); // => ["a", "", "c"]
 */
export function decodeArray(payload: Buffer, { maxItems = 255 }: DecodeArrayOptions = {}): Buffer[] {
  const items: Buffer[] = [];
  const end = payload.length;
  let p = 0;
  while (p < end) {
    if (end - p < 2) throw malformed(`array: truncated length of item #${items.length} at offset ${p}`);
    if (items.length >= maxItems) throw malformed(`array: more than ${maxItems} items (item #${items.length} at offset ${p})`);
    const length = payload.readUInt16LE(p);
    p += 2;
    if (p + length > end) {
      throw malformed(`array: item #${items.length} (${length} bytes at offset ${p}) runs past the end of the ${end}-byte payload`);
    }
    items.push(payload.subarray(p, p + length));
    p += length;
  }
  return items;
}
