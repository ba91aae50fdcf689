/**
 * The current request, carried through async code with AsyncLocalStorage. The server's workers
 * enter a context for every request they serve; the stub's testing helpers can enter one too.
 * Request-scoped functions (`env`, `get_logvar`, `signal_wait`, `websocket_*` ...) read it.
 *
 * Carrying a context through async code is not free before Node 24: Node 20's AsyncLocalStorage
 * runs an async hook for every timer, tick, promise and handle created while it is enabled (for
 * a hello-world request that was a fifth of the worker's instructions). Only the `uwsgi` module
 * reads the context, so a worker defers tracking ({@link deferRequestTracking}) until that module
 * is loaded ({@link trackRequests}); until then the context is the current request only while the
 * request listener runs synchronously, which is all the server itself needs.
 *
 * Where AsyncLocalStorage is built on async hooks (Node 20 and 22; Node 24 with
 * `--no-async-context-frame`), tracking uses one async hook of its own doing what
 * AsyncLocalStorage does (the context on the current async resource, copied to every resource
 * created under it) without AsyncLocalStorage's per-instance bookkeeping: about a third fewer
 * instructions per hello-world request for the tracking (callgrind, Node 20). Where
 * AsyncLocalStorage uses AsyncContextFrame (Node 24), it is used as is: it costs no hook.
 *
 * The carrier lives on `globalThis` under a registered symbol, so two copies of uwsgi-node in one
 * process (the CLI's and the app's own) share one current request.
 * @module
 */
import { AsyncLocalStorage, createHook, executionAsyncResource, type AsyncHook } from "node:async_hooks";
import type { Buffer } from "node:buffer";
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
  /** Set by the `donotlog` routing action: no request log line. */
  skipLog?: boolean;
  /** Number of the last signal received by `signal_wait` (0 when it never waited). */
  signalReceived: number;
  /** Content length of the request body, as announced. */
  readonly contentLength: number;
  /** Transport-specific hooks the server fills in (disconnect, websocket I/O, body reads). */
  readonly transport?: RequestTransport;
  /**
   * `[count, bytes]` of the request's variables as uWSGI's request log reports them, without
   * building `env` (the server's contexts; others are measured on `env`).
   */
  varsSize?(): readonly [number, number];
  /** One variable of `env` without building it (the server's contexts). */
  envVar?(name: string): string | undefined;
  /** The uwsgi packet's modifier1 and modifier2 (`%(modifier1)`/`%(modifier2)`); absent over HTTP: 0. */
  readonly modifier1?: number;
  readonly modifier2?: number;
}

/** Limits of a websocket opened on a request (`--websockets-max-size`, `--websockets-ping-freq`, `--websockets-pong-tolerance`). */
export interface WebsocketLimits {
  /** Largest message in bytes; a larger one closes the connection with 1009. */
  readonly maxMessageBytes: number;
  /** Seconds without traffic after which the server pings. */
  readonly pingFreqSeconds: number;
  /** Seconds a ping may stay unanswered before the connection is dropped. */
  readonly pongToleranceSeconds: number;
}

/** uWSGI's defaults: 1024 KiB, 30 s, 3 s. */
export const DEFAULT_WEBSOCKET_LIMITS: WebsocketLimits = Object.freeze({ maxMessageBytes: 1024 * 1024, pingFreqSeconds: 30, pongToleranceSeconds: 3 });

/** A connection handed over for a protocol switch (websockets). */
export interface TakenOverConnection {
  /** The raw connection: nothing else reads it or writes to it from now on. */
  readonly socket: Duplex;
  /** Bytes already read past the request head. */
  readonly head: Buffer;
  /** Websocket limits configured for the server that accepted the request. */
  readonly limits: WebsocketLimits;
  /** Logs a line to the instance log (the ping/pong failures). */
  readonly log: (line: string) => void;
}

/** Transport operations some request-scoped API functions need. */
export interface RequestTransport {
  /** Drops the client connection. */
  disconnect(): void;
  /** Writes response body bytes (the response head first when not sent yet); resolves once written. */
  writeRaw?(data: Buffer): Promise<boolean>;
  /**
   * Streams `length` bytes (all when null) of a file from `offset` into the response body.
   * `end`: end the response after it. Resolves once the file is written (or, with `detach`,
   * as soon as it is open: the transfer goes on without the caller).
   */
  sendFile?(source: string | number, offset: number, length: number | null, options: { end: boolean; detach: boolean }): Promise<void>;
  /**
   * Reads the next piece of the request body: bytes, an empty Buffer at its end, null when
   * `timeoutMs` is 0 and nothing is waiting. Rejects when `timeoutMs` (> 0) passes.
   */
  readRaw?(maxBytes: number, timeoutMs: number): Promise<Buffer | null>;
  /**
   * Hands the connection over for a protocol switch (a websocket), or null when this request
   * cannot switch (not an Upgrade request, response already started, already taken).
   */
  takeOver?(): TakenOverConnection | null;
  /** What internal routing actions do to the response (`--route`, `uwsgi.route`). */
  routeResponse?(): RouteResponse;
}

