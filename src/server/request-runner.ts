/**
 * Serves one request in a worker: enters the request context (for `uwsgi.env`, `request_id()`
 * ...), counts it, turns an app failure into a 500 (or a dropped connection when the response
 * had started), writes the request log line and asks for recycling checks.
 * @module
 */
import type { IncomingMessage, ServerResponse } from "node:http";
import type { Socket } from "node:net";
import { performance } from "node:perf_hooks";
import { currentRequest, RequestContextBase, serveInRequest, type RequestContext, type RequestTransport } from "../core/request-context.js";
import { ConnectionTransport, type SwitchableRequest } from "./request-io/connection-transport.js";
import { cgiEnvOf, cgiEnvSize, envSize } from "./cgi-env.js";
import { sentHead } from "../core/node-internals.js";
import { bytesWrittenOf, type ConnectionDrain, type TrackedConnection } from "./connection-drain.js";
import { formatRequestLog } from "./request-log.js";
import type { LogFormat } from "./request-io/log-format.js";
import { requestChannels } from "./observability/request-channels.js";
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
  /** `--logformat`, compiled; absent: uWSGI's default line. */
  readonly logFormat?: LogFormat | null;
  /**
   * True: the runner creates the request context (HTTP). False: the transport already entered
   * one (the uwsgi protocol server), the runner uses it.
   */
  readonly ownContext: boolean;
  /** Called after every request (recycling checks). */
  readonly afterRequest: () => void;
  /** `--route` ...: run on each request before the app; "break" means it was answered (request-io/request-routing.ts). */
  readonly routes?: ((ctx: RequestContext) => "continue" | "break") | null;
}

/** Reports an app failure on the worker's stderr (collected into the log by the master). */
function reportFailure(req: IncomingMessage, err: unknown): void {
  const text = err instanceof Error ? (err.stack ?? err.message) : String(err);
  process.stderr.write(`[uwsgi-node] unhandled error serving ${req.method} ${req.url}: ${text}\n`);
}

/** Counts the header lines and bytes of a sent response head. */
function headStats(res: ServerResponse): [number, number] {
  const head = sentHead(res);
  if (head === null) return [0, 0];
  let lines = 0;
  for (let i = head.indexOf("\n"); i >= 0; i = head.indexOf("\n", i + 1)) lines++; // CRLF-ended lines (a one-character search is cheaper)
  return [Math.max(0, lines - 2), head.length]; // a latin1 head: one byte per character
}

/** `HTTP/` and the version: the usual ones as constants (no concatenation per request). */
function httpProtocol(version: string): string {
  return version === "1.1" ? "HTTP/1.1" : version === "1.0" ? "HTTP/1.0" : `HTTP/${version}`;
}

/**
 * A response with its request's record. A named property, not a symbol: V8 (Node 20) does not
 * fold a symbol held in a module constant into the store and load, so `res[SYMBOL]` went through
 * the generic keyed-access stubs on every request.
 */
type RecordedResponse = ServerResponse & { _uwsgiNodeRequest?: RequestRecord };

/**
 * One request being served: its start, its context, and what happens when its response closes.
 * Also the request's {@link Flight} in the worker state and, for HTTP, the request context
 * itself (`env`, the transport and the maps made on first use: most requests never ask, and
 * building them, or touching `req.headers`, which makes Node parse the raw headers into an
 * object, is measurable work). One object per request and no closures: this is on every
 * request's path.
 */
class RequestRecord extends RequestContextBase implements RequestContext, Flight {
  failed = false;
  closed = false;
  prev: Flight | null = null;
  next: Flight | null = null;
  /** The request's context: this record (HTTP) or the one the transport entered (uwsgi protocol). */
  readonly ctx: RequestContext;
  #env: Record<string, string> | null = null;
  #transport: RequestTransport | null = null;

  constructor(
    readonly cfg: RunnerConfig,
    readonly req: IncomingMessage,
    readonly res: ServerResponse,
    ctx: RequestContext | undefined,
    readonly conn: TrackedConnection,
    readonly requestId: number,
    readonly startMs: number,
    readonly t0: number,
  ) {
    super();
    this.ctx = ctx ?? this;
  }

  get socket(): IncomingMessage["socket"] {
    return this.req.socket;
  }

