/**
 * One websocket opened on a request by `uwsgi.websocket_handshake()`, with uWSGI's API on top of
 * the `ws` library's framing: messages queue until `websocket_recv()` takes them, sends resolve
 * once written.
 *
 * What `ws` does for us (RFC 6455, the Autobahn categories): fragments are reassembled and
 * control frames between fragments handled; a ping is answered with a pong carrying the ping's
 * payload (uWSGI sends an empty pong: a bug); text frames with invalid UTF-8 close with 1007,
 * frames with reserved bits or unknown opcodes with 1002, messages above the size limit with
 * 1009; client frames must be masked (1002 otherwise).
 *
 * What this class adds: the handshake uWSGI writes (`Sec-WebSocket-Origin`, the key, origin and
 * protocol taken from the request or given), the receive queue (the socket is paused while
 * {@link HIGH_WATER} messages wait, so a slow reader does not buffer without bound), and
 * uWSGI's keep-alive: a ping after `pingFreqSeconds` without traffic, the connection dropped
 * when its pong is `pongToleranceSeconds` late.
 * @module
 */
import { Buffer, isUtf8 } from "node:buffer";
import type { Duplex } from "node:stream";
import { WebSocket, WebSocketServer } from "ws";
import { UwsgiError } from "../../errors.js";
import type { TakenOverConnection, WebsocketLimits } from "../../core/request-context.js";

/** Messages waiting before the socket is paused. */
export const HIGH_WATER = 64;
/** Waiting messages below which a paused socket resumes. */
const LOW_WATER = 16;

/** What `websocket_handshake(key?, origin?, proto?)` answers with. */
export interface HandshakeFields {
  readonly key: string;
  readonly origin: string | null;
  readonly protocol: string | null;
}

/** What ws's `handleUpgrade` reads of a request: the handshake fields go through it. */
interface HandshakeRequest {
  readonly method: "GET";
  readonly headers: Record<string, string>;
  readonly origin: string;
}

/** ws's key syntax: 16 bytes in base64. uWSGI accepts anything; ws (and RFC 6455) do not. */
const KEY_SYNTAX = /^[+/0-9A-Za-z]{22}==$/;

/** One ws server (no listening socket) per size limit: it only performs handshakes. */
const upgraders = new Map<number, WebSocketServer>();

function upgraderFor(maxPayload: number): WebSocketServer {
  let wss = upgraders.get(maxPayload);
  if (!wss) {
    wss = new WebSocketServer({ noServer: true, clientTracking: false, maxPayload, perMessageDeflate: false, autoPong: true, skipUTF8Validation: false });
    // uWSGI's extra header (the origin, "*" when none)
    wss.on("headers", (headers: string[], req: HandshakeRequest) => headers.push(`Sec-WebSocket-Origin: ${req.origin}`));
    upgraders.set(maxPayload, wss);
  }
  return wss;
}

interface Waiter {
  resolve(data: Buffer): void;
  reject(err: Error): void;
}

/** An open (or closed) websocket of one request. */
export class WebsocketSession {
  readonly #ws: WebSocket;
  readonly #limits: WebsocketLimits;
  readonly #log: (line: string) => void;
  readonly #queue: Buffer[] = [];
  readonly #waiters: Waiter[] = [];
  #paused = false;
  /** Close code and reason once the connection is closed (or failing). */
  #closed: { code: number; reason: string } | null = null;
  #lastActivity = Date.now();
  #pingTimer: NodeJS.Timeout | null = null;
  #pongTimer: NodeJS.Timeout | null = null;

