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
