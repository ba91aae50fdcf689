/**
 * The CGI/uwsgi variables of an HTTP request (`uwsgi.env`): what uWSGI's `--http-socket`
 * parser builds from the request head. Built on demand only: most requests never ask.
 * @module
 */
import { Buffer } from "node:buffer";
import type { IncomingMessage } from "node:http";
import { fillPeername } from "../core/node-internals.js";

/** Percent-decodes a path; a malformed escape leaves the path as it was. */
function decodePath(path: string): string {
  if (!path.includes("%")) return path;
  try {
    return decodeURIComponent(path);
  } catch {
    return path;
  }
}

/** Builds the variables of `req` (method, URI, path, query, protocol, server and peer, headers). */
export function cgiEnvOf(req: IncomingMessage): Record<string, string> {
  const uri = req.url ?? "/";
  const q = uri.indexOf("?");
  const socket = req.socket;
  fillPeername(socket);
  const hostHeader = req.headers.host ?? "";
  const env: Record<string, string> = {
    REQUEST_METHOD: req.method ?? "GET",
    REQUEST_URI: uri,
    PATH_INFO: decodePath(q < 0 ? uri : uri.slice(0, q)),
    QUERY_STRING: q < 0 ? "" : uri.slice(q + 1),
    SERVER_PROTOCOL: `HTTP/${req.httpVersion}`,
    SCRIPT_NAME: "",
    SERVER_NAME: hostHeader.replace(/:\d+$/, "").replace(/^\[(.*)\]$/, "$1") || (socket.localAddress ?? ""),
    SERVER_PORT: String(socket.localPort ?? ""),
    REMOTE_ADDR: socket.remoteAddress ?? "",
    REMOTE_PORT: String(socket.remotePort ?? ""),
  };
  const raw = req.rawHeaders;
  for (let i = 0; i < raw.length; i += 2) {
    const name = raw[i]!.toLowerCase();
    const key = name === "content-type" ? "CONTENT_TYPE" : name === "content-length" ? "CONTENT_LENGTH" : "HTTP_" + name.toUpperCase().replace(/-/g, "_");
    const prev = env[key];
    env[key] = prev === undefined ? raw[i + 1]! : `${prev}, ${raw[i + 1]!}`;
  }
  return env;
}

/** The variables {@link cgiEnvOf} sets besides the headers. */
const FIXED_NAMES = ["REQUEST_METHOD", "REQUEST_URI", "PATH_INFO", "QUERY_STRING", "SERVER_PROTOCOL", "SCRIPT_NAME", "SERVER_NAME", "SERVER_PORT", "REMOTE_ADDR", "REMOTE_PORT"];
const FIXED_NAMES_BYTES = FIXED_NAMES.reduce((n, name) => n + 4 + name.length, 0);

/**
 * Length of SERVER_PORT's value for a connection accepted by `server`: the listening socket's
 * port (what `socket.localPort` reports), read once per server. `socket.localPort` itself costs a
 * getsockname(2) and an address object on every new connection.
 */
const serverPortLength = new WeakMap<object, number>();
function localPortLength(socket: IncomingMessage["socket"]): number {
  const server = (socket as { server?: { address?: () => unknown } | null }).server;
  if (server == null || typeof server.address !== "function") return String(socket.localPort ?? "").length;
  let length = serverPortLength.get(server);
  if (length === undefined) {
    const address = server.address();
    length = address !== null && typeof address === "object" ? String((address as { port: number }).port).length : String(socket.localPort ?? "").length;
    serverPortLength.set(server, length);
  }
  return length;
}

/** Number of decimal digits of a port (0 for none). */
function portLength(port: number | undefined): number {
  return port === undefined ? 0 : port < 10 ? 1 : port < 100 ? 2 : port < 1000 ? 3 : port < 10000 ? 4 : 5;
}

/** UTF-8 length of `text` from `from` to `to`: the character count when it is ASCII (the usual case). */
function utf8Length(text: string, from = 0, to = text.length): number {
  for (let i = from; i < to; i++) if (text.charCodeAt(i) > 0x7f) return Buffer.byteLength(from === 0 && to === text.length ? text : text.slice(from, to));
  return to - from;
}

