/**
 * The uwsgi protocol socket (`--socket`): what nginx's `uwsgi_pass` talks to.
 *
 * Each connection carries one uwsgi packet. modifier1 0 and 30 are HTTP-style requests: the
 * vars become a genuine `http.IncomingMessage` (method, url, headers, version set from the vars;
 * no HTTP head is written and parsed again) and an `http.ServerResponse` on the same socket, the
 * pair a Node `http.Server` would build. The body streams off the socket into the request with
 * backpressure, delimited by CONTENT_LENGTH; the response is written as raw HTTP/1.1 (what
 * nginx's uwsgi module reads), without chunked encoding, and the connection is closed after it,
 * as uWSGI does. Other modifier1 values go to registered handlers ({@link ModifierRegistry});
 * ping (100) is built in.
 *
 * A bad packet (too large for the buffer size, malformed vars, truncated, too slow) is logged
 * with the reason and its connection closed; nothing a client sends can stop the process.
 * @module
 */
import { Buffer } from "node:buffer";
import { IncomingMessage, ServerResponse } from "node:http";
import net from "node:net";
import type { BytesLike } from "../../core/bytes.js";
import { UwsgiError } from "../../errors.js";
import { RequestContextBase, serveInRequest, type RequestContext, type RequestTransport } from "../../core/request-context.js";
import { IntrusiveList } from "../../core/intrusive-list.js";
import { RateLimitedLog } from "../../core/rate-limited-log.js";
import { ConnectionTransport } from "../request-io/connection-transport.js";
import { PacketReader } from "../../protocol/packet-reader.js";
import { decodePacket, type UwsgiPacket } from "../../protocol/packet.js";
import { defaultModifierRegistry, type ModifierEntry, type ModifierRegistry, type ModifierRequest } from "./modifier-handlers.js";
import { createPingHandler } from "./ping-handler.js";
import { ReadDeadlines, type DeadlineLinks } from "./read-deadlines.js";
import { httpRequestOf, type UwsgiHttpRequest } from "./request-fields.js";
import { decodeRequestVars } from "./request-vars.js";

/** The application: a plain Node request listener (an Express app is one). */
export type UwsgiRequestListener = (req: IncomingMessage, res: ServerResponse) => void;

/** A request that starts being served (for accounting). */
export interface UwsgiRequestEvent {
  readonly modifier1: number;
  readonly modifier2: number;
  /** The request vars (modifier1 0/30), null for other modifiers. */
  readonly env: Readonly<Record<string, string>> | null;
  readonly req?: IncomingMessage;
  readonly res?: ServerResponse;
}

/** A request that is over (for accounting and the request log). */
export interface UwsgiResponseEvent extends UwsgiRequestEvent {
  /** HTTP status sent (0 for non-HTTP modifiers). */
  readonly status: number;
  /** Bytes written to the connection, headers included. */
  readonly txBytes: number;
  /** Time from the complete packet to the end of the response, in µs. */
  readonly durationMicros: number;
  /** True if the response did not complete (client gone, handler failed). */
  readonly aborted: boolean;
  /** The exception the application or handler raised, if any. */
  readonly error?: unknown;
}

/** Settings of {@link createUwsgiProtocolServer}. */
export interface UwsgiProtocolServerOptions {
  /** `--buffer-size`: the largest packet payload accepted (0..65535). */
  bufferSize: number;
  /**
   * `--socket-timeout` in ms: time allowed to receive the whole packet, and the longest wait for
   * the next bytes of a request body (while the app is ready for them). Default 4000.
   */
  readTimeoutMs?: number;
  /** `--limit-post`: a request whose CONTENT_LENGTH is larger is refused and its connection closed. 0 = no limit. */
  limitPost?: number;
  /** Where problems are reported; defaults to stderr. */
  logger?: (line: string) => void;
  /** Called when a request starts (not for ping). */
  onRequest?: (event: UwsgiRequestEvent) => void;
  /** Called once a request is over (not for ping). */
  onResponse?: (event: UwsgiResponseEvent) => void;
  /** The request id (`uwsgi.request_id()`) of a request that starts now; default 0. */
  requestId?: () => number;
  /** Handlers for other modifier1 values; default the process-wide registry. */
  modifiers?: ModifierRegistry;
  /** The warning message ping (modifier1 100) replies with, unless a ping handler is registered. */
  getWarningMessage?: () => BytesLike | null;
}

