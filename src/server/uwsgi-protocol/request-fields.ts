/**
 * The HTTP view of a modifier1 0/30 uwsgi request: method, target, version and headers taken
 * from its CGI vars, checked as strictly as Node's own HTTP parser checks a request head, so
 * requests arriving over `--socket` become genuine `http.IncomingMessage` objects (Express and
 * friends work unchanged) without a request head being written and parsed again.
 * @module
 */
import { Buffer } from "node:buffer";
import { UwsgiError } from "../../errors.js";
import { quoteBytes } from "../../protocol/packet.js";

/** A uwsgi request seen as HTTP. */
export interface UwsgiHttpRequest {
  /** The request as CGI variables (latin1 strings, as WSGI's environ), last duplicate wins. */
  env: Record<string, string>;
  /** REQUEST_METHOD (default GET). */
  method: string;
  /** The request target, as `req.url` reports it. */
  url: string;
  /** Header names (lowercase) and values, alternating, as `req.rawHeaders`. */
  rawHeaders: string[];
  /** Version from SERVER_PROTOCOL (`1.1`, `1.0`, `2.0` ...), what `req.httpVersion` reports. */
  httpVersion: string;
  /** Major and minor of {@link httpVersion}. */
  versionMajor: number;
  versionMinor: number;
  /** CONTENT_LENGTH: the body's size in bytes (0 when absent or empty). */
  contentLength: number;
  /** REMOTE_ADDR, if given. */
  remoteAddress?: string;
  /** REMOTE_PORT, if given and numeric. */
  remotePort?: number;
  /** HTTPS is `on`/`1`: the client connection to the front end was TLS. */
  https: boolean;
}