/**
 * UTF-8 length of SERVER_NAME as {@link cgiEnvOf} derives it from a Host value (a `:port` suffix
 * dropped, then `[...]` brackets), without building it: "" when the value leaves nothing.
 */
function serverNameLength(host: string): number {
  let end = host.length;
  let digits = end;
  while (digits > 0 && host.charCodeAt(digits - 1) >= 0x30 && host.charCodeAt(digits - 1) <= 0x39) digits--;
  if (digits < end && digits > 0 && host.charCodeAt(digits - 1) === 0x3a) end = digits - 1; // /:\d+$/
  let start = 0;
  if (end >= 2 && host.charCodeAt(0) === 0x5b && host.charCodeAt(end - 1) === 0x5d) {
    start = 1; // /^\[(.*)\]$/: the brackets go
    end--;
  }
  return utf8Length(host, start, end);
}

/**
 * Header names seen in the current request, for finding a repeated one in one pass: an
 * open-addressing table of case-folded name hashes, reset per request by a stamp (no allocation).
 */
const SEEN_SLOTS = 128;
const seenHash = new Int32Array(SEEN_SLOTS);
const seenIndex = new Int32Array(SEEN_SLOTS);
const seenStamp = new Uint32Array(SEEN_SLOTS);
let stamp = 0;

/** A name character as it counts in the variable's key: ASCII letters case-folded, `_` as `-`. */
function keyChar(c: number): number {
  return c >= 0x41 && c <= 0x5a ? c + 0x20 : c === 0x5f ? 0x2d : c;
}

/** FNV-1a of the name's {@link keyChar}s: names that make the same variable hash alike. */
function foldedHash(name: string): number {
  let h = 0x811c9dc5 | 0;
  for (let i = 0; i < name.length; i++) h = Math.imul(h ^ keyChar(name.charCodeAt(i)), 0x01000193);
  return h;
}

/** Whether two header names make the same variable (`HTTP_` + the name uppercased, `-` as `_`). */
function sameKey(a: string, b: string): boolean {
  if (a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) if (keyChar(a.charCodeAt(i)) !== keyChar(b.charCodeAt(i))) return false;
  return true;
}

/** Whether `name` is `lower` (lowercase ASCII) but for the case of its letters. */
function isName(name: string, lower: string): boolean {
  if (name.length !== lower.length) return false;
  for (let i = 0; i < name.length; i++) {
    const c = name.charCodeAt(i);
    if ((c >= 0x41 && c <= 0x5a ? c + 0x20 : c) !== lower.charCodeAt(i)) return false;
  }
  return true;
}

/** Up to this many headers, names are compared pairwise to find a repeated one; more are hashed. */
const PAIRWISE_NAMES = 8;

/**
 * Whether `raw` (names at even indexes) has two names that make the same variable. A few names
 * are compared pair by pair (most pairs differ in length, a single comparison each); more go
 * through one pass with the {@link seenHash} table (the pairwise comparison is quadratic in the
 * number of headers).
 */
function repeatsName(raw: readonly string[]): boolean {
  const count = raw.length >> 1;
  if (count <= PAIRWISE_NAMES) {
    for (let i = 2; i < raw.length; i += 2) {
      const name = raw[i]!;
      for (let j = 0; j < i; j += 2) if (sameKey(raw[j]!, name)) return true;
    }
    return false;
  }
  if (count > SEEN_SLOTS >> 1) {
    const seen = new Set<string>();
    for (let i = 0; i < raw.length; i += 2) {
      const name = raw[i]!.toUpperCase().replace(/-/g, "_");
      if (seen.has(name)) return true;
      seen.add(name);
    }
    return false;
  }
  if (++stamp === 0x100000000) {
    seenStamp.fill(0);
    stamp = 1;
  }
  for (let i = 0; i < raw.length; i += 2) {
    const name = raw[i]!;
    const h = foldedHash(name);
    let slot = h & (SEEN_SLOTS - 1);
    while (seenStamp[slot] === stamp) {
      if (seenHash[slot] === h && sameKey(raw[seenIndex[slot]!]!, name)) return true;
      slot = (slot + 1) & (SEEN_SLOTS - 1);
    }
    seenStamp[slot] = stamp;
    seenHash[slot] = h;
    seenIndex[slot] = i;
  }
  return false;
}

