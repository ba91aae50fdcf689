/**
 * One HTTP-style request (modifier1 0 or 30) on a uwsgi protocol connection: the packet's vars
 * become a genuine `http.IncomingMessage` (method, url, headers, version set from the vars; no
 * HTTP head is written and parsed again) and an `http.ServerResponse` on the same socket, the pair
 * a Node `http.Server` would build. The body streams off the socket into the request with
 * backpressure, delimited by CONTENT_LENGTH; the response is written as raw HTTP/1.1 (what
 * nginx's uwsgi module reads), without chunked encoding, and the connection is closed after it,
 * as uWSGI does.
 * @module
 */
import { Buffer } from "node:buffer";
import { IncomingMessage, ServerResponse } from "node:http";
import type net from "node:net";
import { IntrusiveList } from "../../core/intrusive-list.js";
import { clearNeedDrain, emitResponseClose, setRequestHeaders, setSocketPeer } from "../../core/node-internals.js";
import type { RateLimitedLog } from "../../core/rate-limited-log.js";
import { RequestContextBase, serveInRequest, type RequestContext, type RequestTransport } from "../../core/request-context.js";
import { UwsgiError } from "../../errors.js";
import type { UwsgiPacket } from "../../protocol/packet.js";
import { ConnectionTransport } from "../request-io/connection-transport.js";
import { HandleRequest } from "./handle-request.js";
import { HandleSocket } from "./handle-socket.js";
import { httpRequestOf, type UwsgiHttpRequest } from "./request-fields.js";
import { decodeRequestVars } from "./request-vars.js";
import { describeError, errorKind, elapsedMicros, peerOf, Phase, type UwsgiConnection, type UwsgiSocket } from "./uwsgi-connection.js";
import type { UwsgiRequestEvent, UwsgiRequestListener, UwsgiResponseEvent } from "./uwsgi-events.js";

/** What the exchange needs from its server. */
export interface HttpExchangeSettings {
  readonly listener: UwsgiRequestListener;
  readonly log: (line: string) => void;
  /** For lines a client can repeat at will. */
  readonly limitedLog: RateLimitedLog;
  /** Longest wait for the next bytes of a body (ms), and for the rest of a body the app did not read. */
  readonly readTimeoutMs: number;
  /** `--limit-post` (0 = none). */
  readonly limitPost: number;
  readonly requestId: () => number;
  readonly onRequest?: ((event: UwsgiRequestEvent) => void) | undefined;
  readonly onResponse?: ((event: UwsgiResponseEvent) => void) | undefined;
  /** Closes the connection and logs `why` (rate-limited per `kind`). */
  readonly drop: (socket: UwsgiSocket, kind: string, why: string) => void;
  /** Hands a connection served on its handle to a net.Socket (for a request with a body); returns the socket. */
  readonly handOver: (socket: UwsgiSocket) => UwsgiSocket;
}

/** The fields of Node's HTTP objects this module sets that their typings leave out. */
type ExchangeRequest = IncomingMessage & { upgrade: boolean };
/** `new ServerResponse(req, options)`: the options Node's HTTP server passes are not in the typings. */
const ServerResponseWithOptions = ServerResponse as unknown as new (req: IncomingMessage, options: { highWaterMark: number }) => ExchangeResponse;
/** `assignSocket` / `detachSocket`: public methods of ServerResponse missing from the typings' view used here. */
type ExchangeResponse = ServerResponse & { detachSocket(socket: net.Socket): void };

/**
 * The context of a request on a uwsgi socket: `env` is the packet's vars as an object, built on
 * first use like the transport (most requests never ask for either).
 */
class UwsgiRequestContext extends RequestContextBase implements RequestContext {
  #transport: RequestTransport | null = null;

  constructor(
    readonly request: UwsgiHttpRequest,
    readonly socket: UwsgiSocket,
    readonly requestId: number,
    readonly response: ServerResponse,
    readonly modifier2: number,
  ) {
    super();
  }

  get modifier1(): number {
    return this.request.modifier1;
  }

  get env(): Record<string, string> {
    return this.request.env;
  }

  get contentLength(): number {
    return this.request.contentLength;
  }

  varsSize(): readonly [number, number] {
    return this.request.varsSize();
  }

  envVar(name: string): string | undefined {
    return this.request.envVar(name);
  }

