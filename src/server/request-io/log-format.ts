/**
 * `--logformat` / `--log-format`: the request log line built from uWSGI's `%(var)` variables
 * (https://uwsgi-docs.readthedocs.io/en/latest/LogFormat.html), compiled once at worker start.
 *
 * Request fields: `uri`, `method`, `user`, `addr`, `host`, `proto`, `uagent`, `referer`;
 * functions: `status`, `micros`, `msecs`, `secs`, `time` (unix start), `tmsecs`/`tmicros` (start
 * in ms/µs since the epoch), `ctime`, `ltime` (Apache style), `ftime` (as `ltime`: there is no
 * `--logformat-strftime`), `epoch`, `size` (head + body), `hsize`, `rsize`, `cl`, `pid`, `wid`,
 * `core` (0), `switches` (1), `vars`, `pktsize`, `headers`, `rss`/`vsz` and `rssM`/`vszM` (this
 * process's memory), `modifier1`/`modifier2` (the uwsgi packet's; 0 and 0 over HTTP, as uWSGI),
 * `rerr` (1 when the client went away before the end of its body), `werr` (1 when the response
 * could not be written whole), `ioerr` (both);
 * `var.NAME` is the request variable NAME (`var.PATH_INFO`); `metric.NAME` the metric's value (0
 * when there is no such metric, as uWSGI); any other name is a log variable set with
 * `uwsgi.set_logvar` (empty when unset, as in uWSGI). As uWSGI, a name runs to the next `)`.
 *
 * Request variables and log variables are escaped as the default request line's fields are
 * (control bytes and the backslash as `\xHH`, src/server/logging/log-escape.ts): a CR/LF a client
 * puts in its URI, Host or User-Agent cannot start a forged log line. The format's own text is
 * the operator's and is written as given.
 * @module
 */
import { Buffer } from "node:buffer";
import { processMemory } from "../../module/process-memory.js";
import { escapeLogField } from "../logging/log-escape.js";

/** What one request offers to the format. */
export interface LogFields {
  readonly env: Record<string, string>;
  readonly logvars: ReadonlyMap<string, Buffer>;
  readonly pid: number;
  readonly workerId: number;
  readonly status: number;
  readonly micros: number;
  readonly startMs: number;
  /** Start of the request in microseconds since the epoch. */
  readonly startMicros: number;
  /** 1 when reading the request failed (the client went away before the end of its body). */
  readonly readErrors: number;
  /** 1 when writing the response failed (the connection closed before it was written whole). */
  readonly writeErrors: number;
  readonly bodyBytes: number;
  readonly headersBytes: number;
  readonly headersCount: number;
  readonly contentLength: number;
  readonly varsCount: number;
  readonly varsBytes: number;
  /** The uwsgi packet's modifiers (0 and 0 over HTTP, as uWSGI). */
  readonly modifier1: number;
  readonly modifier2: number;
}

type Piece = string | ((f: LogFields) => string);

const MONTHS = ["Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"];
const DAYS = ["Sun", "Mon", "Tue", "Wed", "Thu", "Fri", "Sat"];
const pad = (n: number) => String(n).padStart(2, "0");

/** `07/Dec/2026:14:31:47 +0000` (Apache's %t without brackets), local time. */
function apacheTime(ms: number): string {
  const d = new Date(ms);
  const off = -d.getTimezoneOffset();
  const sign = off >= 0 ? "+" : "-";
  return `${pad(d.getDate())}/${MONTHS[d.getMonth()]}/${d.getFullYear()}:${pad(d.getHours())}:${pad(d.getMinutes())}:${pad(d.getSeconds())} ${sign}${pad(Math.floor(Math.abs(off) / 60))}${pad(Math.abs(off) % 60)}`;
}

/** C's ctime() without the newline: `Mon Dec  7 14:31:47 2026`. */
function ctime(ms: number): string {
  const d = new Date(ms);
  return `${DAYS[d.getDay()]} ${MONTHS[d.getMonth()]} ${String(d.getDate()).padStart(2, " ")} ${pad(d.getHours())}:${pad(d.getMinutes())}:${pad(d.getSeconds())} ${d.getFullYear()}`;
}

