/**
 * Request and reply formats of the uwsgi packets the runtime API exchanges: RPC (modifier1 173),
 * the cache "magic" protocol (111/17), remote signals (110), remote spooling (17), ping (100)
 * and the bare `[255][0][status]` status reply. Byte-exact with uWSGI 2.0.21.
 *
 * Replies whose length is carried outside `datasize` (a cache value, an RPC return > 64 KiB)
 * are read incrementally with the readers in `response-reader.ts`.
 *
 * @module
 */
import { Buffer } from "node:buffer";
import { type BytesLike, toBuffer } from "../core/bytes.js";
import { UwsgiError } from "../errors.js";
import {
  Modifier1,
  UWSGI_MAX_DATASIZE,
  type UwsgiHeader,
  type VarsInput,
  type VarsPair,
  decodeArray,
  decodeHeader,
  decodePacket,
  decodeVars,
  encodeArray,
  encodeHeader,
  encodePacket,
  encodeVars,
  quoteBytes,
} from "./packet.js";

function malformed(detail: string): UwsgiError {
  return new UwsgiError("UWSGI_ERR_PACKET_MALFORMED", detail);
}

/**
 * Parses a decimal number field strictly (digits only, a safe integer).
 * uWSGI's `uwsgi_str_num` turns any byte into a digit; garbage is malformed here.
 */
function decimalField(what: string, value: Buffer): number {
  const text = value.toString("latin1");
  if (!/^[0-9]{1,16}$/.test(text) || !Number.isSafeInteger(Number(text))) {
    throw malformed(`${what}: ${quoteBytes(value)} is not a decimal number`);
  }
  return Number(text);
}

function checkUnsigned(what: string, value: number): void {
  if (!Number.isSafeInteger(value) || value < 0) {
    throw new UwsgiError("UWSGI_ERR_INVALID_ARGUMENT", what, `expected a non-negative integer, got ${String(value)}`);
  }
}

// --- RPC (modifier1 173) ---------------------------------------------------------------------

/** The modifier2 variants of an RPC packet. */
export const RpcModifier2 = {
  /** Request: array; reply `[173][len][0]` + raw value. */
  STANDARD: 0,
  /** Request: array; reply: raw value only, no header. */
  RAW: 1,
  /** Request: vars dict with PATH_INFO `/func/arg...`; reply: an HTTP response. */
  HTTP: 2,
  /** XML-RPC (not in the Debian build). */
  XMLRPC: 3,
  /** Reply only: dict `{CONTENT_LENGTH}` in the packet, then the raw value (returns > 65535 bytes). */
  LARGE_RESPONSE: 5,
} as const;

/** Most arguments an RPC call can carry (the server reads at most 255 items, the name included). */
export const RPC_MAX_ARGS = 254;

/** A decoded RPC request. */
export interface RpcRequest {
  /** Function name. */
  func: Buffer;
  /** Positional arguments, empty ones included. */
  args: Buffer[];
}

/**
 * Encodes an RPC request packet `[173][len][modifier2]` + array `[func][arg1]...[argN]`.
 * Empty arguments are sent as they are (a uWSGI server drops them, or rejects a trailing one).
 * @throws UwsgiError UWSGI_ERR_PACKET_ENCODE for an empty name, more than 254 arguments, or a
 *   packet over 65535 bytes ("RPC packet length overflow" in uWSGI).
 * @example
 * encodeRpcRequest("hello", ["a", "b"]);
 * // => <Buffer ad 0d 00 00 05 00 68 65 6c 6c 6f 01 00 61 01 00 62>
 */
export function encodeRpcRequest(func: BytesLike, args: Iterable<BytesLike> = [], modifier2: number = RpcModifier2.STANDARD): Buffer {
  const name = toBuffer(func, "rpc function name");
  if (name.length === 0) throw new UwsgiError("UWSGI_ERR_PACKET_ENCODE", "rpc function name is empty");
  const items = [name, ...args];
  if (items.length - 1 > RPC_MAX_ARGS) {
    throw new UwsgiError("UWSGI_ERR_PACKET_ENCODE", `rpc call of ${quoteBytes(name)} has ${items.length - 1} arguments (max ${RPC_MAX_ARGS})`);
  }
  return encodePacket(Modifier1.RPC, modifier2, encodeArray(items));
}