/** The response side of internal routing (see engines/routing/route-actions.ts). */
export interface RouteResponse {
  addHeader(name: string, value: string): void;
  respond(status: number, reason: string, headers: Record<string, string>, body: string): void;
  close(): void;
  rewrite(url: string): void;
}

/** Where the current request is kept (one per process, see the module's notes). */
interface ContextCarrier {
  /** The store where AsyncLocalStorage needs no async hook (see {@link HOOKED}). */
  readonly storage: AsyncLocalStorage<RequestContext>;
  /** True: contexts are entered in `storage` and follow async code. False: see `current`. */
  tracking: boolean;
  /** Tracking was asked for ({@link trackRequests}): a later deferral does not turn it off. */
  wanted: boolean;
  /** Without tracking: the request whose listener is running synchronously now. */
  current: RequestContext | undefined;
  /** The async hook carrying contexts where AsyncLocalStorage would need one; made on first use. */
  hook?: AsyncHook;
}

const CARRIER = Symbol.for("uwsgi-node.request-context");
const carrier: ContextCarrier = ((globalThis as Record<symbol, unknown>)[CARRIER] ??= {
  storage: new AsyncLocalStorage<RequestContext>(),
  tracking: true,
  wanted: false,
  current: undefined,
}) as ContextCarrier;

/**
 * True when AsyncLocalStorage is built on async hooks (it propagates its store from an `init`
 * hook), false where it uses AsyncContextFrame (Node 24 by default), which needs no hook.
 */
const HOOKED = typeof (AsyncLocalStorage.prototype as { _propagate?: unknown })._propagate === "function";

/** The property holding the current request on an async resource (hooked mode; shared by copies). */
const KEY: unique symbol = Symbol.for("uwsgi-node.request-context.store") as never;

/** An async resource as the hook sees it. */
type Resource = { [KEY]?: RequestContext };

/**
 * The hook's `init`: a resource created under a request carries it (as AsyncLocalStorage's
 * hook does, the value is stored even when undefined, so a re-initialised resource forgets an
 * old request).
 */
function propagate(_asyncId: number, _type: string, _triggerAsyncId: number, resource: object): void {
  (resource as Resource)[KEY] = (executionAsyncResource() as Resource)[KEY];
}

/** Enables the carrier's async hook (hooked mode), once. */
function hookOn(): void {
  (carrier.hook ??= createHook({ init: propagate })).enable();
}

/**
 * Stops carrying request contexts through async code until {@link trackRequests} is called
 * (a worker does this before loading its app). Requests entered meanwhile are current only
 * while their listener runs synchronously. No effect once tracking was asked for.
 */
export function deferRequestTracking(): void {
  if (carrier.wanted) return;
  carrier.tracking = false;
  carrier.hook?.disable();
}

/**
 * Carries request contexts through async code (awaits, timers, callbacks) from now on, for
 * every request entered after this call. The `uwsgi` module calls it when it is loaded.
 */
export function trackRequests(): void {
  carrier.wanted = true;
  carrier.tracking = true;
  if (HOOKED && carrier.hook) carrier.hook.enable();
}

/** True when request contexts follow async code (see {@link deferRequestTracking}). */
export function tracksRequests(): boolean {
  return carrier.tracking;
}

/** Runs `fn` with `ctx` as the current request. */
export function runInRequest<T>(ctx: RequestContext, fn: () => T): T {
  return serveInRequest(ctx, fn, undefined, undefined);
}

/**
 * Calls a request listener with `ctx` as the current request: `runInRequest` without a closure
 * per request (the servers' hot path).
 */
export function serveInRequest<Req, Res, T>(ctx: RequestContext, listener: (req: Req, res: Res) => T, req: Req, res: Res): T {
  if (carrier.tracking) {
    if (!HOOKED) return carrier.storage.run(ctx, listener, req, res);
    if (carrier.hook === undefined) hookOn();
    // as AsyncLocalStorage.run: the context on the current resource while the listener runs
    const resource = executionAsyncResource() as Resource;
    const outer = resource[KEY];
    resource[KEY] = ctx;
    try {
      return listener(req, res);
    } finally {
      resource[KEY] = outer;
    }
  }
  const outer = carrier.current;
  carrier.current = ctx;
  try {
    return listener(req, res);
  } finally {
    carrier.current = outer;
  }
}

/** The current request, or undefined outside one. */
export function currentRequest(): RequestContext | undefined {
  if (!carrier.tracking) return carrier.current;
  return (HOOKED ? (executionAsyncResource() as Resource)[KEY] : carrier.storage.getStore()) ?? carrier.current;
}

/**
 * What every request context keeps for the request-scoped functions: the log switch, the last
 * signal, and the `set_logvar` / `add_var` maps, made on first use (most requests never touch them).
 */
export abstract class RequestContextBase {
  forceLog = false;
  skipLog = false;
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
