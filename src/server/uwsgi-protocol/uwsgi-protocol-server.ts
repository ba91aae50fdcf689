/**
 * The uwsgi protocol socket (`--socket`): what nginx's `uwsgi_pass` talks to.
 *
 * Each connection carries one uwsgi packet. modifier1 0 and 30 are HTTP-style requests: the
 * vars are turned into an HTTP/1.x request head, put back in front of the body bytes on the
 * very same socket, and the socket is handed to an internal `http.Server` (never listening).
 * Node's native parser then builds a real `IncomingMessage`/`ServerResponse` pair: the body
 * streams straight off the socket with backpressure, the response is written as raw HTTP/1.1
 * (what nginx's uwsgi module reads), without chunked encoding, and the connection is closed
 * after it, as uWSGI does. Other modifier1 values go to registered handlers
 * ({@link ModifierRegistry}); ping (100) is built in.
 *
 * A bad packet (too large for the buffer size, malformed vars, truncated, too slow) is logged
 * with the reason and its connection closed; nothing a client sends can stop the process.
 * @module
 */
import { Buffer } from "node:buffer";
import { createServer as createHttpServer, type IncomingMessage, type ServerResponse } from "node:http";
import net from "node:net";
import type { BytesLike } from "../../core/bytes.js";
import { createRequestContext, runInRequest, type RequestContext, type RequestTransport } from "../../core/request-context.js";
import { PacketReader } from "../../protocol/packet-reader.js";
import type { UwsgiPacket } from "../../protocol/packet.js";
import { defaultModifierRegistry, type ModifierEntry, type ModifierRegistry, type ModifierRequest } from "./modifier-handlers.js";
import { createPingHandler } from "./ping-handler.js";
import { ReadDeadlines } from "./read-deadlines.js";
import { buildRequestHead, type UwsgiHttpRequest } from "./request-head.js";
import { decodeRequestEnv } from "./request-env.js";

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

/** What a request context is built from. */
export interface UwsgiContextInit {
  env: Record<string, string>;
  socket: net.Socket;
  transport: RequestTransport;
}

/** Settings of {@link createUwsgiProtocolServer}. */
export interface UwsgiProtocolServerOptions {
  /** `--buffer-size`: the largest packet payload accepted (0..65535). */
  bufferSize: number;
  /** `--socket-timeout` in ms: time allowed to receive the whole packet. Default 4000. */
  readTimeoutMs?: number;
  /** Where problems are reported; defaults to stderr. */
  logger?: (line: string) => void;
  /** Called when a request starts (not for ping). */
  onRequest?: (event: UwsgiRequestEvent) => void;
  /** Called once a request is over (not for ping). */
  onResponse?: (event: UwsgiResponseEvent) => void;
  /** Builds the request context the application runs in; default {@link createRequestContext}. */
  createContext?: (init: UwsgiContextInit) => RequestContext;
  /** Handlers for other modifier1 values; default the process-wide registry. */
  modifiers?: ModifierRegistry;
  /** The warning message ping (modifier1 100) replies with, unless a ping handler is registered. */
  getWarningMessage?: () => BytesLike | null;
}

const PENDING = Symbol("uwsgi-node.pendingRequest");
const READING = Symbol("uwsgi-node.readingPacket");

interface PacketReading {
  readonly reader: PacketReader;
  received: number;
}

interface PendingRequest {
  readonly http: UwsgiHttpRequest;
  readonly packet: UwsgiPacket;
  readonly started: bigint;
  /** The application has been called. */
  served: boolean;
  /** The response is complete. */
  answered: boolean;
}

type UwsgiSocket = net.Socket & {
  [PENDING]?: PendingRequest;
  [READING]?: PacketReading | undefined;
  encrypted?: boolean;
  /** net.Socket's cache behind remoteAddress/remotePort/remoteFamily. */
  _peername?: { address?: string; port?: number; family?: string };
};

const elapsedMicros = (since: bigint) => Number((process.hrtime.bigint() - since) / 1000n);