/**
 * Decodes the payload of an RPC request (modifier2 0 or 1): function name and arguments.
 * Empty arguments are preserved (uWSGI drops them: see {@link decodeArray}).
 * @throws UwsgiError UWSGI_ERR_PACKET_MALFORMED for an empty payload or function name, a
 *   malformed array, or more than 254 arguments.
 * @example
 * const { func, args } = decodeRpcRequest(packet.payload);
 */
export function decodeRpcRequest(payload: Buffer): RpcRequest {
  if (payload.length === 0) throw malformed("rpc request: empty payload");
  const [func, ...args] = decodeArray(payload, { maxItems: RPC_MAX_ARGS + 1 });
  if (func!.length === 0) throw malformed("rpc request: empty function name at offset 0");
  return { func: func!, args };
}

/**
 * The bytes a server writes before an RPC return value of `valueLength` bytes: `[173][n][0]`, or
 * for values over 65535 bytes `[173][dictlen][5]` + `{CONTENT_LENGTH: n}`. The value follows raw.
 * (uWSGI writes nothing at all when the function returned nothing or empty bytes.)
 * @example
 * encodeRpcResponseHead(70000); // header m2=5 + dict CONTENT_LENGTH=70000
 */
export function encodeRpcResponseHead(valueLength: number): Buffer {
  checkUnsigned("valueLength", valueLength);
  if (valueLength <= UWSGI_MAX_DATASIZE) return encodeHeader(Modifier1.RPC, valueLength, RpcModifier2.STANDARD);
  return encodePacket(Modifier1.RPC, RpcModifier2.LARGE_RESPONSE, encodeVars([["CONTENT_LENGTH", String(valueLength)]]));
}

/**
 * A whole RPC reply for a standard (modifier2 0) request: {@link encodeRpcResponseHead} + value.
 * @example
 * encodeRpcResponse("hello:a,b"); // => <Buffer ad 09 00 00 68 65 6c 6c 6f 3a 61 2c 62>
 */
export function encodeRpcResponse(value: BytesLike): Buffer {
  const buf = toBuffer(value, "rpc return value");
  return Buffer.concat([encodeRpcResponseHead(buf.length), buf]);
}

/**
 * Length of the raw value that follows an RPC reply packet: 0 for a standard reply (the value is
 * the payload), CONTENT_LENGTH for a modifier2 5 reply. uWSGI's client only looks at modifier2.
 * @throws UwsgiError UWSGI_ERR_PACKET_MALFORMED for a modifier2 5 reply without a valid
 *   CONTENT_LENGTH.
 */
export function rpcResponseTrailerLength(modifier2: number, payload: Buffer): number {
  if (modifier2 !== RpcModifier2.LARGE_RESPONSE) return 0;
  let length: number | null = null;
  for (const [key, value] of decodeVars(payload)) {
    if (key.toString("latin1") === "CONTENT_LENGTH") length = decimalField("rpc response CONTENT_LENGTH", value);
  }
  if (length === null) throw malformed("rpc response: modifier2 5 without CONTENT_LENGTH");
  return length;
}

/**
 * Decodes a complete RPC reply held in one buffer (both framings) into the return value.
 * @throws UwsgiError UWSGI_ERR_PACKET_MALFORMED if truncated, followed by extra bytes, or a bad
 *   modifier2 5 dict.
 * @example
 * decodeRpcResponse(Buffer.from("ad09000068656c6c6f3a612c62", "hex")).toString(); // => "hello:a,b"
 */