  get transport(): RequestTransport {
    return (this.#transport ??= new ConnectionTransport(this.response.req, this.response, () => switchConnection(this.socket)));
  }
}

/**
 * Releases a request's connection for a websocket: the server stops reading the body from it
 * (nothing past the packet is a body once the client asked to switch) and stops managing it.
 */
function switchConnection(from: UwsgiSocket): { socket: net.Socket; head: Buffer } | null {
  const conn = from._uwsgiNodeConnection!;
  if (from.destroyed || conn.phase === Phase.Elsewhere) return null;
  conn.phase = Phase.Elsewhere;
  let socket: net.Socket = from;
  if (from instanceof HandleSocket) {
    // the websocket gets a net.Socket; the connection object keeps reporting its close
    const res = conn.res;
    if (res !== null && res.socket === from) (res as ExchangeResponse).detachSocket(from);
    socket = from.materialize();
  }
  socket.removeAllListeners("data");
  socket.removeAllListeners("drain");
  socket.resume();
  return { socket, head: Buffer.alloc(0) };
}

/** What a request whose client went away is destroyed with, as Node's HTTP server does. */
function abortedError(): Error {
  return Object.assign(new Error("aborted"), { code: "ECONNRESET" });
}

/** As Node's HTTP server: the socket drained, so the response that had to wait can go on. */
function onDrain(this: UwsgiSocket): void {
  const res = this._uwsgiNodeConnection?.res ?? null;
  if (res === null || !res.writableNeedDrain) return;
  clearNeedDrain(res);
  res.emit("drain");
}

/**
 * Ends the socket once everything is written and closes it. A response whose bytes are all with
 * the kernel and whose request was read to its end is closed at once: the close sends the FIN
 * after the data, and no shutdown round trip through libuv is needed (the descriptor has no
 * unread bytes, which would turn the close into a reset).
 */
function closeWhenWritten(socket: net.Socket, clean: boolean): void {
  if (clean && socket.writableLength === 0) {
    // after the write callbacks of this tick (destroying from inside one fails the others)
    process.nextTick(destroySocket, socket);
    return;
  }
  if (!socket.writableEnded) socket.end();
  if (socket.writableFinished) socket.destroy();
  else socket.once("finish", () => socket.destroy());
}

function destroySocket(socket: net.Socket): void {
  socket.destroy();
}

/**
 * A response fully handed to the kernel, its request read to the end: its 'close' (as Node's HTTP
 * server emits it, on the next tick), then the connection closed at once (see
 * {@link closeWhenWritten}), in one tick instead of two.
 */
function closeExchange(res: ServerResponse, socket: net.Socket): void {
  try {
    emitResponseClose(res);
  } finally {
    socket.destroy();
  }
}

/** Serves the HTTP-style requests of one uwsgi protocol server. */
export class HttpExchange {
  readonly #settings: HttpExchangeSettings;
  /** The accounting hooks are optional (the worker accounts in its request runner). */
  readonly #accounting: boolean;
  /** Requests whose body is still arriving (only those: a request without a body costs nothing here). */
  readonly #receiving = new IntrusiveList<UwsgiConnection>();
  #bodySweep: NodeJS.Timeout | null = null;
  readonly #onResponseFinish: (this: ExchangeResponse) => void;

  constructor(settings: HttpExchangeSettings) {
    this.#settings = settings;
    this.#accounting = settings.onRequest !== undefined || settings.onResponse !== undefined;
    const exchange = this;
    this.#onResponseFinish = function onResponseFinish(this: ExchangeResponse): void {
      exchange.#finished(this);
    };
  }

