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
import { envOfVars } from "./request-vars.js";

const TOKEN = /^[!#$%&'*+.^`|~0-9A-Za-z-]+$/;
const VERSION = /^HTTP\/(\d)\.(\d)$/;
const BAD_HEADER_VALUE = /[\x00-\x08\x0a-\x1f\x7f]/;
const NOT_URL_SAFE = /[^\x21-\x7e]/;
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

/**
 * What a var that becomes a header maps to: its header name (null when the var is not a valid
 * header name), or nothing (`skip`: vars the front end's body framing makes meaningless).
 * `stamp`/`index` find a duplicate of the var within one request without a lookup structure per
 * request: the slot remembers the request it was last seen in and where its header went.
 */
interface HeaderSlot {
  readonly name: string | null;
  readonly skip: boolean;
  /** Kept across requests (false once the cache is full: then duplicates are found by name). */
  readonly cached: boolean;
  stamp: number;
  index: number;
}

const slot = (name: string | null, skip = false, cached = true): HeaderSlot => ({ name, skip, cached, stamp: 0, index: 0 });
const CONTENT_TYPE_SLOT = slot("content-type");
const CONTENT_LENGTH_SLOT = slot("content-length");
const SKIPPED_SLOT = slot(null, true);

/** Header slots of the HTTP_* vars seen so far, by var name. */
const headerSlots = new Map<string, HeaderSlot>([
  ["HTTP_CONTENT_LENGTH", SKIPPED_SLOT],
  ["HTTP_CONTENT_TYPE", SKIPPED_SLOT],
  ["HTTP_TRANSFER_ENCODING", SKIPPED_SLOT],
]);
const HEADER_SLOTS_MAX = 1024;

function headerSlotOf(key: string): HeaderSlot {
  let found = headerSlots.get(key);
  if (found === undefined) {
    const converted = key.slice(5).toLowerCase().replaceAll("_", "-");
    const cached = headerSlots.size < HEADER_SLOTS_MAX;
    found = slot(TOKEN.test(converted) ? converted : null, false, cached);
    if (cached) headerSlots.set(key, found);
  }
  return found;
}

/** Requests seen by {@link httpRequestOf}: the stamp of the current one in the header slots. */
let requestSerial = 0;

/**
 * A uwsgi request seen as HTTP. `env` (the vars as an object) is built on first use: the server's
 * hot path never needs it.
 */
export class UwsgiHttpRequest {
  #env: Record<string, string> | null = null;

  constructor(
    /** The vars as decoded (`decodeRequestVars`): keys at even indexes, each followed by its value. */
    readonly vars: readonly string[],
    /** modifier1 of the packet (0, or 30 for SCRIPT_NAME stripping). */
    readonly modifier1: number,
    /** REQUEST_METHOD (default GET). */
    readonly method: string,
    /** The request target, as `req.url` reports it. */
    readonly url: string,
    /** Header names (lowercase) and values, alternating, as `req.rawHeaders`. */
    readonly rawHeaders: string[],
    /** Version from SERVER_PROTOCOL (`1.1`, `1.0`, `2.0` ...), what `req.httpVersion` reports. */
    readonly httpVersion: string,
    /** Major and minor of {@link httpVersion}. */
    readonly versionMajor: number,
    readonly versionMinor: number,
    /** CONTENT_LENGTH: the body's size in bytes (0 when absent or empty). */
    readonly contentLength: number,
    /** REMOTE_ADDR, if given. */
    readonly remoteAddress: string | undefined,
    /** REMOTE_PORT, if given and numeric. */
    readonly remotePort: number | undefined,
    /** HTTPS is `on`/`1`: the client connection to the front end was TLS. */
    readonly https: boolean,
  ) {}

  /**
   * The request as CGI variables (latin1 strings, as WSGI's environ), last duplicate wins; with
   * modifier1 30, SCRIPT_NAME is stripped from the front of PATH_INFO, as uWSGI does.
   */
  /** `[count, bytes]` of the vars as uWSGI's request log reports them: every var of the packet, and its payload size. */
  varsSize(): [number, number] {
    const vars = this.vars;
    let bytes = 0;
    // latin1 strings: one character per byte
    for (let i = 0; i < vars.length; i++) bytes += vars[i]!.length;
    return [vars.length / 2, bytes + vars.length * 2];
  }

  /** The value of one var as `env` has it (last duplicate), without building `env`. */
  envVar(name: string): string | undefined {
    if (this.#env !== null || (this.modifier1 === 30 && name === "PATH_INFO")) return this.env[name];
    const vars = this.vars;
    for (let i = vars.length - 2; i >= 0; i -= 2) if (vars[i] === name) return vars[i + 1];
    return undefined;
  }

  get env(): Record<string, string> {
    if (this.#env === null) {
      const env = envOfVars(this.vars);
      if (this.modifier1 === 30 && env.SCRIPT_NAME && env.PATH_INFO?.startsWith(env.SCRIPT_NAME)) {
        env.PATH_INFO = env.PATH_INFO.slice(env.SCRIPT_NAME.length);
      }
      this.#env = env;
    }
    return this.#env;
  }
}

function varsOf(env: Readonly<Record<string, string>>): string[] {
  const vars: string[] = [];
  for (const key in env) vars.push(key, env[key]!);
  return vars;
}

/**
 * Builds the HTTP view of a uwsgi request from its vars (see `decodeRequestVars`; an environ
 * object is accepted too). Duplicated vars count as in the environ: the last value wins, in the
 * place of the first.
 *
 * - method: REQUEST_METHOD (default GET); target: REQUEST_URI, else SCRIPT_NAME + PATH_INFO
 *   (percent-encoded) + `?` QUERY_STRING; bytes not allowed in a request line are
 *   percent-encoded, so `req.url` looks as it does on an HTTP socket;
 * - headers: every `HTTP_FOO_BAR` as `foo-bar`, plus CONTENT_TYPE and CONTENT_LENGTH (the body
 *   framing comes from CONTENT_LENGTH only: a forwarded Transfer-Encoding is dropped, the front
 *   end has already de-chunked the body);
 * - modifier1 30 strips SCRIPT_NAME from the front of PATH_INFO in `env`, as uWSGI does.
 * @throws UwsgiError UWSGI_ERR_PACKET_MALFORMED naming the var that cannot be expressed in HTTP
 *   (bad method token, header name, control characters in a value, non-numeric CONTENT_LENGTH).
 * @example
 * const request = httpRequestOf(decodeRequestVars(packet.payload), packet.modifier1);
 * request.method; // "POST"
 * request.rawHeaders; // ["content-type", "text/plain", "content-length", "5", "host", "example.org"]
 */
export function httpRequestOf(input: readonly string[] | Readonly<Record<string, string>>, modifier1 = 0): UwsgiHttpRequest {
  const vars: readonly string[] = Array.isArray(input) ? input : varsOf(input as Readonly<Record<string, string>>);
  let method = "";
  let requestUri = "";
  let protocol: string | undefined;
  let scriptName = "";
  let pathInfo = "";
  let queryString = "";
  let https = "";
  let remoteAddress = "";
  let remotePort = "";
  // the vars that become headers, in the order of their first occurrence, with their last value
  const keys: string[] = [];
  const slots: HeaderSlot[] = [];
  const values: string[] = [];
  const stamp = ++requestSerial;
  for (let i = 0; i < vars.length; i += 2) {
    const key = vars[i]!;
    const value = vars[i + 1]!;
    let target: HeaderSlot;
    if (key.length > 5 && key.charCodeAt(0) === 0x48 /* H */ && key.startsWith("HTTP_")) {
      target = headerSlotOf(key);
      if (target.skip) continue;
    } else {
      // only the names this view reads are compared in full: a var is first told apart by its
      // first character and length (comparing a fresh string to each case name of the same
      // length costs a character comparison call per case)
      const length = key.length;
      switch (key.charCodeAt(0)) {
        case 0x52 /* R */:
          if (length === 14 && key === "REQUEST_METHOD") method = value;
          else if (length === 11 && key === "REQUEST_URI") requestUri = value;
          else if (length === 11 && key === "REMOTE_ADDR") remoteAddress = value;
          else if (length === 11 && key === "REMOTE_PORT") remotePort = value;
          continue;
        case 0x53 /* S */:
          if (length === 15 && key === "SERVER_PROTOCOL") protocol = value;
          else if (length === 11 && key === "SCRIPT_NAME") scriptName = value;
          continue;
        case 0x50 /* P */:
          if (length === 9 && key === "PATH_INFO") pathInfo = value;
          continue;
        case 0x51 /* Q */:
          if (length === 12 && key === "QUERY_STRING") queryString = value;
          continue;
        case 0x48 /* H */:
          if (length === 5 && key === "HTTPS") https = value;
          continue;
        case 0x43 /* C */:
          if (length === 12 && key === "CONTENT_TYPE") target = CONTENT_TYPE_SLOT;
          else if (length === 14 && key === "CONTENT_LENGTH") target = CONTENT_LENGTH_SLOT;
          else continue;
          break;
        default:
          continue;
      }
    }
    if (target.stamp === stamp) {
      values[target.index] = value; // a duplicate: the last value wins
      continue;
    }
    // a slot the cache had no room for is new to every request: look for a duplicate by name
    const seen = target.cached ? -1 : keys.indexOf(key);
    if (seen !== -1) {
      values[seen] = value;
      continue;
    }
    target.stamp = stamp;
    target.index = keys.length;
    keys.push(key);
    slots.push(target);
    values.push(value);
  }

  method ||= "GET";
  if (method !== "GET" && !TOKEN.test(method)) throw malformed(`REQUEST_METHOD ${quoteBytes(Buffer.from(method, "latin1"))} is not an HTTP method token`);

  let url = requestUri;
  if (!url) {
    const path = scriptName + pathInfo;
    url = escapeTarget(path.startsWith("/") ? path : "/" + path, /[%?#]/);
    if (queryString) url += "?" + queryString;
  }
  if (NOT_URL_SAFE.test(url)) url = escapeTarget(url);

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
  for (let j = 0; j < keys.length; j++) {
    const target = slots[j]!;
    const value = values[j]!;
    const name = target.name;
    if (name === null) throw malformed(`var ${quoteBytes(Buffer.from(keys[j]!, "latin1"))} is not a valid HTTP header name`);
    if (target === CONTENT_TYPE_SLOT) {
      if (value === "") continue;
    } else if (target === CONTENT_LENGTH_SLOT) {
      if (value === "") continue;
      if (!/^\d{1,15}$/.test(value)) throw malformed(`CONTENT_LENGTH ${quoteBytes(Buffer.from(value, "latin1"))} is not a number`);
      contentLength = Number(value);
    }
    if (BAD_HEADER_VALUE.test(value)) {
      throw malformed(`var ${keys[j]} contains control characters that cannot travel in an HTTP header`);
    }
    // as Node's parser reads a header line: spaces and tabs around the value are not part of it
    rawHeaders.push(name, isPadded(value) ? value.replace(OUTER_WHITESPACE, "") : value);
  }

  const port = Number(remotePort);
  return new UwsgiHttpRequest(
    vars,
    modifier1,
    method,
    url,
    rawHeaders,
    httpVersion,
    versionMajor,
    versionMinor,
    contentLength,
    remoteAddress || undefined,
    remotePort && Number.isInteger(port) ? port : undefined,
    https === "on" || https === "1",
  );
}