export function decodeRpcResponse(buf: Buffer): Buffer {
  const { modifier2, payload, end } = decodePacket(buf);
  const trailer = rpcResponseTrailerLength(modifier2, payload);
  if (modifier2 !== RpcModifier2.LARGE_RESPONSE) return checkNoExtra("rpc response", buf, end, payload);
  if (buf.length - end < trailer) throw malformed(`rpc response: value truncated: ${buf.length - end} of ${trailer} bytes`);
  return checkNoExtra("rpc response", buf, end + trailer, buf.subarray(end, end + trailer));
}

function checkNoExtra<T>(what: string, buf: Buffer, end: number, result: T): T {
  if (end < buf.length) throw malformed(`${what}: ${buf.length - end} unexpected bytes after offset ${end}`);
  return result;
}

// --- cache magic (modifier1 111, modifier2 17) ----------------------------------------------------

/** The modifier2 commands of a cache (modifier1 111) packet. */
export const CacheModifier2 = {
  GET: 0,
  SET: 1,
  DEL: 2,
  DICT_KEY: 3,
  DICT_GET: 4,
  STREAM_GET: 5,
  DUMP: 6,
  /** Reply to {@link CacheModifier2.DUMP}. */
  DUMP_REPLY: 7,
  /** UDP replication of a set/update. */
  UDP_SET: 10,
  /** UDP replication of a delete. */
  UDP_DEL: 11,
  /** The "magic" dict protocol, the one uWSGI's own client uses. */
  MAGIC: 17,
} as const;

/** Commands of the cache magic protocol. */
export type CacheMagicCommand = "get" | "set" | "update" | "del" | "exists" | "clear";

const CACHE_MAGIC_COMMANDS: ReadonlySet<string> = new Set<CacheMagicCommand>(["get", "set", "update", "del", "exists", "clear"]);

/** What {@link encodeCacheMagicRequest} takes. */
export interface CacheMagicRequestInput {
  cmd: CacheMagicCommand;
  /** Required for every command but `clear` (which takes none). */
  key?: BytesLike;
  /** Remote cache name; omit (or `null`) for the server's default cache. An empty name is sent. */
  cache?: BytesLike | null;
  /** The value, required for `set`/`update` (and only there); it travels after the packet. */
  value?: BytesLike;
  /** Relative expiry in seconds for `set`/`update`; 0 or absent = never. */
  expires?: number;
}

/** A decoded cache magic request. */
export interface CacheMagicRequest {
  cmd: CacheMagicCommand;
  /** The key (`null` only for `clear`). */
  key: Buffer | null;
  /** Cache name, `null` when absent or empty (= the default cache). */
  cache: Buffer | null;
  /** Length of the value that follows the packet (`set`/`update`); 0 when absent. */
  size: number;
  /** Relative expiry in seconds; 0 when absent. */
  expires: number;
}

/** The dictionary of a cache magic reply. */
export interface CacheMagicResponseHead {
  /** The `status` value; uWSGI only ever sends `ok` (failures get no reply at all). */
  status: Buffer | null;
  /** True when status is `ok`. */
  ok: boolean;
  /** Length of the value following the packet (`get`), `null` when there is no `size`. */
  size: number | null;
  /** Absolute expiry (unix seconds) of a `get`'s item; 0 = none. */
  expires: number;
}

/** A whole cache magic reply. */
export interface CacheMagicResponse extends CacheMagicResponseHead {
  /** The value (`get`), `null` for replies without `size`. */
  value: Buffer | null;
}

/**
 * Encodes a cache magic request with uWSGI's own key order: `cmd, key, [cache]` for
 * get/exists/del, `cmd, [cache]` for clear, and `cmd, key, size, [expires], size, [cache]` for
 * set/update (uWSGI's client really sends `size` twice), then the value for set/update.
 * @throws UwsgiError UWSGI_ERR_INVALID_ARGUMENT for a missing/unexpected key or value or a bad
 *   expiry; UWSGI_ERR_PACKET_ENCODE if the dict exceeds 65535 bytes.
 * @example
 * encodeCacheMagicRequest({ cmd: "get", key: "wk", cache: "c1" });
 * // => 6f 1e 00 11 | cmd=get key=wk cache=c1
 * encodeCacheMagicRequest({ cmd: "set", key: "k", value: "abc", expires: 60 });
 */
