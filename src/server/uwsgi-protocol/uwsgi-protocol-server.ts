/**
 * The uwsgi protocol socket (`--socket`): what nginx's `uwsgi_pass` talks to.
 *
 * Each connection carries one uwsgi packet, read here (usually whole in the first chunk, else
 * assembled by a {@link PacketReader} within `--socket-timeout`). modifier1 0 and 30 are
 * HTTP-style requests, served as a Node `IncomingMessage` / `ServerResponse` pair by
 * {@link HttpExchange}; other modifier1 values go to registered handlers
 * ({@link ModifierRegistry}, run by modifier-runner.ts); ping (100) is built in.
 *
 * Connections are served on their accepted handles ({@link HandleSocket}: no `net.Socket` per
 * connection) when Node's stream handles are usable (stream-handle-bridge.ts checks once): a
 * connection whose first read holds a whole HTTP-style packet without a body is served that way
 * from start to end; any other connection (a packet in pieces, a request body, another
 * modifier1) is handed to a `net.Socket` on the same handle before anything else reads it, and
 * served as before. `handles: false`, or a Node without the private names, serves every
 * connection with a `net.Socket`.
 *
 * A bad packet (too large for the buffer size, malformed vars, truncated, too slow) is logged
 * with the reason and its connection closed; nothing a client sends can stop the process.
 * @module
 */
import type { Buffer } from "node:buffer";
import net from "node:net";
import type { BytesLike } from "../../core/bytes.js";
import { RateLimitedLog } from "../../core/rate-limited-log.js";
import { UwsgiError } from "../../errors.js";
import { PacketReader } from "../../protocol/packet-reader.js";
import { decodePacket, type UwsgiPacket } from "../../protocol/packet.js";
import { streamHandleBridge, type StreamHandle } from "../../core/stream-handle-bridge.js";
import { HandleSocket } from "./handle-socket.js";
import { HttpExchange } from "./http-exchange.js";
import { defaultModifierRegistry, type ModifierEntry, type ModifierRegistry } from "./modifier-handlers.js";
import { runModifier } from "./modifier-runner.js";
import { createPingHandler } from "./ping-handler.js";
import { ReadDeadlines } from "./read-deadlines.js";
import { describeError, errorKind, peerOf, Phase, UwsgiConnection, type UwsgiSocket } from "./uwsgi-connection.js";
import type { UwsgiRequestEvent, UwsgiRequestListener, UwsgiResponseEvent } from "./uwsgi-events.js";