const TOKEN = /^[!#$%&'*+.^`|~0-9A-Za-z-]+$/;
const BAD_HEADER_VALUE = /[\x00-\x08\x0a-\x1f\x7f]/;
const NOT_URL_SAFE = /[^\x21-\x7e]/;
const VERSION = /^HTTP\/(\d)\.(\d)$/;
const OUTER_WHITESPACE = /^[ \t]+|[ \t]+$/g;

/** The value starts or ends with a space or tab. */
function isPadded(value: string): boolean {
  if (value.length === 0) return false;
  const first = value.charCodeAt(0);
  const last = value.charCodeAt(value.length - 1);
  return first === 0x20 || first === 0x09 || last === 0x20 || last === 0x09;
}

function malformed(detail: string): UwsgiError {
  return new UwsgiError("UWSGI_ERR_PACKET_MALFORMED", detail);
}

/** Percent-encodes the bytes of a latin1 string that may not appear raw in a request target. */
function escapeTarget(target: string, extra?: RegExp): string {
  let out = "";
  for (let i = 0; i < target.length; i++) {
    const c = target.charCodeAt(i);
    const ch = target[i]!;
    out += c <= 0x20 || c >= 0x7f || extra?.test(ch) ? `%${c.toString(16).toUpperCase().padStart(2, "0")}` : ch;
  }
  return out;
}

/** HTTP_* var name → header name (or null when it is not a valid header name), for names seen. */
const headerNames = new Map<string, string | null>();
const HEADER_NAME_CACHE_MAX = 1024;

function headerNameOf(key: string): string | null {
  let name = headerNames.get(key);
  if (name === undefined) {
    const converted = key.slice(5).toLowerCase().replaceAll("_", "-");
    name = TOKEN.test(converted) ? converted : null;
    if (headerNames.size < HEADER_NAME_CACHE_MAX) headerNames.set(key, name);
  }
  return name;
}

/**
 * Builds the HTTP view of a uwsgi request from its environ (see `decodeRequestEnv`).
 *
 * - method: REQUEST_METHOD (default GET); target: REQUEST_URI, else SCRIPT_NAME + PATH_INFO
 *   (percent-encoded) + `?` QUERY_STRING; bytes not allowed in a request line are
 *   percent-encoded, so `req.url` looks as it does on an HTTP socket;
 * - headers: every `HTTP_FOO_BAR` as `foo-bar`, plus CONTENT_TYPE and CONTENT_LENGTH (the body
 *   framing comes from CONTENT_LENGTH only: a forwarded Transfer-Encoding is dropped, the front
 *   end has already de-chunked the body);
 * - modifier1 30 strips SCRIPT_NAME from the front of PATH_INFO in `env` (which is updated in
 *   place), as uWSGI does.
 * @throws UwsgiError UWSGI_ERR_PACKET_MALFORMED naming the var that cannot be expressed in HTTP
 *   (bad method token, header name, control characters in a value, non-numeric CONTENT_LENGTH).
 * @example
 * const request = httpRequestOf(decodeRequestEnv(packet.payload), packet.modifier1);
 * request.method; // "POST"
 * request.rawHeaders; // ["content-type", "text/plain", "content-length", "5", "host", "example.org"]
 */
export function httpRequestOf(env: Record<string, string>, modifier1 = 0): UwsgiHttpRequest {
  const method = env.REQUEST_METHOD || "GET";
  if (!TOKEN.test(method)) throw malformed(`REQUEST_METHOD ${quoteBytes(Buffer.from(method, "latin1"))} is not an HTTP method token`);

  let url = env.REQUEST_URI;
  if (!url) {
    const path = (env.SCRIPT_NAME ?? "") + (env.PATH_INFO ?? "");
    url = escapeTarget(path.startsWith("/") ? path : "/" + path, /[%?#]/);
    if (env.QUERY_STRING) url += "?" + env.QUERY_STRING;
  }
  if (NOT_URL_SAFE.test(url)) url = escapeTarget(url);

  const protocol = env.SERVER_PROTOCOL;
  let versionMajor = 1;
  let versionMinor = 1;
  let httpVersion = "1.1";
  if (protocol !== "HTTP/1.1") {
    // HTTP/1.0 when absent or unrecognised
    const version = VERSION.exec(protocol ?? "");
    versionMajor = version ? Number(version[1]) : 1;
    versionMinor = version ? Number(version[2]) : 0;
    httpVersion = `${versionMajor}.${versionMinor}`;
  }

  const rawHeaders: string[] = [];
  let contentLength = 0;
  for (const key in env) {
    let name: string | null;
    const value = env[key]!;
    if (key.startsWith("HTTP_")) {
      if (key === "HTTP_CONTENT_LENGTH" || key === "HTTP_CONTENT_TYPE" || key === "HTTP_TRANSFER_ENCODING") continue;
      name = headerNameOf(key);
      if (name === null) throw malformed(`var ${quoteBytes(Buffer.from(key, "latin1"))} is not a valid HTTP header name`);
    } else if (key === "CONTENT_TYPE") {
      if (value === "") continue;
      name = "content-type";
    } else if (key === "CONTENT_LENGTH") {
      if (value === "") continue;
      if (!/^\d{1,15}$/.test(value)) throw malformed(`CONTENT_LENGTH ${quoteBytes(Buffer.from(value, "latin1"))} is not a number`);
      contentLength = Number(value);
      name = "content-length";
    } else {
      continue;
    }
    if (BAD_HEADER_VALUE.test(value)) {
      throw malformed(`var ${key} contains control characters that cannot travel in an HTTP header`);
    }
    // as Node's parser reads a header line: spaces and tabs around the value are not part of it
    rawHeaders.push(name, isPadded(value) ? value.replace(OUTER_WHITESPACE, "") : value);
  }

  if (modifier1 === 30 && env.SCRIPT_NAME && env.PATH_INFO?.startsWith(env.SCRIPT_NAME)) {
    env.PATH_INFO = env.PATH_INFO.slice(env.SCRIPT_NAME.length);
  }

  const request: UwsgiHttpRequest = {
    env,
    method,
    url,
    rawHeaders,
    httpVersion,
    versionMajor,
    versionMinor,
    contentLength,
    https: env.HTTPS === "on" || env.HTTPS === "1",
  };
  if (env.REMOTE_ADDR) request.remoteAddress = env.REMOTE_ADDR;
  const port = Number(env.REMOTE_PORT);
  if (env.REMOTE_PORT && Number.isInteger(port)) request.remotePort = port;
  return request;
}