  /** Serves the request of `packet` (complete) on `socket`; `rest` is what arrived after it. */
  serve(socket: UwsgiSocket, conn: UwsgiConnection, packet: UwsgiPacket, rest: Buffer): void {
    const settings = this.#settings;
    const accounting = this.#accounting;
    const started = accounting ? process.hrtime.bigint() : 0n;
    let request: UwsgiHttpRequest;
    try {
      request = httpRequestOf(decodeRequestVars(packet.payload), packet.modifier1);
    } catch (err) {
      settings.drop(socket, errorKind(err), describeError(err));
      return;
    }
    if (settings.limitPost > 0 && request.contentLength > settings.limitPost) {
      settings.drop(socket, "limit-post", `Invalid (too big) CONTENT_LENGTH ${request.contentLength} (--limit-post ${settings.limitPost}). skip.`);
      return;
    }
    // the client as the front end saw it
    if (request.remoteAddress !== undefined) setSocketPeer(socket, request.remoteAddress, request.remotePort);
    // always set (false too), so that every socket of this server gets the same shape
    socket.encrypted = request.https;

    // a body is read through a net.Socket's flow control: such a request is handed over to one
    if (request.contentLength > 0 && socket instanceof HandleSocket) socket = settings.handOver(socket);

    const req = (socket instanceof HandleSocket ? new HandleRequest(socket) : new IncomingMessage(socket)) as ExchangeRequest;
    req.method = request.method;
    req.url = request.url;
    req.httpVersionMajor = request.versionMajor;
    req.httpVersionMinor = request.versionMinor;
    req.httpVersion = request.httpVersion;
    setRequestHeaders(req, request.rawHeaders);
    req.upgrade = false;

    const res = new ServerResponseWithOptions(req, { highWaterMark: socket.writableHighWaterMark });
    // One response per connection, never chunked (nginx's uwsgi module does not de-chunk): the
    // body is delimited by Content-Length when Node knows it (`res.end(data)`), else by the
    // close. With Transfer-Encoding and Connection removed, Node falls back to a close-delimited
    // body instead of chunking and sends no Connection header (as uWSGI). The connection is
    // closed once the response finished (#finished).
    res.shouldKeepAlive = true;
    res.useChunkedEncodingByDefault = true;
    res.removeHeader("transfer-encoding");
    res.removeHeader("connection");
    res.assignSocket(socket);
    res.on("finish", this.#onResponseFinish);
    socket.on("drain", onDrain);

    conn.req = req;
    conn.res = res;
    conn.remaining = request.contentLength;
    conn.phase = Phase.Body;

    const event: UwsgiRequestEvent | null = accounting ? { modifier1: packet.modifier1, modifier2: packet.modifier2, env: request.env, req, res } : null;
    let error: unknown;
    if (settings.onResponse) {
      const onResponse = settings.onResponse;
      res.once("close", () =>
        onResponse({
          ...event!,
          status: res.statusCode,
          txBytes: socket.bytesWritten,
          durationMicros: elapsedMicros(started),
          aborted: !res.writableFinished,
          ...(error === undefined ? {} : { error }),
        }),
      );
    }
    if (settings.onRequest) settings.onRequest(event!);
    const context = new UwsgiRequestContext(request, socket, settings.requestId(), res, packet.modifier2);
    try {
      serveInRequest(context, settings.listener, req, res);
    } catch (err) {
      error = err;
      settings.log(`uwsgi: unhandled exception serving ${req.method} ${req.url}: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}`);
      if (!res.headersSent) {
        res.writeHead(500, { "Content-Type": "text/plain", "Content-Length": 21 });
        res.end("Internal Server Error");
      } else {
        socket.destroy();
      }
    }
    // as Node's parser does: the body bytes already read, or the end of an empty body, are
    // delivered after the application has had the request
    if (conn.remaining > 0) {
      if (rest.length > 0) this.pushBody(socket, conn, rest);
      if (conn.remaining > 0 && conn.phase === Phase.Body && !socket.destroyed) this.#watchBody(conn);
    } else {
      this.#endBody(conn, req);
      if (rest.length > 0) this.reportExtraBytes(socket, conn);
    }
  }

  /** Body bytes: into the request up to CONTENT_LENGTH; the socket pauses while the request is full. */
  pushBody(socket: UwsgiSocket, conn: UwsgiConnection, chunk: Buffer): void {
    const req = conn.req!;
    let extra = false;
    if (chunk.length >= conn.remaining) {
      extra = chunk.length > conn.remaining;
      if (extra) chunk = chunk.subarray(0, conn.remaining);
      conn.remaining = 0;
    } else {
      conn.remaining -= chunk.length;
    }
    // IncomingMessage resumes the socket when the app reads again
    if (!req.destroyed && !req.push(chunk) && conn.remaining > 0) socket.pause();
    if (conn.remaining === 0) {
      this.#endBody(conn, req);
      if (extra) this.reportExtraBytes(socket, conn);
    }
  }

  /** Bytes after the body: never served as another request; the connection closes once the response is out. */
  reportExtraBytes(socket: UwsgiSocket, conn: UwsgiConnection): void {
    if (conn.extraReported) return;
    conn.extraReported = true;
    this.#settings.limitedLog.line("extra-bytes", `uwsgi: unexpected data after the request body from ${peerOf(socket)}, ignored`);
  }

  /** The connection closed: a request not over yet is aborted as on an HTTP socket. */
  closed(conn: UwsgiConnection): void {
    if (conn.phase === Phase.Body) this.#receiving.remove(conn);
    const req = conn.req;
    // its 'aborted' and 'close' events; the response's 'close' comes from the socket itself
    if (req !== null && !conn.answered && !req.destroyed) req.destroy(abortedError());
  }

  #endBody(conn: UwsgiConnection, req: IncomingMessage): void {
    this.#receiving.remove(conn);
    conn.phase = Phase.BodyDone;
    req.complete = true;
    if (!req.destroyed) req.push(null);
  }