const describeError = (err: unknown) => (err instanceof Error ? err.message : String(err));

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
  const makeContext = options.createContext ?? ((init: UwsgiContextInit) => createRequestContext(init));
  // validates bufferSize once, with a coded error
  new PacketReader({ maxDatasize: bufferSize });

  const http = createHttpServer({
    maxHeaderSize: Math.max(16384, bufferSize * 2 + 1024),
    requireHostHeader: false,
    keepAliveTimeout: 0, // connections are closed by closeAfterResponse(), never kept idle
  });
  http.on("request", serveHttpRequest);
  // the front end already dealt with Expect; never send interim 100/417 replies ourselves
  http.on("checkContinue", serveHttpRequest);
  http.on("checkExpectation", serveHttpRequest);
  http.on("clientError", (err: NodeJS.ErrnoException, socket: UwsgiSocket) => {
    // after the answer, a front end may stop sending the rest of a body nobody reads: not an error
    if (err.code !== "ECONNRESET" && socket[PENDING]?.answered !== true) {
      log(`uwsgi: cannot serve the request from ${peerOf(socket)}: ${err.code ?? "error"} ${err.message}`);
      const res = (socket as net.Socket & { _httpMessage?: ServerResponse })._httpMessage;
      if (socket.writable && (!res || !res.headersSent)) {
        socket.write("HTTP/1.1 400 Bad Request\r\nConnection: close\r\nContent-Length: 0\r\n\r\n");
      }
    }
    socket.destroy();
  });

  const deadlines = new ReadDeadlines<UwsgiSocket>(readTimeoutMs, onPacketTimeout);
  const server = net.createServer({ noDelay: true }, readPacket);
  return server;

  function readPacket(socket: UwsgiSocket): void {
    socket[READING] = { reader: new PacketReader({ maxDatasize: bufferSize }), received: 0 };
    socket.on("data", onPacketData);
    socket.on("end", onPacketEnd);
    socket.on("error", onPacketError);
    deadlines.add(socket);
  }

  function stopReading(socket: UwsgiSocket): PacketReading {
    const reading = socket[READING]!;
    socket[READING] = undefined;
    socket.off("data", onPacketData);
    socket.off("end", onPacketEnd);
    socket.off("error", onPacketError);
    deadlines.delete(socket);
    return reading;
  }

  function drop(socket: UwsgiSocket, why: string): void {
    if (socket[READING] !== undefined) stopReading(socket);
    log(`uwsgi: ${why} from ${peerOf(socket)}, closing the connection`);
    socket.destroy();
  }

  function onPacketData(this: UwsgiSocket, chunk: Buffer): void {
    const reading = this[READING]!;
    reading.received += chunk.length;
    let packet: UwsgiPacket | null;
    try {
      reading.reader.push(chunk);
      packet = reading.reader.next();
    } catch (err) {
      drop(this, describeError(err));
      return;
    }
    if (packet === null) return;
    stopReading(this);
    dispatch(this, packet, reading.reader.takeRest());
  }

  function onPacketEnd(this: UwsgiSocket): void {
    const { received, reader } = stopReading(this);
    if (received === 0) {
      this.destroy(); // a connect-and-close probe: nothing to report
      return;
    }
    const header = reader.pendingHeader;
    drop(
      this,
      header === null
        ? `truncated uwsgi packet: the connection ended after ${received} of 4 header bytes`
        : `truncated uwsgi packet: the connection ended after ${received - 4} of ${header.datasize} payload bytes (modifier1 ${header.modifier1})`,
    );
  }

  function onPacketError(this: UwsgiSocket): void {
    stopReading(this);
    this.destroy();
  }

  function onPacketTimeout(socket: UwsgiSocket): void {
    const reading = socket[READING];
    if (reading === undefined || socket.destroyed) return;
    drop(socket, `timeout: no complete uwsgi packet within ${readTimeoutMs} ms (${reading.received} bytes received)`);
  }

  function dispatch(socket: net.Socket, packet: UwsgiPacket, rest: Buffer): void {
    const m1 = packet.modifier1;
    if (m1 === 0 || m1 === 30) {
      handOverToHttp(socket, packet, rest);
      return;
    }
    const entry = modifiers.get(m1) ?? (m1 === 100 ? builtinPing : undefined);
    if (entry === undefined) {
      log(`uwsgi: -- unavailable modifier requested: ${m1} -- from ${peerOf(socket)}, closing the connection`);
      socket.destroy();
      return;
    }
    runModifier(socket, entry, packet, rest);
  }

  function handOverToHttp(socket: UwsgiSocket, packet: UwsgiPacket, rest: Buffer): void {
    let request: UwsgiHttpRequest;
    try {
      request = buildRequestHead(decodeRequestEnv(packet.payload), packet.modifier1);
    } catch (err) {
      log(`uwsgi: ${describeError(err)} from ${peerOf(socket)}, closing the connection`);
      socket.destroy();
      return;
    }
    socket[PENDING] = { http: request, packet, started: process.hrtime.bigint(), served: false, answered: false };
    if (request.remoteAddress !== undefined) {
      // the client as the front end saw it: net.Socket reads remoteAddress, remotePort and
      // remoteFamily from this cache (a plain field, so the socket keeps its fast shape)
      socket._peername = {
        address: request.remoteAddress,
        family: net.isIPv6(request.remoteAddress) ? "IPv6" : "IPv4",
        ...(request.remotePort === undefined ? {} : { port: request.remotePort }),
      };
    }
    if (request.https) socket.encrypted = true;
    // the HTTP parser must see the synthesised head first, then the body bytes already read
    socket.pause();
    socket.unshift(rest.length > 0 ? Buffer.concat([request.head, rest]) : request.head);
    http.emit("connection", socket);
    socket.resume();
  }

  function serveHttpRequest(req: IncomingMessage, res: ServerResponse): void {
    const socket = req.socket as UwsgiSocket;
    const pending = socket[PENDING];
    if (pending === undefined) {
      socket.destroy();
      return;
    }
    if (pending.served) {
      // bytes after the announced body, parsed as another request: ignored (never served); the
      // connection closes once the real response is out
      log(`uwsgi: unexpected data after the request body from ${peerOf(socket)}, ignored`);
      req.resume();
      return;
    }
    pending.served = true;
    // One response per connection, never chunked (nginx's uwsgi module does not de-chunk): the
    // body is delimited by Content-Length when Node knows it (`res.end(data)`), else by the
    // close. `_removedTE` / `_removedConnection` are what `res.removeHeader("transfer-encoding")`
    // / `("connection")` set: Node then falls back to a close-delimited body instead of chunking,
    // and sends no Connection header (as uWSGI). Node is told to keep the connection so that it
    // does not close it under a request body still arriving; closeAfterResponse() closes it.
    const r = res as ServerResponse & { _removedTE?: boolean; _removedConnection?: boolean };
    r.shouldKeepAlive = true;
    r._removedConnection = true;
    r.useChunkedEncodingByDefault = true;
    r._removedTE = true;
    res.once("finish", () => closeAfterResponse(req, socket));
    const { http: request, packet } = pending;
    if (req.httpVersion !== request.httpVersion) {
      const [major, minor] = request.httpVersion.split(".").map(Number) as [number, number];
      req.httpVersion = request.httpVersion;
      req.httpVersionMajor = major;
      req.httpVersionMinor = minor;
    }
    const event: UwsgiRequestEvent = { modifier1: packet.modifier1, modifier2: packet.modifier2, env: request.env, req, res };
    let error: unknown;
    if (options.onResponse) {
      const onResponse = options.onResponse;
      res.once("close", () =>
        onResponse({
          ...event,
          status: res.statusCode,
          txBytes: socket.bytesWritten,
          durationMicros: elapsedMicros(pending.started),
          aborted: !res.writableFinished,
          ...(error === undefined ? {} : { error }),
        }),
      );
    }
    options.onRequest?.(event);
    const context = makeContext({ env: request.env, socket, transport: { disconnect: () => socket.destroy() } });
    try {
      runInRequest(context, () => listener(req, res));
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
  }

  /**
   * Ends the connection once the response is out. If the application answered before reading
   * the whole body (a 413, an auth failure), the rest is read and discarded first: closing with
   * unread bytes resets the connection while the front end is still sending, and nginx answers
   * 502 instead of the application's response. For a close-delimited response Node has already
   * ended the socket and scheduled its destroy (`destroySoon`): that destroy is postponed too.
   */
  function closeAfterResponse(req: IncomingMessage, socket: UwsgiSocket): void {
    socket[PENDING]!.answered = true;
    if (socket.destroyed) return;
    if (req.complete) {
      closeWhenWritten(socket);
      return;
    }
    socket.removeListener("finish", socket.destroy);
    const timer = setTimeout(() => socket.destroy(), readTimeoutMs);
    const done = () => {
      clearTimeout(timer);
      closeWhenWritten(socket);
    };
    req.once("end", done);
    req.once("close", done);
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
    socket.on("error", () => socket.destroy());
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
