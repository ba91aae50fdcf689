/**
 * The current request, carried through async code with AsyncLocalStorage. The server's workers
 * enter a context for every request they serve; the stub's testing helpers can enter one too.
 * Request-scoped functions (`env`, `get_logvar`, `signal_wait`, `websocket_*` ...) read it.
 * @module
 */
import { AsyncLocalStorage } from "node:async_hooks";
import type { Duplex } from "node:stream";

/** What the runtime knows about the request being served. */
export interface RequestContext {
  /** CGI/uwsgi variables of the request (REQUEST_METHOD, PATH_INFO, HTTP_* ...). */
  readonly env: Record<string, string>;
  /** Per-request log variables (`set_logvar`). */
  readonly logvars: Map<string, Buffer>;
  /** Request counter of the serving core when the request started. */
  readonly requestId: number;
  /** The client connection, when the transport exposes it (fd, websockets, disconnect). */
  readonly socket?: Duplex & { _handle?: { fd?: number } };
  /** Extra variables added by `add_var`. */
  readonly addedVars: Map<string, string>;
  /** Set by `log_this_request` to force the request log line. */
  forceLog: boolean;
  /** Number of the last signal received by `signal_wait` (0 when it never waited). */
  signalReceived: number;
  /** Content length of the request body, as announced. */
  readonly contentLength: number;
  /** Transport-specific hooks the server fills in (disconnect, websocket I/O, body reads). */
  readonly transport?: RequestTransport;
}

/** Transport operations some request-scoped API functions need. */
export interface RequestTransport {
  /** Drops the client connection. */
  disconnect(): void;
  /** Writes raw bytes to the client, bypassing the response object. */
  writeRaw?(data: Buffer): Promise<boolean>;
  /** Reads raw bytes of the request body / upgraded connection. */
  readRaw?(maxBytes: number, timeoutMs: number): Promise<Buffer | null>;
}

const storage = new AsyncLocalStorage<RequestContext>();

/** Runs `fn` with `ctx` as the current request. */
export function runInRequest<T>(ctx: RequestContext, fn: () => T): T {
  return storage.run(ctx, fn);
}

/**
 * Calls a request listener with `ctx` as the current request: `runInRequest` without a closure
 * per request (the servers' hot path).
 */
export function serveInRequest<Req, Res, T>(ctx: RequestContext, listener: (req: Req, res: Res) => T, req: Req, res: Res): T {
  return storage.run(ctx, listener, req, res);
}

/** The current request, or undefined outside one. */
export function currentRequest(): RequestContext | undefined {
  return storage.getStore();
}

/**
 * What every request context keeps for the request-scoped functions: the log switch, the last
 * signal, and the `set_logvar` / `add_var` maps, made on first use (most requests never touch them).
 */
export abstract class RequestContextBase {
  forceLog = false;
  signalReceived = 0;
  #logvars: Map<string, Buffer> | undefined;
  #addedVars: Map<string, string> | undefined;

  constructor(logvars?: Map<string, Buffer>, addedVars?: Map<string, string>) {
    this.#logvars = logvars;
    this.#addedVars = addedVars;
  }

  get logvars(): Map<string, Buffer> {
    return (this.#logvars ??= new Map());
  }

  get addedVars(): Map<string, string> {
    return (this.#addedVars ??= new Map());
  }
}

/** A context from given fields. */
class GivenRequestContext extends RequestContextBase implements RequestContext {
  readonly env: Record<string, string>;
  readonly requestId: number;
  readonly socket?: RequestContext["socket"];
  readonly transport?: RequestTransport;
  readonly contentLength: number;

  constructor(init: Partial<RequestContext> & { env: Record<string, string> }, requestId: number | undefined) {
    super(init.logvars, init.addedVars);
    this.env = init.env;
    this.requestId = requestId ?? init.requestId ?? 0;
    if (init.socket !== undefined) this.socket = init.socket;
    if (init.transport !== undefined) this.transport = init.transport;
    this.contentLength = init.contentLength ?? (Number(init.env.CONTENT_LENGTH ?? 0) || 0);
    if (init.forceLog !== undefined) this.forceLog = init.forceLog;
    if (init.signalReceived !== undefined) this.signalReceived = init.signalReceived;
  }
}

/**
 * Builds a context with empty defaults for the fields not given.
 * @param requestId overrides `init.requestId` (saves the caller a copy of `init`).
 * @example
 * ```ts
 * runInRequest(createRequestContext({ env: { REQUEST_METHOD: "GET", PATH_INFO: "/" } }), () => uwsgi.env);
 * ```
 */
export function createRequestContext(init: Partial<RequestContext> & { env: Record<string, string> }, requestId?: number): RequestContext {
  return new GivenRequestContext(init, requestId);
}