  /** Starts watching a body for stalls: no byte for `readTimeoutMs` while the socket is not paused. */
  #watchBody(conn: UwsgiConnection): void {
    conn.stallSince = 0;
    this.#receiving.append(conn);
    if (this.#bodySweep === null) {
      this.#bodySweep = setInterval(() => this.#sweepBodies(), Math.max(5, Math.floor(this.#settings.readTimeoutMs / 4)));
      this.#bodySweep.unref();
    }
  }

  #sweepBodies(): void {
    const { readTimeoutMs, limitedLog } = this.#settings;
    const receiving = this.#receiving;
    const now = Date.now();
    for (let conn = receiving.first; conn !== null; ) {
      const next = receiving.next(conn);
      const socket = conn.socket;
      if (socket.destroyed) receiving.remove(conn);
      else if (socket.isPaused()) conn.stallSince = 0; // the app is not reading: not the client's stall
      else if (conn.stallSince === 0 || socket.bytesRead !== conn.stallBytes) {
        conn.stallBytes = socket.bytesRead;
        conn.stallSince = now;
      } else if (now - conn.stallSince >= readTimeoutMs) {
        receiving.remove(conn);
        const req = conn.req;
        limitedLog.line("body-timeout", `uwsgi: timeout during read of the request body: no data for ${readTimeoutMs} ms (${conn.remaining} bytes missing) from ${peerOf(socket)}, closing the connection`);
        if (req !== null && !req.destroyed) req.destroy(new UwsgiError("UWSGI_ERR_BODY_TIMEOUT", readTimeoutMs));
        socket.destroy();
      }
      conn = next;
    }
    if (receiving.size === 0 && this.#bodySweep !== null) {
      clearInterval(this.#bodySweep);
      this.#bodySweep = null;
    }
  }

  /**
   * The response is out: as Node's HTTP server, a body nobody reads is dumped, the response is
   * detached from the socket and its 'close' emitted on the next tick, and the connection ends.
   * If the application answered before the whole body arrived (a 413, an auth failure), the
   * rest is read and discarded first: closing with unread bytes resets the connection while the
   * front end is still sending, and nginx answers 502 instead of the application's response.
   */
  #finished(res: ExchangeResponse): void {
    const req = res.req;
    // the response's socket, not req.socket (which a request served on its handle builds on first read)
    const socket = res.socket as UwsgiSocket;
    const conn = socket._uwsgiNodeConnection!;
    conn.answered = true;
    // a body nobody reads is dumped (Node's HTTP server does the same)
    if (!req.readableDidRead && !req.readableFlowing) req.resume();
    if (res.socket === socket) res.detachSocket(socket);
    if (conn.remaining === 0 && !conn.extraReported && !socket.destroyed && socket.writableLength === 0) {
      // the usual end: the response's 'close' and the close of the connection in one tick
      process.nextTick(closeExchange, res, socket);
      return;
    }
    process.nextTick(emitResponseClose, res);
    if (socket.destroyed) return;
    if (conn.remaining === 0) {
      closeWhenWritten(socket, !conn.extraReported);
      return;
    }
    const timer = setTimeout(() => socket.destroy(), this.#settings.readTimeoutMs);
    const done = () => {
      clearTimeout(timer);
      closeWhenWritten(socket, false);
    };
    req.once("end", done);
    req.once("close", done);
    // the request may have been read to its limit by the app, which stopped: keep the bytes coming
    req.resume();
  }
}