/** Where a connection is in its one request. */
const enum Phase {
  /** Reading the uwsgi packet. */
  Packet,
  /** The application runs; body bytes go into the request. */
  Body,
  /** The whole body was delivered (bytes beyond CONTENT_LENGTH are dropped). */
  BodyDone,
  /** The socket belongs to a modifier handler, or is closing. */
  Elsewhere,
}

/** The state of one connection, kept on its socket. */
class UwsgiConnection implements DeadlineLinks {
  readonly socket: UwsgiSocket;
  phase = Phase.Packet;
  /** Assembles a packet that did not arrive in one chunk. */
  reader: PacketReader | null = null;
  /** Bytes received while reading the packet. */
  received = 0;
  /** Body bytes still to come. */
  remaining = 0;
  req: IncomingMessage | null = null;
  /** The response is complete. */
  answered = false;
  /** Bytes after the body were reported. */
  extraReported = false;
  /** Body stall check: `bytesRead` when last seen changing, and since when (ms) it has not. */
  stallBytes = 0;
  stallSince = 0;
  // the packet's read deadline (ReadDeadlines), then the body watch's list
  prev: DeadlineLinks | null = null;
  next: DeadlineLinks | null = null;
  deadlineAt = 0;

  constructor(socket: UwsgiSocket) {
    this.socket = socket;
  }
}

type UwsgiSocket = net.Socket & {
  /**
   * The connection's state. A named property, not a symbol: V8 (Node 20) does not fold a symbol
   * held in a module constant into the load, so every `socket[SYMBOL]` went through the generic
   * keyed-load stub (over a hundred instructions), several times per request.
   */
  _uwsgiNodeConnection?: UwsgiConnection;
  encrypted?: boolean;
  /** net.Socket's cache behind remoteAddress/remotePort/remoteFamily. */
  _peername?: { address?: string; port?: number; family?: string };
};

/** The fields of Node's HTTP objects this module sets that their typings leave out. */
type NodeIncomingMessage = IncomingMessage & {
  _addHeaderLines(headers: string[], n: number): void;
  _consuming: boolean;
  _dump?: () => void;
  upgrade: boolean;
};
/** `new ServerResponse(req, options)`: the options Node's HTTP server passes are not in the typings. */
const ServerResponseWithOptions = ServerResponse as unknown as new (req: IncomingMessage, options: { highWaterMark: number }) => ServerResponse;
type NodeServerResponse = ServerResponse & {
  _removedTE?: boolean;
  _removedConnection?: boolean;
  _closed?: boolean;
  detachSocket(socket: net.Socket): void;
};

/**
 * `ServerResponse`'s "a write returned false" flag. Node's `http.Server` clears it and emits
 * `drain` on the response when the socket drains; this module does the same. Found by its
 * description on the first response that needs it (`writableNeedDrain`, public, reads it), so
 * loading the module (every worker does, HTTP-only ones too) builds no throwaway response.
 */
let kNeedDrain: symbol | null | undefined;

function needDrainSymbolOf(res: ServerResponse): symbol | null {
  return (kNeedDrain ??= Object.getOwnPropertySymbols(res).find((sym) => sym.description === "kNeedDrain") ?? null);
}

const elapsedMicros = (since: bigint) => Number((process.hrtime.bigint() - since) / 1000n);

const describeError = (err: unknown) => (err instanceof Error ? err.message : String(err));

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
  ) {
    super();
  }

  get env(): Record<string, string> {
    return this.request.env;
  }

  get contentLength(): number {
    return this.request.contentLength;
  }

  get transport(): RequestTransport {
    return (this.#transport ??= new ConnectionTransport(this.response.req, this.response, () => switchConnection(this.socket)));
  }
}

/**
 * Releases a request's connection for a websocket: the server stops reading the body from it
 * (nothing past the packet is a body once the client asked to switch) and stops managing it.
 */
function switchConnection(socket: UwsgiSocket): { socket: net.Socket; head: Buffer } | null {
  const conn = socket._uwsgiNodeConnection!;
  if (socket.destroyed || conn.phase === Phase.Elsewhere) return null;
  conn.phase = Phase.Elsewhere;
  socket.removeAllListeners("data");
  socket.removeAllListeners("drain");
  socket.resume();
  return { socket, head: Buffer.alloc(0) };
}

/** What a request whose client went away is destroyed with, as Node's HTTP server does. */
function abortedError(): Error {
  return Object.assign(new Error("aborted"), { code: "ECONNRESET" });
}

