/**
 * Serves one request in a worker: enters the request context (for `uwsgi.env`, `request_id()`
 * ...), counts it, turns an app failure into a 500 (or a dropped connection when the response
 * had started), writes the request log line and asks for recycling checks.
 * @module
 */
import { Buffer } from "node:buffer";
import type { IncomingMessage, ServerResponse } from "node:http";
import { performance } from "node:perf_hooks";
import { currentRequest, RequestContextBase, serveInRequest, type RequestContext, type RequestTransport } from "../core/request-context.js";
import { cgiEnvOf, envSize } from "./cgi-env.js";
import type { ConnectionDrain, TrackedConnection } from "./connection-drain.js";
import { formatRequestLog } from "./request-log.js";
import type { Flight, WorkerState } from "./worker-state.js";

/** A Node request listener: what the worker serves. */
export type NodeListener = (req: IncomingMessage, res: ServerResponse) => unknown;

/** How requests are served. */
export interface RunnerConfig {
  readonly state: WorkerState;
  readonly app: NodeListener;
  readonly drain: ConnectionDrain;
  /** Write the request log line for every request (else only for `log_this_request()`). */
  readonly logRequests: boolean;
  /** Writes one log line. */
  readonly log: (line: string) => void;
  /**
   * True: the runner creates the request context (HTTP). False: the transport already entered
   * one (the uwsgi protocol server), the runner uses it.
   */
  readonly ownContext: boolean;
  /** Called after every request (recycling checks). */
  readonly afterRequest: () => void;
}

/**
 * The context of an HTTP request. `env` (the CGI variables), `contentLength`, the maps and the
 * transport are made on first use: most requests never ask, and building them (or touching
 * `req.headers`, which makes Node parse the raw headers into an object) is measurable
 * per-request work.
 */
class HttpRequestContext extends RequestContextBase implements RequestContext {
  #env: Record<string, string> | null = null;
  #transport: RequestTransport | null = null;

  constructor(
    readonly req: IncomingMessage,
    readonly requestId: number,
  ) {
    super();
  }

  get socket(): IncomingMessage["socket"] {
    return this.req.socket;
  }

  get env(): Record<string, string> {
    return (this.#env ??= cgiEnvOf(this.req));
  }

  get transport(): RequestTransport {
    const socket = this.req.socket;
    return (this.#transport ??= { disconnect: () => socket.destroy() });
  }

  get contentLength(): number {
    return Number(this.req.headers["content-length"] ?? 0) || 0;
  }
}

/** Reports an app failure on the worker's stderr (collected into the log by the master). */
function reportFailure(req: IncomingMessage, err: unknown): void {
  const text = err instanceof Error ? (err.stack ?? err.message) : String(err);
  process.stderr.write(`[uwsgi-node] unhandled error serving ${req.method} ${req.url}: ${text}\n`);
}

/** Counts the header lines and bytes of a sent response head. */
function headStats(res: ServerResponse): [number, number] {
  const head = (res as ServerResponse & { _header?: string | null })._header;
  if (typeof head !== "string") return [0, 0];
  let lines = 0;
  for (let i = head.indexOf("\r\n"); i >= 0; i = head.indexOf("\r\n", i + 2)) lines++;
  return [Math.max(0, lines - 2), Buffer.byteLength(head, "latin1")];
}

/** Where a response keeps its request's record. */
const RECORD = Symbol("uwsgi-node.request-record");

/**
 * One request being served: its start, its context, and what happens when its response closes.
 * Also the request's {@link Flight} in the worker state. One object per request and no closures:
 * this is on every request's path.
 */
class RequestRecord implements Flight {
  failed = false;
  closed = false;
  prev: Flight | null = null;
  next: Flight | null = null;

  constructor(
    readonly cfg: RunnerConfig,
    readonly req: IncomingMessage,
    readonly res: ServerResponse,
    readonly ctx: RequestContext,
    readonly conn: TrackedConnection,
    readonly startMs: number,
    readonly t0: number,
  ) {}

  /** The app threw or its promise rejected. */
  fail(err: unknown): void {
    const { req, res } = this;
    this.failed = true;
    reportFailure(req, err);
    if (!res.headersSent) {
      res.writeHead(500, { "Content-Type": "text/plain", "Content-Length": 21 });
      res.end("Internal Server Error");
    } else {
      req.socket.destroy();
    }
  }

  /** The response closed (sent, or the connection went away): the request is over. */
  close(): void {
    if (this.closed) return;
    this.closed = true;
    const { cfg, req, ctx, conn } = this;
    cfg.drain.requestEnded(conn);
    const micros = Math.round((performance.now() - this.t0) * 1000);
    // bytes this response wrote: the socket's total now minus its total at the end of the last one
    const written = req.socket.bytesWritten;
    const tx = Math.max(0, written - conn.txMark);
    conn.txMark = written;
    cfg.state.end(this, micros, tx, this.failed);
    if (cfg.logRequests || ctx.forceLog) this.#log(micros, tx);
    cfg.afterRequest();
  }

  #log(micros: number, tx: number): void {
    const { cfg, req, res, ctx } = this;
    const state = cfg.state;
    const [varsCount, varsBytes] = envSize(ctx.env);
    const [headersCount, headersBytes] = headStats(res);
    cfg.log(
      formatRequestLog({
        pid: process.pid,
        workerRequests: state.slotRequests(),
        totalRequests: state.totalRequests(),
        remoteAddr: req.socket.remoteAddress ?? ctx.env.REMOTE_ADDR ?? "",
        remoteUser: ctx.env.REMOTE_USER ?? "",
        varsCount,
        varsBytes,
        startMs: this.startMs,
        method: req.method ?? "",
        uri: ctx.env.REQUEST_URI ?? req.url ?? "",
        bodyBytes: Math.max(0, tx - headersBytes),
        durationMs: Math.round(micros / 1000),
        protocol: `HTTP/${req.httpVersion}`,
        status: res.statusCode,
        headersCount,
        headersBytes,
      }),
    );
  }
}

/**
 * The `close` listener of every response: one shared function (the record hangs on the response),
 * not a closure plus `once` wrapper per request. (Not a ServerResponse subclass overriding
 * `emit`: Express and others replace the response's prototype.)
 */
function closeRecord(this: ServerResponse & { [RECORD]?: RequestRecord }): void {
  this[RECORD]?.close();
}

/** Creates the listener the HTTP (or uwsgi protocol) server calls for each request. */
export function createRequestRunner(cfg: RunnerConfig): (req: IncomingMessage, res: ServerResponse) => void {
  const { state, app, drain } = cfg;
  return function runRequest(req: IncomingMessage, res: ServerResponse): void {
    const startMs = Date.now();
    const t0 = performance.now();
    const conn = drain.requestStarted(req.socket);
    if (drain.draining) res.shouldKeepAlive = false;
    const ctx = cfg.ownContext ? new HttpRequestContext(req, state.requests) : (currentRequest() ?? new HttpRequestContext(req, state.requests));
    const record = new RequestRecord(cfg, req, res, ctx, conn, startMs, t0);
    state.begin(record);
    (res as ServerResponse & { [RECORD]?: RequestRecord })[RECORD] = record;
    res.on("close", closeRecord);
    try {
      const result = cfg.ownContext ? serveInRequest(ctx, app, req, res) : app(req, res);
      if (result !== null && typeof result === "object" && typeof (result as PromiseLike<unknown>).then === "function") {
        (result as PromiseLike<unknown>).then(undefined, (err: unknown) => record.fail(err));
      }
    } catch (err) {
      record.fail(err);
    }
  };
}
