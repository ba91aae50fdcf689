/**
 * The request log line, in uWSGI's default format:
 * `[pid: 42|app: 0|req: 3/7] 127.0.0.1 () {24 vars in 246 bytes} [Mon Nov 23 20:31:47 2026]
 * GET / => generated 5 bytes in 0 msecs (HTTP/1.1 200) 1 headers in 45 bytes (1 switches on core 0)`.
 *
 * Built on every request, so built from few pieces: the parts that repeat from one request to the
 * next (the pid, the client's address and user, the second, the protocol and status) are kept
 * from the previous line and made again only when they change; every other concatenation, and
 * the cons-string node it leaves for the batch's flattening, costs per request.
 * @module
 */
import { logDate } from "./log-date.js";
import { escapeLogField } from "./logging/log-escape.js";

/** What one line reports. */
export interface RequestLogEntry {
  pid: number;
  /** Requests of this worker slot, this one included. */
  workerRequests: number;
  /** Requests of the whole instance. */
  totalRequests: number;
  remoteAddr: string;
  remoteUser: string;
  varsCount: number;
  varsBytes: number;
  startMs: number;
  method: string;
  uri: string;
  /** Body bytes sent. */
  bodyBytes: number;
  durationMs: number;
  protocol: string;
  status: number;
  headersCount: number;
  headersBytes: number;
}

/** `[pid: N|app: 0|req: ` of the last line, and its pid. */
let pidOf = -1;
let pidPart = "";
/** `] ADDR (USER) {` of the last line (both escaped), and what it was made from. */
let addrOf: string | null = null;
let userOf: string | null = null;
let addrPart = "";
/** ` bytes} [DATE] ` of the last line, and its second. */
let secondOf = Number.NaN;
let datePart = "";
/** ` msecs (PROTOCOL STATUS) ` of the last line, and what it was made from. */
let protocolOf: string | null = null;
let statusOf = -1;
let statusPart = "";

/** The method, escaped: the usual ones need no look (Node hands them out as the same constant strings). */
function methodField(method: string): string {
  return method === "GET" || method === "POST" || method === "HEAD" ? method : escapeLogField(method);
}

/** Formats one request log line (without the newline); client-controlled fields are escaped. */
export function formatRequestLog(e: RequestLogEntry): string {
  if (e.pid !== pidOf) {
    pidPart = `[pid: ${e.pid}|app: 0|req: `;
    pidOf = e.pid;
  }
  if (e.remoteAddr !== addrOf || e.remoteUser !== userOf) {
    addrPart = `] ${escapeLogField(e.remoteAddr)} (${escapeLogField(e.remoteUser)}) {`;
    addrOf = e.remoteAddr;
    userOf = e.remoteUser;
  }
  const second = Math.floor(e.startMs / 1000);
  if (second !== secondOf) {
    datePart = ` bytes} [${logDate(e.startMs)}] `;
    secondOf = second;
  }
  if (e.protocol !== protocolOf || e.status !== statusOf) {
    statusPart = ` msecs (${e.protocol} ${e.status}) `;
    protocolOf = e.protocol;
    statusOf = e.status;
  }
  return (
    pidPart + e.workerRequests + "/" + e.totalRequests + addrPart + e.varsCount + " vars in " + e.varsBytes + datePart +
    methodField(e.method) + " " + escapeLogField(e.uri) + " => generated " + e.bodyBytes + " bytes in " + e.durationMs + statusPart +
    e.headersCount + " headers in " + e.headersBytes + " bytes (1 switches on core 0)"
  );
}