export function encodeCacheMagicRequest({ cmd, key, cache, value, expires = 0 }: CacheMagicRequestInput): Buffer {
  if (!CACHE_MAGIC_COMMANDS.has(cmd)) throw new UwsgiError("UWSGI_ERR_INVALID_ARGUMENT", "cmd", `unknown cache command ${JSON.stringify(cmd)}`);
  const withValue = cmd === "set" || cmd === "update";
  if (cmd === "clear" ? key !== undefined : key === undefined) {
    throw new UwsgiError("UWSGI_ERR_INVALID_ARGUMENT", "key", cmd === "clear" ? "clear takes no key" : `${cmd} needs a key`);
  }
  if (withValue !== (value !== undefined)) {
    throw new UwsgiError("UWSGI_ERR_INVALID_ARGUMENT", "value", withValue ? `${cmd} needs a value` : `${cmd} takes no value`);
  }
  checkUnsigned("expires", expires);
  const dict: Array<[BytesLike, BytesLike]> = [["cmd", cmd]];
  if (key !== undefined) dict.push(["key", toBuffer(key, "cache key")]);
  const valueBuf = value === undefined ? null : toBuffer(value, "cache value");
  if (valueBuf) {
    const size = String(valueBuf.length);
    dict.push(["size", size]);
    if (expires > 0) dict.push(["expires", String(expires)]);
    dict.push(["size", size]);
  }
  if (cache !== undefined && cache !== null) dict.push(["cache", toBuffer(cache, "cache name")]);
  const packet = encodePacket(Modifier1.CACHE, CacheModifier2.MAGIC, encodeVars(dict));
  return valueBuf ? Buffer.concat([packet, valueBuf]) : packet;
}

/**
 * Decodes the payload of a cache magic request. Unknown keys are ignored; for repeated keys the
 * last wins (so uWSGI's duplicate `size` is fine). The value of a set/update is not part of the
 * payload: read `size` more bytes from the stream.
 * @throws UwsgiError UWSGI_ERR_PACKET_MALFORMED for a malformed dict, a missing/unknown `cmd`, a
 *   missing `key` (all commands but clear), or a non-decimal `size`/`expires`.
 * @example
 * const req = decodeCacheMagicRequest(packet.payload);
 * if (req.cmd === "set") readBody(req.size);
 */
export function decodeCacheMagicRequest(payload: Buffer): CacheMagicRequest {
  return checkCacheMagicRequest(decodeCacheMagicFields(payload));
}

/**
 * Checks decoded fields against uWSGI's commands: a known `cmd`, and a `key` for all but `clear`.
 * @throws UwsgiError UWSGI_ERR_PACKET_MALFORMED otherwise.
 */
export function checkCacheMagicRequest(fields: CacheMagicFields): CacheMagicRequest {
  const name = fields.cmd.toString("latin1");
  if (!CACHE_MAGIC_COMMANDS.has(name)) throw malformed(`cache magic request: unknown cmd ${quoteBytes(fields.cmd)}`);
  if (fields.key === null && name !== "clear") throw malformed(`cache magic request: cmd ${name} without a key`);
  return { ...fields, cmd: name as CacheMagicCommand, key: name === "clear" ? null : fields.key };
}

/** A cache magic request dict as decoded, `cmd` still raw. */
export type CacheMagicFields = Omit<CacheMagicRequest, "cmd"> & { cmd: Buffer };

/**
 * The fields of a cache magic request dict, with `cmd` not yet checked against uWSGI's commands
 * (extensions such as uwsgi-node's math commands are decoded with this too). An empty `cache`
 * reads as null (the default cache).
 * @throws UwsgiError UWSGI_ERR_PACKET_MALFORMED for a malformed dict, no `cmd`, or a non-decimal `size`/`expires`.
 */