const env = (name: string) => (f: LogFields) => escapeLogField(f.env[name] ?? "");

const VARIABLES: Record<string, (f: LogFields) => string> = {
  uri: env("REQUEST_URI"),
  method: env("REQUEST_METHOD"),
  user: env("REMOTE_USER"),
  addr: env("REMOTE_ADDR"),
  host: env("HTTP_HOST"),
  proto: env("SERVER_PROTOCOL"),
  uagent: env("HTTP_USER_AGENT"),
  referer: env("HTTP_REFERER"),
  status: (f) => String(f.status),
  micros: (f) => String(f.micros),
  msecs: (f) => String(Math.floor(f.micros / 1000)),
  secs: (f) => (f.micros / 1e6).toFixed(6),
  time: (f) => String(Math.floor(f.startMs / 1000)),
  tmsecs: (f) => String(Math.floor(f.startMicros / 1000)),
  tmicros: (f) => String(f.startMicros),
  ctime: (f) => ctime(f.startMs),
  ltime: (f) => apacheTime(f.startMs),
  ftime: (f) => apacheTime(f.startMs),
  epoch: () => String(Math.floor(Date.now() / 1000)),
  size: (f) => String(f.headersBytes + f.bodyBytes),
  hsize: (f) => String(f.headersBytes),
  rsize: (f) => String(f.bodyBytes),
  cl: (f) => String(f.contentLength),
  pid: (f) => String(f.pid),
  wid: (f) => String(f.workerId),
  core: () => "0",
  switches: () => "1",
  vars: (f) => String(f.varsCount),
  pktsize: (f) => String(f.varsBytes),
  headers: (f) => String(f.headersCount),
  rerr: (f) => String(f.readErrors),
  werr: (f) => String(f.writeErrors),
  ioerr: (f) => String(f.readErrors + f.writeErrors),
  modifier1: (f) => String(f.modifier1),
  modifier2: (f) => String(f.modifier2),
  rss: () => String(processMemory()[0]),
  rssM: () => String(Math.floor(processMemory()[0] / 1048576)),
  vsz: () => String(processMemory()[1]),
  vszM: () => String(Math.floor(processMemory()[1] / 1048576)),
};

/** A compiled `--logformat`. */
export type LogFormat = (fields: LogFields) => string;

/** What the format reads outside the request. */
export interface LogFormatSources {
  /** The value of metric `name` (`%(metric.NAME)`); may throw when there is none. */
  metric?(name: string): number | bigint;
}

function metricPiece(name: string, sources: LogFormatSources): (f: LogFields) => string {
  return () => {
    try {
      return String(sources.metric?.(name) ?? 0);
    } catch {
      return "0";
    }
  };
}

/**
 * Compiles a format once.
 * @example
 * ```ts
 * compileLogFormat('%(addr) "%(method) %(uri) %(proto)" %(status) %(size) user=%(user_id)')
 * ```
 */
export function compileLogFormat(format: string, sources: LogFormatSources = {}): LogFormat {
  const pieces: Piece[] = [];
  const re = /%\(([^)]+)\)/g;
  let last = 0;
  for (let m = re.exec(format); m !== null; m = re.exec(format)) {
    if (m.index > last) pieces.push(format.slice(last, m.index));
    const name = m[1]!;
    const builtin = VARIABLES[name];
    if (builtin) pieces.push(builtin);
    else if (name.startsWith("var.")) pieces.push(env(name.slice(4)));
    else if (name.startsWith("metric.")) pieces.push(metricPiece(name.slice(7), sources));
    else pieces.push((f) => escapeLogField(f.logvars.get(name)?.toString() ?? ""));
    last = re.lastIndex;
  }
  if (last < format.length) pieces.push(format.slice(last));
  return (fields) => {
    let out = "";
    for (const p of pieces) out += typeof p === "string" ? p : p(fields);
    return out;
  };
}