/**
 * Creates a `net.Server` speaking the uwsgi protocol to `listener`. Listen on it like any
 * server, including on an inherited handle (`server.listen({ fd })`) or a cluster-shared port.
 * Requests run inside a request context whose `env` holds the packet's vars, so `uwsgi.env`
 * works in the application.
 * @example
 * ```ts
 * const app = express();
 * createUwsgiProtocolServer(app, { bufferSize: 4096 }).listen(3031, "127.0.0.1");
 * // nginx: location / { include uwsgi_params; uwsgi_pass 127.0.0.1:3031; }
 * ```
 */
export function createUwsgiProtocolServer(listener: UwsgiRequestListener, options: UwsgiProtocolServerOptions): net.Server {
  const log = options.logger ?? ((line: string) => process.stderr.write(line + "\n"));
  const readTimeoutMs = options.readTimeoutMs ?? 4000;
  const bufferSize = options.bufferSize;
  const modifiers = options.modifiers ?? defaultModifierRegistry;
  const builtinPing: ModifierEntry = { handler: createPingHandler(options.getWarningMessage), accounted: false };
  const requestId = options.requestId ?? (() => 0);
  // validates bufferSize once, with a coded error
  new PacketReader({ maxDatasize: bufferSize });

  // lines a client can repeat at will (refused or unknown modifiers) are rate-limited
  const limitedLog = new RateLimitedLog(log);
  const deadlines = new ReadDeadlines<UwsgiConnection>(readTimeoutMs, onPacketTimeout);
  const limitPost = options.limitPost ?? 0;
  // requests whose body is still arriving (only those: a request without a body costs nothing here)
  const receiving = new IntrusiveList<UwsgiConnection>();
  let bodySweep: NodeJS.Timeout | null = null;
  const server = net.createServer({ noDelay: true }, accept);
  return server;

  function accept(socket: UwsgiSocket): void {
    const conn = new UwsgiConnection(socket);
    socket._uwsgiNodeConnection = conn;
    socket.on("data", onData);
    socket.on("error", onError);
    socket.on("close", onClose);
    deadlines.add(conn);
  }

  function onData(this: UwsgiSocket, chunk: Buffer): void {
    const conn = this._uwsgiNodeConnection!;
    switch (conn.phase) {
      case Phase.Packet:
        readPacket(this, conn, chunk);
        return;
      case Phase.Body:
        pushBody(this, conn, chunk);
        return;
      case Phase.BodyDone:
        reportExtraBytes(this, conn);
        return;
      case Phase.Elsewhere:
        return;
    }
  }

  function onError(this: UwsgiSocket): void {
    // the client went away or the connection broke: 'close' follows and ends the request
    this.destroy();
  }

  function onClose(this: UwsgiSocket): void {
    const conn = this._uwsgiNodeConnection!;
    if (conn.phase === Phase.Body) receiving.remove(conn);
    if (conn.phase === Phase.Packet) {
      deadlines.delete(conn);
      conn.phase = Phase.Elsewhere;
      if (conn.received > 0) reportTruncated(this, conn);
      return;
    }
    const req = conn.req;
    // the client left before the request was over: the request is aborted as on an HTTP socket
    // (its 'aborted' and 'close' events; the response's 'close' comes from the socket itself)
    if (req !== null && !conn.answered && !req.destroyed) req.destroy(abortedError());
  }

  function reportTruncated(socket: UwsgiSocket, conn: UwsgiConnection): void {
    // a packet not complete in its first read went through the reader, which knows its header
    const header = conn.reader?.pendingHeader ?? null;
    log(
      `uwsgi: ${
        header === null
          ? `truncated uwsgi packet: the connection ended after ${conn.received} of 4 header bytes`
          : `truncated uwsgi packet: the connection ended after ${conn.received - 4} of ${header.datasize} payload bytes (modifier1 ${header.modifier1})`
      } from ${peerOf(socket)}, closing the connection`,
    );
  }

  function drop(socket: UwsgiSocket, why: string): void {
    const conn = socket._uwsgiNodeConnection!;
    if (conn.phase === Phase.Packet) deadlines.delete(conn);
    conn.phase = Phase.Elsewhere;
    log(`uwsgi: ${why} from ${peerOf(socket)}, closing the connection`);
    socket.destroy();
  }

  function readPacket(socket: UwsgiSocket, conn: UwsgiConnection, chunk: Buffer): void {
    conn.received += chunk.length;
    let packet: UwsgiPacket | null = null;
    let rest: Buffer;
    // the common case: the whole packet in the first read
    const end = conn.reader === null && chunk.length >= 4 ? 4 + (chunk[1]! | (chunk[2]! << 8)) : -1;
    if (end !== -1 && chunk.length >= end) {
      if (end - 4 > bufferSize) {
        drop(socket, new UwsgiError("UWSGI_ERR_PACKET_TOO_LARGE", end - 4, bufferSize).message);
        return;
      }
      packet = decodePacket(chunk);
      rest = chunk.subarray(end);
    } else {
      if (conn.reader === null) {
        // a packet in pieces may end in a truncation reported after the close, when a TCP socket
        // no longer knows its peer: learn it now (net.Socket caches it)
        void socket.remoteAddress;
      }
      const reader = (conn.reader ??= new PacketReader({ maxDatasize: bufferSize }));
      try {
        reader.push(chunk);
        packet = reader.next();
      } catch (err) {
        drop(socket, describeError(err));
        return;
      }
      if (packet === null) return;
      rest = reader.takeRest();
    }
    deadlines.delete(conn);
    conn.reader = null;
    dispatch(socket, conn, packet, rest);
  }

  function onPacketTimeout(conn: UwsgiConnection): void {
    const socket = conn.socket;
    if (conn.phase !== Phase.Packet || socket.destroyed) return;
    drop(socket, `timeout: no complete uwsgi packet within ${readTimeoutMs} ms (${conn.received} bytes received)`);
  }

  function dispatch(socket: UwsgiSocket, conn: UwsgiConnection, packet: UwsgiPacket, rest: Buffer): void {
    const m1 = packet.modifier1;
    if (m1 === 0 || m1 === 30) {
      serveHttp(socket, conn, packet, rest);
      return;
    }
    conn.phase = Phase.Elsewhere;
    const entry = modifiers.admit(m1, socket) ?? (m1 === 100 ? builtinPing : undefined);
    if (entry === undefined) {
      limitedLog.line(`unavailable:${m1}`, `uwsgi: -- unavailable modifier requested: ${m1} -- from ${peerOf(socket)}, closing the connection`);
      socket.destroy();
      return;
    }
    if ("refused" in entry) {
      limitedLog.line(entry.key, `uwsgi: ${entry.reason} from ${peerOf(socket)}, closing the connection`);
      socket.destroy();
      return;
    }
    socket.removeListener("data", onData);
    runModifier(socket, entry, packet, rest);
  }

  function serveHttp(socket: UwsgiSocket, conn: UwsgiConnection, packet: UwsgiPacket, rest: Buffer): void {
    // the accounting hooks are optional (the worker accounts in its request runner): nothing of
    // theirs is computed or allocated without them
    const accounting = options.onRequest !== undefined || options.onResponse !== undefined;
    const started = accounting ? process.hrtime.bigint() : 0n;
    let request: UwsgiHttpRequest;
    try {
      request = httpRequestOf(decodeRequestVars(packet.payload), packet.modifier1);
    } catch (err) {
      drop(socket, describeError(err));
      return;
    }
    if (limitPost > 0 && request.contentLength > limitPost) {
      drop(socket, `Invalid (too big) CONTENT_LENGTH ${request.contentLength} (--limit-post ${limitPost}). skip.`);
      return;
    }
    const remoteAddress = request.remoteAddress;
    if (remoteAddress !== undefined) {
      // the client as the front end saw it: net.Socket reads remoteAddress, remotePort and
      // remoteFamily from this cache (a plain field, so the socket keeps its fast shape)
      const family = remoteAddress.includes(":") ? "IPv6" : "IPv4";
      socket._peername = request.remotePort === undefined ? { address: remoteAddress, family } : { address: remoteAddress, family, port: request.remotePort };
    }
    // always set (false too), so that every socket of this server gets the same shape
    socket.encrypted = request.https;

    const req = new IncomingMessage(socket) as NodeIncomingMessage;
    req.method = request.method;
    req.url = request.url;
    req.httpVersionMajor = request.versionMajor;
    req.httpVersionMinor = request.versionMinor;
    req.httpVersion = request.httpVersion;
    req._addHeaderLines(request.rawHeaders, request.rawHeaders.length);
    req.upgrade = false;

    const res = new ServerResponseWithOptions(req, { highWaterMark: socket.writableHighWaterMark }) as NodeServerResponse;
    // One response per connection, never chunked (nginx's uwsgi module does not de-chunk): the
    // body is delimited by Content-Length when Node knows it (`res.end(data)`), else by the
    // close. `_removedTE` / `_removedConnection` are what `res.removeHeader("transfer-encoding")`
    // / `("connection")` set: Node then falls back to a close-delimited body instead of chunking,
    // and sends no Connection header (as uWSGI). The connection is closed by onResponseFinish().
    res.shouldKeepAlive = true;
    res._removedConnection = true;
    res.useChunkedEncodingByDefault = true;
    res._removedTE = true;
    res.assignSocket(socket);
    res.on("finish", onResponseFinish);
    socket.on("drain", onDrain);

    conn.req = req;
    conn.remaining = request.contentLength;
    conn.phase = Phase.Body;

    const event: UwsgiRequestEvent | null = accounting ? { modifier1: packet.modifier1, modifier2: packet.modifier2, env: request.env, req, res } : null;
    let error: unknown;
    if (options.onResponse) {
      const onResponse = options.onResponse;
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
    if (options.onRequest) options.onRequest(event!);
    const context = new UwsgiRequestContext(request, socket, requestId(), res);
    try {
      serveInRequest(context, listener, req, res);
    } catch (err) {
      error = err;
      log(`uwsgi: unhandled exception serving ${req.method} ${req.url}: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}`);
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
      if (rest.length > 0) pushBody(socket, conn, rest);
      if (conn.remaining > 0 && conn.phase === Phase.Body && !socket.destroyed) watchBody(conn);
    } else {
      endBody(conn, req);
      if (rest.length > 0) reportExtraBytes(socket, conn);
    }
  }

  /** Body bytes: into the request up to CONTENT_LENGTH; the socket pauses while the request is full. */
  function pushBody(socket: UwsgiSocket, conn: UwsgiConnection, chunk: Buffer): void {
    const req = conn.req!;
    let extra = false;
    if (chunk.length >= conn.remaining) {
      extra = chunk.length > conn.remaining;
      if (extra) chunk = chunk.subarray(0, conn.remaining);
      conn.remaining = 0;
    } else {
      conn.remaining -= chunk.length;
    }
    if (!req.destroyed && !req.push(chunk) && conn.remaining > 0) socket.pause(); // req._read() resumes it
    if (conn.remaining === 0) {
      endBody(conn, req);
      if (extra) reportExtraBytes(socket, conn);
    }
  }

  function endBody(conn: UwsgiConnection, req: IncomingMessage): void {
    receiving.remove(conn);
    conn.phase = Phase.BodyDone;
    req.complete = true;
    if (!req.destroyed) req.push(null);
  }

  /** Starts watching a body for stalls: no byte for `readTimeoutMs` while the socket is not paused. */
  function watchBody(conn: UwsgiConnection): void {
    conn.stallSince = 0;
    receiving.append(conn);
    if (bodySweep === null) {
      bodySweep = setInterval(sweepBodies, Math.max(5, Math.floor(readTimeoutMs / 4)));
      bodySweep.unref();
    }
  }

  function sweepBodies(): void {
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
    if (receiving.size === 0 && bodySweep !== null) {
      clearInterval(bodySweep);
      bodySweep = null;
    }
  }

  function reportExtraBytes(socket: UwsgiSocket, conn: UwsgiConnection): void {
    if (conn.extraReported) return;
    conn.extraReported = true;
    // never served as another request; the connection closes once the response is out
    log(`uwsgi: unexpected data after the request body from ${peerOf(socket)}, ignored`);
  }

  /** As Node's HTTP server: the socket drained, so the response that had to wait can go on. */
  function onDrain(this: UwsgiSocket): void {
    const res = (this as net.Socket & { _httpMessage?: NodeServerResponse | null })._httpMessage;
    if (res == null || !res.writableNeedDrain) return;
    const needDrain = needDrainSymbolOf(res);
    if (needDrain !== null) (res as unknown as Record<symbol, boolean>)[needDrain] = false;
    res.emit("drain");
  }

  /**
   * The response is out: as Node's HTTP server, a body nobody reads is dumped, the response is
   * detached from the socket and its 'close' emitted on the next tick, and the connection ends.
   * If the application answered before the whole body arrived (a 413, an auth failure), the
   * rest is read and discarded first: closing with unread bytes resets the connection while the
   * front end is still sending, and nginx answers 502 instead of the application's response.
   */
  function onResponseFinish(this: NodeServerResponse): void {
    const res = this;
    const req = res.req as NodeIncomingMessage;
    const socket = req.socket as UwsgiSocket;
    const conn = socket._uwsgiNodeConnection!;
    conn.answered = true;
    if (!req._consuming && !req.readableFlowing) {
      if (typeof req._dump === "function") req._dump();
      else req.resume();
    }
    if (res.socket === socket) res.detachSocket(socket);
    process.nextTick(emitResponseClose, res);
    if (socket.destroyed) return;
    if (conn.remaining === 0) {
      closeWhenWritten(socket);
      return;
    }
    const timer = setTimeout(() => socket.destroy(), readTimeoutMs);
    const done = () => {
      clearTimeout(timer);
      closeWhenWritten(socket);
    };
    req.once("end", done);
    req.once("close", done);
    // the request may have been read to its limit by the app, which stopped: keep the bytes coming
    req.resume();
  }

  /**
   * Ends the socket and destroys it once everything is written, without waiting for the peer to
   * close its side (what Node's `destroySoon` does after a last response; destroying twice is harmless).
   */
  function closeWhenWritten(socket: net.Socket): void {
    if (!socket.writableEnded) socket.end();
    if (socket.writableFinished) socket.destroy();
    else socket.once("finish", () => socket.destroy());
  }

  function runModifier(socket: net.Socket, entry: ModifierEntry, packet: UwsgiPacket, rest: Buffer): void {
    socket.pause();
    if (rest.length > 0) socket.unshift(rest);
    const started = process.hrtime.bigint();
    const event: UwsgiRequestEvent = { modifier1: packet.modifier1, modifier2: packet.modifier2, env: null };
    if (entry.accounted) options.onRequest?.(event);
    const finish = (error?: unknown) => {
      if (error !== undefined) {
        log(`uwsgi: modifier1 ${packet.modifier1} handler failed for ${peerOf(socket)}: ${describeError(error)}`);
        socket.destroy();
      } else if (!socket.destroyed) {
        socket.end();
        socket.resume(); // discard whatever the client still sends until it closes
        socket.setTimeout(readTimeoutMs, () => socket.destroy());
      }
      if (entry.accounted) {
        options.onResponse?.({
          ...event,
          status: 0,
          txBytes: socket.bytesWritten,
          durationMicros: elapsedMicros(started),
          aborted: error !== undefined,
          ...(error === undefined ? {} : { error }),
        });
      }
    };
    const request: ModifierRequest = {
      modifier1: packet.modifier1,
      modifier2: packet.modifier2,
      payload: packet.payload,
      socket,
      readBytes: (n, timeoutMs) => readBytes(socket, n, timeoutMs ?? readTimeoutMs),
      log,
    };
    try {
      const result = entry.handler(request);
      if (result instanceof Promise) result.then(() => finish(), (err: unknown) => finish(err ?? new Error("rejected")));
      else finish();
    } catch (err) {
      finish(err ?? new Error("thrown"));
    }
  }
}

/** Node's HTTP server emits a finished response's 'close' on the next tick (its emitCloseNT). */
function emitResponseClose(res: NodeServerResponse): void {
  if (res._closed) return;
  res.destroyed = true;
  res._closed = true;
  res.emit("close");
}

/** `address:port` of the connection's peer for log lines (the client's, once REMOTE_ADDR is known). */
function peerOf(socket: net.Socket): string {
  const address = socket.remoteAddress;
  return address === undefined ? "a unix socket client" : `${address}:${socket.remotePort ?? "?"}`;
}

/** Reads exactly `n` bytes from a paused socket; null on end, error or timeout. Leaves it paused. */
function readBytes(socket: net.Socket, n: number, timeoutMs: number): Promise<Buffer | null> {
  if (n <= 0) return Promise.resolve(Buffer.alloc(0));
  return new Promise((resolve) => {
    const chunks: Buffer[] = [];
    let got = 0;
    const done = (value: Buffer | null) => {
      clearTimeout(timer);
      socket.off("data", onData);
      socket.off("end", onEnd);
      socket.off("close", onEnd);
      socket.pause();
      resolve(value);
    };
    const onData = (chunk: Buffer) => {
      const need = n - got;
      if (chunk.length > need) {
        socket.off("data", onData);
        socket.pause();
        socket.unshift(chunk.subarray(need));
        chunk = chunk.subarray(0, need);
      }
      chunks.push(chunk);
      got += chunk.length;
      if (got === n) done(chunks.length === 1 ? chunks[0]! : Buffer.concat(chunks, n));
    };
    const onEnd = () => done(null);
    const timer = setTimeout(() => done(null), timeoutMs);
    socket.on("data", onData);
    socket.on("end", onEnd);
    socket.on("close", onEnd);
    socket.resume();
  });
}