export function decodeCacheMagicFields(payload: Buffer): CacheMagicFields {
  let cmd: Buffer | null = null;
  let key: Buffer | null = null;
  let cache: Buffer | null = null;
  let size = 0;
  let expires = 0;
  for (const [k, v] of decodeVars(payload)) {
    switch (k.toString("latin1")) {
      case "cmd": cmd = v; break;
      case "key": key = v; break;
      case "cache": cache = v; break;
      case "size": size = decimalField("cache magic request size", v); break;
      case "expires": expires = decimalField("cache magic request expires", v); break;
    }
  }
  if (cmd === null) throw malformed("cache magic request: no cmd");
  return { cmd, key, cache: cache && cache.length > 0 ? cache : null, size, expires };
}

/**
 * Encodes a successful cache magic reply: `[111][dictlen][17]` + `{status: ok}`; with `value`
 * (a `get` hit) the dict also carries `size` and, when `expires` > 0, the **absolute** expiry,
 * and the raw value follows the packet. (Failures get no reply: the server just closes.)
 * @example
 * encodeCacheMagicResponse({ value: "c1val" });
 * // => 6f 15 00 11 | status=ok size=5 | "c1val"
 */
export function encodeCacheMagicResponse(result?: { value: BytesLike; expires?: number }): Buffer {
  const dict: Array<[string, string]> = [["status", "ok"]];
  if (result === undefined) return encodePacket(Modifier1.CACHE, CacheModifier2.MAGIC, encodeVars(dict));
  const value = toBuffer(result.value, "cache value");
  const expires = result.expires ?? 0;
  checkUnsigned("expires", expires);
  dict.push(["size", String(value.length)]);
  if (expires > 0) dict.push(["expires", String(expires)]);
  return Buffer.concat([encodePacket(Modifier1.CACHE, CacheModifier2.MAGIC, encodeVars(dict)), value]);
}

/**
 * Decodes the dict of a cache magic reply (the packet payload). Like uWSGI's client this looks
 * only at the dict, not at the header's modifiers.
 * @throws UwsgiError UWSGI_ERR_PACKET_MALFORMED for a malformed dict or non-decimal numbers.
 */
export function decodeCacheMagicResponseHead(payload: Buffer): CacheMagicResponseHead {
  let status: Buffer | null = null;
  let size: number | null = null;
  let expires = 0;
  for (const [k, v] of decodeVars(payload)) {
    switch (k.toString("latin1")) {
      case "status": status = v; break;
      case "size": size = decimalField("cache magic response size", v); break;
      case "expires": expires = decimalField("cache magic response expires", v); break;
    }
  }
  return { status, ok: status !== null && status.toString("latin1") === "ok", size, expires };
}

/**
 * Decodes a complete cache magic reply held in one buffer (dict + value).
 * @throws UwsgiError UWSGI_ERR_PACKET_MALFORMED if truncated, followed by extra bytes, or malformed.
 * @example
 * const { ok, value, expires } = decodeCacheMagicResponse(bytes);
 */
export function decodeCacheMagicResponse(buf: Buffer): CacheMagicResponse {
  const { payload, end } = decodePacket(buf);
  const head = decodeCacheMagicResponseHead(payload);
  if (head.size === null) return checkNoExtra("cache magic response", buf, end, { ...head, value: null });
  if (buf.length - end < head.size) throw malformed(`cache magic response: value truncated: ${buf.length - end} of ${head.size} bytes`);
  return checkNoExtra("cache magic response", buf, end + head.size, { ...head, value: buf.subarray(end, end + head.size) });
}

// --- status reply, remote signal, remote spool, ping ------------------------------------------

/**
 * The bare status reply `[255][0x0000][status]` of remote signals and remote spooling:
 * status 1 = done, 0 = failed.
 * @example
 * encodeStatusReply(true); // => <Buffer ff 00 00 01>
 */
export function encodeStatusReply(ok: boolean): Buffer {
  return encodeHeader(Modifier1.RESPONSE, 0, ok ? 1 : 0);
}