  get env(): Record<string, string> {
    return (this.#env ??= cgiEnvOf(this.req));
  }

  get transport(): RequestTransport {
    return (this.#transport ??= new ConnectionTransport(this.req, this.res, (this.req as SwitchableRequest)._uwsgiNodeSwitch ?? null));
  }

  get contentLength(): number {
    return Number(this.req.headers["content-length"] ?? 0) || 0;
  }

  varsSize(): readonly [number, number] {
    return this.#env === null ? cgiEnvSize(this.req, this.conn) : envSize(this.#env);
  }

  envVar(name: string): string | undefined {
    if (this.#env === null) {
      // what the request log reads, without building env
      if (name === "REQUEST_URI") return this.req.url ?? "/";
      if (name === "REMOTE_USER") return undefined;
    }
    return this.env[name];
  }

  /** The app threw or its promise rejected. */
  fail(err: unknown): void {
    const { req, res } = this;
    this.failed = true;
    if (requestChannels.error.hasSubscribers) requestChannels.error.publish({ request: req, response: res, requestId: this.requestId, error: err });
    reportFailure(req, err);
    if (!res.headersSent) {
      res.writeHead(500, { "Content-Type": "text/plain", "Content-Length": 21 });
      res.end("Internal Server Error");
    } else {
      this.conn.socket.destroy();
    }
  }

  /**
   * Harakiri of this request alone (the event loop is free; see request-harakiri.ts): 504 and
   * the connection closed when nothing was sent yet, else the connection is dropped. The response
   * 'close' that follows ends the record as usual.
   */
  abort(): string {
    const { req, res } = this;
    this.failed = true;
    const socket = this.conn.socket;
    if (!res.headersSent && !res.writableEnded) {
      res.shouldKeepAlive = false;
      res.writeHead(504, { "Content-Type": "text/plain", "Content-Length": 15, Connection: "close" });
      res.end("Gateway Timeout", () => socket.destroy());
    } else {
      socket.destroy();
    }
    return `${req.method ?? "?"} ${this.ctx.env.REQUEST_URI ?? req.url ?? ""}`;
  }

  /** The response closed (sent, or the connection went away): the request is over. */
  close(): void {
    if (this.closed) return;
    this.closed = true;
    const { cfg, ctx, conn } = this;
    const elapsed = performance.now() - this.t0;
    cfg.drain.requestEnded(conn, this.startMs + Math.round(elapsed));
    const micros = Math.round(elapsed * 1000);
    // bytes this response wrote: the socket's total now minus its total at the end of the last one
    const written = bytesWrittenOf(conn);
    const tx = Math.max(0, written - conn.txMark);
    conn.txMark = written;
    cfg.state.end(this, micros, tx, this.failed);
    if (requestChannels.end.hasSubscribers) {
      requestChannels.end.publish({ request: this.req, response: this.res, requestId: this.requestId, durationSeconds: elapsed / 1000, failed: this.failed });
    }
    if ((cfg.logRequests && !ctx.skipLog) || ctx.forceLog) this.#log(micros, tx);
    cfg.afterRequest();
  }

  #log(micros: number, tx: number): void {
    const { cfg, req, res, ctx } = this;
    const state = cfg.state;
    const [headersCount, headersBytes] = headStats(res);
    if (cfg.logFormat) {
      const [varsCount, varsBytes] = envSize(ctx.env);
      cfg.log(
        cfg.logFormat({
          env: ctx.env,
          logvars: ctx.logvars,
          pid: process.pid,
          workerId: state.identity.id,
          status: res.statusCode,
          micros,
          startMs: this.startMs,
          startMicros: Math.round((performance.timeOrigin + this.t0) * 1000),
          readErrors: (req as { aborted?: boolean }).aborted || (!req.complete && req.destroyed) ? 1 : 0,
          writeErrors: res.writableFinished || res.statusCode === 101 ? 0 : 1,
          bodyBytes: Math.max(0, tx - headersBytes),
          headersBytes,
          headersCount,
          contentLength: ctx.contentLength,
          varsCount,
          varsBytes,
          modifier1: ctx.modifier1 ?? 0,
          modifier2: ctx.modifier2 ?? 0,
        }),
      );
      return;
    }
    const [varsCount, varsBytes] = ctx.varsSize?.() ?? envSize(ctx.env);
    const envVar = (name: string): string | undefined => (ctx.envVar ? ctx.envVar(name) : ctx.env[name]);
    cfg.log(
      formatRequestLog({
        pid: process.pid,
        workerRequests: state.slotRequests(),
        totalRequests: state.totalRequests(),
        remoteAddr: this.conn.socket.remoteAddress ?? envVar("REMOTE_ADDR") ?? "",
        remoteUser: envVar("REMOTE_USER") ?? "",
        varsCount,
        varsBytes,
        startMs: this.startMs,
        method: req.method ?? "",
        uri: envVar("REQUEST_URI") ?? req.url ?? "",
        bodyBytes: Math.max(0, tx - headersBytes),
        durationMs: Math.round(micros / 1000),
        protocol: httpProtocol(req.httpVersion),
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
function closeRecord(this: RecordedResponse): void {
  this._uwsgiNodeRequest?.close();
}

/** Creates the listener the HTTP (or uwsgi protocol) server calls for each request. */
export function createRequestRunner(cfg: RunnerConfig): (req: IncomingMessage, res: ServerResponse) => void {
  const { state, app, drain } = cfg;
  return function runRequest(req: IncomingMessage, res: ServerResponse): void {
    const startMs = Date.now();
    const t0 = performance.now();
    // the uwsgi protocol's context names the connection: reading req.socket there would build a
    // net.Socket for a request served on its connection's handle
    const ctx = cfg.ownContext ? undefined : currentRequest();
    const conn = drain.requestStarted((ctx?.socket as Socket | undefined) ?? req.socket);
    if (drain.draining) res.shouldKeepAlive = false;
    const record = new RequestRecord(cfg, req, res, ctx, conn, state.requests, startMs, t0);
    state.begin(record);
    (res as RecordedResponse)._uwsgiNodeRequest = record;
    res.on("close", closeRecord);
    if (requestChannels.start.hasSubscribers) requestChannels.start.publish({ request: req, response: res, requestId: record.requestId });
    try {
      if (cfg.routes && cfg.routes(record.ctx) === "break") return;
      const result = cfg.ownContext ? serveInRequest(record, app, req, res) : app(req, res);
      if (result !== null && typeof result === "object" && typeof (result as PromiseLike<unknown>).then === "function") {
        (result as PromiseLike<unknown>).then(undefined, (err: unknown) => record.fail(err));
      }
    } catch (err) {
      record.fail(err);
    }
  };
}