  private constructor(ws: WebSocket, conn: TakenOverConnection) {
    this.#ws = ws;
    this.#limits = conn.limits;
    this.#log = conn.log;
    ws.on("message", (data: Buffer, isBinary: boolean) => this.#onMessage(data, isBinary));
    ws.on("ping", () => (this.#lastActivity = Date.now()));
    ws.on("pong", () => this.#onPong());
    ws.on("error", (err: Error & { code?: string }) => {
      // ws closes with the matching status (1002, 1007, 1009) after this event
      this.#closed ??= { code: 1006, reason: err.message };
    });
    ws.on("close", (code: number, reason: Buffer) => this.#onClose(code, reason.toString()));
    this.#armPing(this.#limits.pingFreqSeconds * 1000);
  }

  /**
   * Answers the handshake on a taken-over connection and opens the session.
   * @throws UwsgiError UWSGI_ERR_WEBSOCKET_HANDSHAKE when the key is malformed or the connection is gone.
   */
  static open(conn: TakenOverConnection, fields: HandshakeFields): WebsocketSession {
    const socket: Duplex = conn.socket;
    if (!KEY_SYNTAX.test(fields.key)) {
      socket.destroy();
      throw new UwsgiError("UWSGI_ERR_WEBSOCKET_HANDSHAKE", `malformed Sec-WebSocket-Key ${JSON.stringify(fields.key)} (16 bytes in base64 expected)`);
    }
    if (!socket.readable || !socket.writable) {
      socket.destroy();
      throw new UwsgiError("UWSGI_ERR_WEBSOCKET_HANDSHAKE", "the client connection is closed");
    }
    const headers: Record<string, string> = { upgrade: "websocket", "sec-websocket-key": fields.key, "sec-websocket-version": "13" };
    if (fields.protocol) headers["sec-websocket-protocol"] = fields.protocol;
    const req: HandshakeRequest = { method: "GET", headers, origin: fields.origin || "*" };
    let opened: WebSocket | null = null;
    // synchronous: no verifyClient, no extensions to negotiate
    upgraderFor(conn.limits.maxMessageBytes).handleUpgrade(req as never, socket as never, conn.head, (ws) => (opened = ws));
    if (opened === null) {
      socket.destroy();
      throw new UwsgiError("UWSGI_ERR_WEBSOCKET_HANDSHAKE", `the handshake was refused (protocol ${JSON.stringify(fields.protocol)})`);
    }
    return new WebsocketSession(opened, conn);
  }

  /** True once the connection is closed or closing. */
  get closed(): boolean {
    return this.#closed !== null || this.#ws.readyState !== WebSocket.OPEN;
  }

  /** Messages received and not taken yet. */
  get pending(): number {
    return this.#queue.length;
  }

  /**
   * The next message (text or binary, as bytes). Messages that arrived before a close are
   * delivered first; then it rejects with UWSGI_ERR_WEBSOCKET_CLOSED.
   */
  recv(): Promise<Buffer> {
    const next = this.#take();
    if (next !== null) return Promise.resolve(next);
    if (this.#closed !== null) return Promise.reject(this.#closedError());
    return new Promise((resolve, reject) => this.#waiters.push({ resolve, reject }));
  }

  /** The next message, or an empty Buffer when none waits; rejects once closed and drained. */
  recvNb(): Promise<Buffer> {
    const next = this.#take();
    if (next !== null) return Promise.resolve(next);
    if (this.#closed !== null) return Promise.reject(this.#closedError());
    return Promise.resolve(Buffer.alloc(0));
  }

  /** Sends one unfragmented text (`binary` false, valid UTF-8 only) or binary frame; resolves once written. */
  send(data: Buffer, binary: boolean): Promise<void> {
    // uWSGI sends any bytes in a text frame; a peer must then fail the connection (RFC 6455 8.1)
    if (!binary && !isUtf8(data)) return Promise.reject(new UwsgiError("UWSGI_ERR_WEBSOCKET_SEND", "a text message must be valid UTF-8 (send bytes with websocket_send_binary)"));
    if (this.closed) return Promise.reject(new UwsgiError("UWSGI_ERR_WEBSOCKET_SEND", `the connection is closed${this.#closed ? ` (code ${this.#closed.code})` : ""}`));
    return new Promise((resolve, reject) => {
      this.#ws.send(data, { binary, fin: true }, (err?: Error) => (err ? reject(new UwsgiError("UWSGI_ERR_WEBSOCKET_SEND", err.message)) : resolve()));
    });
  }

  /** Starts the closing handshake (`code`, default 1000), or drops the connection at once with `terminate`. */
  close(code = 1000, terminate = false): void {
    if (terminate) this.#ws.terminate();
    else this.#ws.close(code);
  }

  /** Resolves once the connection is closed. */
  whenClosed(): Promise<void> {
    if (this.#ws.readyState === WebSocket.CLOSED) return Promise.resolve();
    return new Promise((resolve) => this.#ws.once("close", () => resolve()));
  }

  #take(): Buffer | null {
    const next = this.#queue.shift();
    if (next === undefined) return null;
    if (this.#paused && this.#queue.length < LOW_WATER) {
      this.#paused = false;
      this.#ws.resume();
    }
    return next;
  }

  #onMessage(data: Buffer, _isBinary: boolean): void {
    this.#lastActivity = Date.now();
    const waiter = this.#waiters.shift();
    if (waiter) {
      waiter.resolve(data);
      return;
    }
    this.#queue.push(data);
    if (!this.#paused && this.#queue.length >= HIGH_WATER) {
      this.#paused = true;
      this.#ws.pause();
    }
  }

  #onClose(code: number, reason: string): void {
    this.#closed ??= { code, reason };
    if (this.#pingTimer) clearTimeout(this.#pingTimer);
    if (this.#pongTimer) clearTimeout(this.#pongTimer);
    this.#pingTimer = this.#pongTimer = null;
    for (const w of this.#waiters.splice(0)) w.reject(this.#closedError());
  }

  #closedError(): UwsgiError {
    const { code, reason } = this.#closed!;
    return new UwsgiError("UWSGI_ERR_WEBSOCKET_CLOSED", code, reason ? `: ${reason}` : "");
  }

  /** uWSGI's keep-alive: ping after `pingFreqSeconds` of silence. */
  #armPing(ms: number): void {
    this.#pingTimer = setTimeout(() => this.#pingDue(), ms);
    this.#pingTimer.unref();
  }

  #pingDue(): void {
    this.#pingTimer = null;
    if (this.closed) return;
    const freqMs = this.#limits.pingFreqSeconds * 1000;
    const quiet = Date.now() - this.#lastActivity;
    if (quiet < freqMs) {
      this.#armPing(freqMs - quiet);
      return;
    }
    this.#ws.ping();
    const toleranceMs = this.#limits.pongToleranceSeconds * 1000;
    this.#pongTimer = setTimeout(() => {
      this.#pongTimer = null;
      this.#log(`[uwsgi-websocket] no PONG received in ${this.#limits.pongToleranceSeconds} seconds, closing the connection`);
      this.#closed ??= { code: 1006, reason: `no pong within ${this.#limits.pongToleranceSeconds} s` };
      this.#ws.terminate();
    }, toleranceMs);
    this.#pongTimer.unref();
  }

  #onPong(): void {
    this.#lastActivity = Date.now();
    if (this.#pongTimer) {
      clearTimeout(this.#pongTimer);
      this.#pongTimer = null;
      this.#armPing(this.#limits.pingFreqSeconds * 1000);
    }
  }
}
