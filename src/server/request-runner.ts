/**
 * Serves one request in a worker: enters the request context (for `uwsgi.env`, `request_id()`
 * ...), counts it, turns an app failure into a 500 (or a dropped connection when the response
 * had started), writes the request log line and asks for recycling checks.
 * @module
 */
import type { IncomingMessage, ServerResponse } from "node:http";
import { performance } from "node:perf_hooks";
import { currentRequest, runInRequest, type RequestContext, type RequestTransport } from "../core/request-context.js";
import { cgiEnvOf, envSize } from "./cgi-env.js";
import type { ConnectionDrain } from "./connection-drain.js";
import { formatRequestLog } from "./request-log.js";
import type { WorkerState } from "./worker-state.js";

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
 * The context of an HTTP request. `env` (the CGI variables) and `contentLength` are computed on
 * first use: most requests never ask, and building them (or touching `req.headers`, which makes
 * Node parse the raw headers into an object) is measurable per-request work.
 */
class HttpRequestContext implements RequestContext {
  readonly logvars = new Map<string, Buffer>();
  readonly addedVars = new Map<string, string>();
  forceLog = false;
  signalReceived = 0;
  readonly transport: RequestTransport;
  #env: Record<string, string> | null = null;

  constructor(
    readonly req: IncomingMessage,
    readonly requestId: number,
  ) {
    const socket = req.socket;
    this.transport = { disconnect: () => socket.destroy() };
  }

  get socket(): IncomingMessage["socket"] {
    return this.req.socket;
  }

  get env(): Record<string, string> {
    return (this.#env ??= cgiEnvOf(this.req));
  }

  get contentLength(): number {
    return Number(this.req.headers["content-length"] ?? 0) || 0;
  }
}

/** Builds the context of an HTTP request; its `env` is computed on first use. */
export function httpRequestContext(req: IncomingMessage, requestId: number): RequestContext {
  return new HttpRequestContext(req, requestId);
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

/** Creates the listener the HTTP (or uwsgi protocol) server calls for each request. */
export function createRequestRunner(cfg: RunnerConfig): (req: IncomingMessage, res: ServerResponse) => void {
  const { state, app, drain } = cfg;
  return function runRequest(req: IncomingMessage, res: ServerResponse): void {
    const startMs = Date.now();
    const t0 = performance.now();
    const socket = req.socket;
    const tx0 = socket.bytesWritten;
    const flight = state.begin(startMs);
    drain.requestStarted(socket);
    if (drain.draining) res.shouldKeepAlive = false;
    const ctx = cfg.ownContext ? httpRequestContext(req, state.requests) : (currentRequest() ?? httpRequestContext(req, state.requests));
    let failed = false;
    const fail = (err: unknown): void => {
      failed = true;
      reportFailure(req, err);
      if (!res.headersSent) {
        res.writeHead(500, { "Content-Type": "text/plain", "Content-Length": 21 });
        res.end("Internal Server Error");
      } else {
        socket.destroy();
      }
    };
    res.once("close", () => {
      drain.requestEnded(socket);
      const micros = Math.round((performance.now() - t0) * 1000);
      const tx = Math.max(0, socket.bytesWritten - tx0);
      state.end(flight, micros, tx, failed);
      if (cfg.logRequests || ctx.forceLog) {
        const [varsCount, varsBytes] = envSize(ctx.env);
        const [headersCount, headersBytes] = headStats(res);
        cfg.log(
          formatRequestLog({
            pid: process.pid,
            workerRequests: state.slotRequests(),
            totalRequests: state.totalRequests(),
            remoteAddr: socket.remoteAddress ?? ctx.env.REMOTE_ADDR ?? "",
            remoteUser: ctx.env.REMOTE_USER ?? "",
            varsCount,
            varsBytes,
            startMs,
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
      cfg.afterRequest();
    });
    try {
      const result = cfg.ownContext ? runInRequest(ctx, () => app(req, res)) : app(req, res);
      if (result !== null && typeof result === "object" && typeof (result as PromiseLike<unknown>).then === "function") {
        (result as PromiseLike<unknown>).then(undefined, fail);
      }
    } catch (err) {
      fail(err);
    }
  };
}