/**
 * What {@link cgiEnvSize} keeps between the requests of one connection (fields of the caller's
 * per-connection object): the peer's part does not change, and the Host value seldom does.
 */
export interface VarsSizeCache {
  /** Bytes of the values of SERVER_PORT, REMOTE_ADDR and REMOTE_PORT; -1 until measured. */
  varsPeerBytes: number;
  /** The Host value last measured ("" for none) and the bytes of the SERVER_NAME it makes. */
  varsHost: string;
  varsHostBytes: number;
}

/**
 * `[count, bytes]` of `cgiEnvOf(req)` (see {@link envSize}) without building it: what the request
 * log reports for every request. Reads the raw headers (never `req.headers`, which Node builds on
 * first access) and the listening socket's port (no getsockname per connection); a repeated
 * header name (merged into one variable: such requests are measured on the built object) is
 * looked for without building names, no regular expression and no substring for SERVER_NAME.
 * With `cache` (one per connection), the peer's part is measured once per connection and
 * SERVER_NAME once per Host value.
 */
export function cgiEnvSize(req: IncomingMessage, cache?: VarsSizeCache): [number, number] {
  const raw = req.rawHeaders;
  if (repeatsName(raw)) return envSize(cgiEnvOf(req));
  let host = "";
  let headerBytes = 0;
  for (let i = 0; i < raw.length; i += 2) {
    const name = raw[i]!;
    // header names are tokens (ASCII): HTTP_NAME is 5 bytes longer, CONTENT_TYPE/LENGTH as long
    const plain = isName(name, "content-type") || isName(name, "content-length");
    headerBytes += 4 + (plain ? name.length : 5 + name.length) + utf8Length(raw[i + 1]!);
    if (isName(name, "host")) host = raw[i + 1]!;
  }
  const uri = req.url ?? "/";
  const q = uri.indexOf("?");
  const socket = req.socket;
  let peerBytes = cache === undefined ? -1 : cache.varsPeerBytes;
  if (peerBytes < 0) {
    fillPeername(socket);
    const address = socket.remoteAddress;
    peerBytes = localPortLength(socket) + (address ?? "").length + portLength(socket.remotePort);
    if (cache !== undefined && address !== undefined) cache.varsPeerBytes = peerBytes;
  }
  let nameLength: number;
  if (cache !== undefined && host === cache.varsHost) nameLength = cache.varsHostBytes;
  else {
    nameLength = host === "" ? 0 : serverNameLength(host);
    if (cache !== undefined) {
      cache.varsHost = host;
      cache.varsHostBytes = nameLength;
    }
  }
  const path = q < 0 ? uri : uri.slice(0, q);
  // the fixed variables: 4 length bytes each, their names, their values
  const bytes =
    FIXED_NAMES_BYTES +
    utf8Length(req.method ?? "GET") +
    utf8Length(uri) +
    utf8Length(path.includes("%") ? decodePath(path) : path) +
    (q < 0 ? 0 : utf8Length(uri, q + 1)) +
    5 +
    req.httpVersion.length +
    (nameLength > 0 ? nameLength : utf8Length(socket.localAddress ?? "")) +
    peerBytes +
    headerBytes;
  return [FIXED_NAMES.length + raw.length / 2, bytes];
}

/** `[count, bytes]` of a variable set as uWSGI measures it (2+key+2+value bytes each). */
export function envSize(env: Record<string, string>): [number, number] {
  let count = 0;
  let bytes = 0;
  for (const key in env) {
    count++;
    bytes += 4 + Buffer.byteLength(key) + Buffer.byteLength(env[key]!);
  }
  return [count, bytes];
}
