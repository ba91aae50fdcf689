/**
 * The CGI/uwsgi variables of an HTTP request (`uwsgi.env`): what uWSGI's `--http-socket`
 * parser builds from the request head. Built on demand only: most requests never ask.
 * @module
 */
import { Buffer } from "node:buffer";
import type { IncomingMessage } from "node:http";

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

/** UTF-8 length of `text`: its length when it is ASCII (the usual case), else Buffer.byteLength. */
function utf8Length(text: string): number {
  for (let i = 0; i < text.length; i++) if (text.charCodeAt(i) > 0x7f) return Buffer.byteLength(text);
  return text.length;
}

/**
 * `[count, bytes]` of `cgiEnvOf(req)` (see {@link envSize}) without building it: what the request
 * log reports for every request. Reads the raw headers (never `req.headers`, which Node builds on
 * first access) and the listening socket's port (no getsockname per connection). Requests with a
 * repeated header (merged into one variable) are measured on the built object.
 */
export function cgiEnvSize(req: IncomingMessage): [number, number] {
  const raw = req.rawHeaders;
  let host = "";
  let headerBytes = 0;
  for (let i = 0; i < raw.length; i += 2) {
    const name = raw[i]!;
    for (let j = i + 2; j < raw.length; j += 2) {
      if (name.length === raw[j]!.length && name.toLowerCase() === raw[j]!.toLowerCase()) return envSize(cgiEnvOf(req));
    }
    const value = raw[i + 1]!;
    // header names are tokens (ASCII): HTTP_NAME is 5 bytes longer, CONTENT_TYPE/LENGTH as long
    const plain = (name.length === 12 || name.length === 14) && /^content-(type|length)$/i.test(name);
    headerBytes += 4 + (plain ? name.length : 5 + name.length) + utf8Length(value);
    if (name.length === 4 && name.toLowerCase() === "host") host = value;
  }
  const uri = req.url ?? "/";
  const q = uri.indexOf("?");
  const socket = req.socket;
  const serverName = (host.includes(":") || host.startsWith("[") ? host.replace(/:\d+$/, "").replace(/^\[(.*)\]$/, "$1") : host) || (socket.localAddress ?? "");
  const path = q < 0 ? uri : uri.slice(0, q);
  // the fixed variables: 4 length bytes each, their names, their values
  const bytes =
    FIXED_NAMES_BYTES +
    utf8Length(req.method ?? "GET") +
    utf8Length(uri) +
    utf8Length(path.includes("%") ? decodePath(path) : path) +
    (q < 0 ? 0 : utf8Length(uri.slice(q + 1))) +
    5 +
    req.httpVersion.length +
    utf8Length(serverName) +
    localPortLength(socket) +
    (socket.remoteAddress ?? "").length +
    portLength(socket.remotePort) +
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
