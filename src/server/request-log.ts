/**
 * The request log line, in uWSGI's default format:
 * `[pid: 42|app: 0|req: 3/7] 127.0.0.1 () {24 vars in 246 bytes} [Mon Nov 23 20:31:47 2026]
 * GET / => generated 5 bytes in 0 msecs (HTTP/1.1 200) 1 headers in 45 bytes (1 switches on core 0)`.
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

/** Formats one request log line (without the newline); client-controlled fields are escaped. */
export function formatRequestLog(e: RequestLogEntry): string {
  return (
    `[pid: ${e.pid}|app: 0|req: ${e.workerRequests}/${e.totalRequests}] ${escapeLogField(e.remoteAddr)} (${escapeLogField(e.remoteUser)}) ` +
    `{${e.varsCount} vars in ${e.varsBytes} bytes} [${logDate(e.startMs)}] ${escapeLogField(e.method)} ${escapeLogField(e.uri)} => ` +
    `generated ${e.bodyBytes} bytes in ${e.durationMs} msecs (${e.protocol} ${e.status}) ` +
    `${e.headersCount} headers in ${e.headersBytes} bytes (1 switches on core 0)`
  );
}