export type { UwsgiRequestEvent, UwsgiRequestListener, UwsgiResponseEvent } from "./uwsgi-events.js";

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
  /**
   * Where the lines a client can repeat at will go (bad packets, timeouts, refused modifiers,
   * failing modifier handlers): the worker's one rate-limited log (`WorkerLimits.log`), so all
   * its client-triggered lines share one budget. Default: a rate-limited log over `logger`.
   */
  limitedLog?: RateLimitedLog;
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
  /**
   * Called first for every new connection (before anything is set up on it): false refuses it,
   * and the callee has closed it. Hooks given here cost no `'connection'` listener of their own.
   */
  admit?: (socket: net.Socket) => boolean;
  /** Called once an admitted connection has closed, from its one `'close'` listener. */
  closed?: (socket: net.Socket) => void;
  /**
   * Called when a connection admitted as its handle's connection object is handed over to a
   * `net.Socket` (`from` is the object `admit` saw, `to` the socket `closed` will get).
   */
  moved?: (from: net.Socket, to: net.Socket) => void;
  /**
   * Serve connections on their accepted handles when this Node allows it (see the module's
   * description). Default true.
   */
  handles?: boolean;
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
  // validates bufferSize once, with a coded error
  new PacketReader({ maxDatasize: bufferSize });

  // lines a client can repeat at will (refused or unknown modifiers) are rate-limited
  const limitedLog = options.limitedLog ?? new RateLimitedLog(log);
  const deadlines = new ReadDeadlines<UwsgiConnection>(readTimeoutMs, onPacketTimeout);
  const http = new HttpExchange({
    listener,
    log,
    limitedLog,
    readTimeoutMs,
    limitPost: options.limitPost ?? 0,
    requestId: options.requestId ?? (() => 0),
    onRequest: options.onRequest,
    onResponse: options.onResponse,
    drop,
    handOver,
  });
  const admit = options.admit ?? null;
  const closed = options.closed ?? null;
  const moved = options.moved ?? null;
  const modifierSettings = { limitedLog, readTimeoutMs, onRequest: options.onRequest, onResponse: options.onResponse, rearm };
  const server = net.createServer({ noDelay: true }, accept);
  const bridge = options.handles === false ? null : streamHandleBridge();
  if (bridge !== null) server.on("listening", () => bridge.takeOverAccepts(server, acceptHandle));
  // kept connections (idle, or serving a packet); closing the server bids them farewell when idle
  const keptConnections = new Set<UwsgiConnection>();
  let closing = false;
  const close = server.close.bind(server);
  server.close = ((callback?: (err?: Error) => void) => {
    closing = true;
    for (const conn of [...keptConnections]) farewell(conn);
    return close(callback);
  }) as typeof server.close;
  return server;

  /** A handler kept the connection: wait for its next packet (idle for at most `keep.idleMs`). */
  function rearm(socket: UwsgiSocket, conn: UwsgiConnection): void {
    conn.phase = Phase.Packet;
    conn.reader = null;
    conn.received = 0;
    socket.on("data", onData);
    keptConnections.add(conn);
    if (closing) {
      farewell(conn);
      return;
    }
    conn.idleSince = Date.now();
    conn.idleTimer ??= setTimeout(idleExpired, conn.keep!.idleMs, conn);
    socket.resume();
  }

  /** The idle timer of a kept connection fired: bid it farewell if it stayed idle long enough. */
  function idleExpired(conn: UwsgiConnection): void {
    conn.idleTimer = null;
    // serving a packet: rearm() starts the timer again when the connection is idle again
    if (conn.socket.destroyed || conn.idleSince === 0) return;
    const left = conn.idleSince + conn.keep!.idleMs - Date.now();
    if (left > 0) conn.idleTimer = setTimeout(idleExpired, left, conn);
    else farewell(conn);
  }

  /** The kept connection's next packet starts: it is no longer idle. */
  function leaveIdle(conn: UwsgiConnection): void {
    conn.idleSince = 0;
  }

  /** The kept connection is over (closed, or bid farewell). */
  function forget(conn: UwsgiConnection): void {
    conn.idleSince = 0;
    keptConnections.delete(conn);
    if (conn.idleTimer !== null) {
      clearTimeout(conn.idleTimer);
      conn.idleTimer = null;
    }
  }

  /** Closes an idle kept connection, telling the client its next packet was not read. */
  function farewell(conn: UwsgiConnection): void {
    const socket = conn.socket;
    // a connection serving a packet gets its farewell when rearmed (the server is closing)
    if (socket.destroyed || conn.phase !== Phase.Packet || conn.received > 0) return;
    forget(conn);
    conn.phase = Phase.Elsewhere;
    socket.removeListener("data", onData);
    socket.end(conn.keep!.farewell);
    if (socket.writableFinished) socket.destroy();
    else socket.once("finish", () => socket.destroy());
  }

  function accept(socket: UwsgiSocket): void {
    if (admit !== null && !admit(socket)) return;
    const conn = new UwsgiConnection(socket);
    socket._uwsgiNodeConnection = conn;
    socket.on("data", onData);
    socket.on("error", onError);
    socket.on("close", onClose);
    deadlines.add(conn);
  }

  /** A connection accepted on its handle: the same set-up as {@link accept}, on the handle's connection object. */
  function acceptHandle(handle: StreamHandle): void {
    handle.setNoDelay?.(true);
    const connection = new HandleSocket(bridge!, handle, server, onHandleData);
    const socket = connection as unknown as UwsgiSocket;
    if (admit !== null && !admit(socket)) return;
    const conn = new UwsgiConnection(socket);
    connection._uwsgiNodeConnection = conn;
    connection.on("close", onClose);
    deadlines.add(conn);
    connection.start();
  }

  /**
   * Bytes read on a handle's connection object: a whole HTTP-style packet in the first read is
   * served on the handle; anything else first hands the connection to a net.Socket.
   */
  function onHandleData(connection: HandleSocket, chunk: Buffer): void {
    const socket = connection as unknown as UwsgiSocket;
    const conn = socket._uwsgiNodeConnection!;
    if (conn.phase === Phase.Packet) {
      const m1 = chunk[0];
      if (conn.reader !== null || chunk.length < 4 || (m1 !== 0 && m1 !== 30) || chunk.length < 4 + (chunk[1]! | (chunk[2]! << 8))) {
        onData.call(handOver(socket), chunk);
        return;
      }
    }
    onData.call(socket, chunk);
  }

  /**
   * Hands a connection served on its handle to a net.Socket on the same handle (nothing has read
   * the handle since the chunk the caller holds): the socket gets the server's listeners and the
   * connection's state, and `moved` tells the accounting.
   */
  function handOver(from: UwsgiSocket): UwsgiSocket {
    const conn = from._uwsgiNodeConnection!;
    const socket = (from as unknown as HandleSocket).materialize(false) as UwsgiSocket;
    socket._uwsgiNodeConnection = conn;
    conn.socket = socket;
    socket.on("data", onData);
    socket.on("error", onError);
    socket.on("close", onClose);
    if (moved !== null) moved(from, socket);
    return socket;
  }

  function onData(this: UwsgiSocket, chunk: Buffer): void {
    const conn = this._uwsgiNodeConnection!;
    switch (conn.phase) {
      case Phase.Packet:
        readPacket(this, conn, chunk);
        return;
      case Phase.Body:
        http.pushBody(this, conn, chunk);
        return;
      case Phase.BodyDone:
        http.reportExtraBytes(this, conn);
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
    if (conn.keep !== null) forget(conn);
    if (conn.phase === Phase.Packet) {
      deadlines.delete(conn);
      conn.phase = Phase.Elsewhere;
      if (conn.received > 0) reportTruncated(this, conn);
    } else {
      http.closed(conn);
    }
    if (closed !== null) closed(this);
  }

  function reportTruncated(socket: UwsgiSocket, conn: UwsgiConnection): void {
    // a packet not complete in its first read went through the reader, which knows its header
    const header = conn.reader?.pendingHeader ?? null;
    limitedLog.line(
      "truncated-packet",
      `uwsgi: ${
        header === null
          ? `truncated uwsgi packet: the connection ended after ${conn.received} of 4 header bytes`
          : `truncated uwsgi packet: the connection ended after ${conn.received - 4} of ${header.datasize} payload bytes (modifier1 ${header.modifier1})`
      } from ${peerOf(socket)}, closing the connection`,
    );
  }

  /** Closes a connection whose client sent what cannot be served; `kind` keys the rate limit. */
  function drop(socket: UwsgiSocket, kind: string, why: string): void {
    const conn = socket._uwsgiNodeConnection!;
    if (conn.phase === Phase.Packet) deadlines.delete(conn);
    conn.phase = Phase.Elsewhere;
    limitedLog.line(`drop:${kind}`, `uwsgi: ${why} from ${peerOf(socket)}, closing the connection`);
    socket.destroy();
  }

  function readPacket(socket: UwsgiSocket, conn: UwsgiConnection, chunk: Buffer): void {
    if (conn.keep !== null && conn.received === 0) {
      // the next packet of a kept connection: from now on it has the packet's read deadline
      leaveIdle(conn);
      deadlines.add(conn);
    }
    conn.received += chunk.length;
    let packet: UwsgiPacket | null = null;
    let rest: Buffer;
    // the common case: the whole packet in the first read
    const end = conn.reader === null && chunk.length >= 4 ? 4 + (chunk[1]! | (chunk[2]! << 8)) : -1;
    if (end !== -1 && chunk.length >= end) {
      if (end - 4 > bufferSize) {
        drop(socket, "UWSGI_ERR_PACKET_TOO_LARGE", new UwsgiError("UWSGI_ERR_PACKET_TOO_LARGE", end - 4, bufferSize).message);
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
        drop(socket, errorKind(err), describeError(err));
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
    drop(socket, "packet-timeout", `timeout: no complete uwsgi packet within ${readTimeoutMs} ms (${conn.received} bytes received)`);
  }

  function dispatch(socket: UwsgiSocket, conn: UwsgiConnection, packet: UwsgiPacket, rest: Buffer): void {
    const m1 = packet.modifier1;
    if (m1 === 0 || m1 === 30) {
      http.serve(socket, conn, packet, rest);
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
    runModifier(modifierSettings, socket, conn, entry, packet, rest);
  }
}