/**
 * Reads a status reply: true when modifier2 is non-zero. Like uWSGI's client only the first
 * 4 bytes and modifier2 are looked at.
 * @throws UwsgiError UWSGI_ERR_PACKET_MALFORMED for fewer than 4 bytes.
 * @example
 * decodeStatusReply(Buffer.from([0xff, 0, 0, 1])); // => true
 */
export function decodeStatusReply(buf: Buffer): boolean {
  return decodeHeader(buf).modifier2 !== 0;
}

/**
 * A remote signal request `[110][0x0000][signum]`: the signal number travels in modifier2.
 * @throws UwsgiError UWSGI_ERR_SIGNAL_INVALID for a number outside 0..255.
 * @example
 * encodeSignalRequest(10); // => <Buffer 6e 00 00 0a>
 */
export function encodeSignalRequest(signum: number): Buffer {
  if (!Number.isInteger(signum) || signum < 0 || signum > 255) {
    throw new UwsgiError("UWSGI_ERR_SIGNAL_INVALID", String(signum), "a signal number is an integer 0..255");
  }
  return encodeHeader(Modifier1.SIGNAL, 0, signum);
}

/**
 * The signal number of a remote signal request (its modifier2; a payload is ignored, as uWSGI does).
 * @throws UwsgiError UWSGI_ERR_PACKET_MALFORMED if modifier1 is not 110.
 * @example
 * decodeSignalRequest(decodeHeader(Buffer.from([0x6e, 0, 0, 10]))); // => 10
 */
export function decodeSignalRequest(packet: Pick<UwsgiHeader, "modifier1" | "modifier2">): number {
  if (packet.modifier1 !== Modifier1.SIGNAL) throw malformed(`signal request: modifier1 is ${packet.modifier1}, expected ${Modifier1.SIGNAL}`);
  return packet.modifier2;
}

/**
 * A remote spool request `[17][len][0]` + the task's vars dict (no body over the wire).
 * Reply: {@link encodeStatusReply}.
 * @throws UwsgiError UWSGI_ERR_PACKET_ENCODE for an empty key, oversize key/value or a dict
 *   over 65535 bytes.
 * @example
 * encodeSpoolRequest({ a: "1" }); // => <Buffer 11 06 00 00 01 00 61 01 00 31>
 */
export function encodeSpoolRequest(vars: VarsInput): Buffer {
  return encodePacket(Modifier1.SPOOL, 0, encodeVars(vars));
}

/**
 * Decodes the payload of a remote spool request into the task's pairs.
 * @throws UwsgiError UWSGI_ERR_PACKET_MALFORMED for a malformed dict.
 */
export function decodeSpoolRequest(payload: Buffer): VarsPair[] {
  return decodeVars(payload);
}

/**
 * A ping request `[100][0x0000][0]`.
 * @example
 * encodePingRequest(); // => <Buffer 64 00 00 00>
 */
export function encodePingRequest(): Buffer {
  return encodeHeader(Modifier1.PING, 0, 0);
}

/**
 * A ping reply: the request header echoed with modifier2 1 and datasize = the length of the
 * instance's warning message, followed by that message (none → `64 00 00 01`).
 * @example
 * encodePingResponse(null); // => <Buffer 64 00 00 01>
 */
export function encodePingResponse(warning?: BytesLike | null): Buffer {
  return encodePacket(Modifier1.PING, 1, warning === undefined || warning === null ? Buffer.alloc(0) : toBuffer(warning, "warning message"));
}

/**
 * The warning message of a ping reply, `null` when there is none.
 * @throws UwsgiError UWSGI_ERR_PACKET_MALFORMED if the reply is truncated.
 * @example
 * decodePingResponse(Buffer.from([0x64, 0, 0, 1])); // => null
 */
export function decodePingResponse(buf: Buffer): Buffer | null {
  const { payload } = decodePacket(buf);
  return payload.length > 0 ? payload : null;
}
