/**
 * A uwsgi protocol connection served on its accepted handle, without a `net.Socket`: the object
 * Node's `http.IncomingMessage` and `http.ServerResponse` get as their socket, and the server's
 * own code (the exchange, the drain, the limits) uses as one. A `net.Socket` costs ~70k
 * instructions to build on Node 20 (about 40% of a request behind nginx), and most requests only
 * need what this object does itself: read the packet, write the response, close.
 *
 * What it does itself: reads (each chunk goes to the server's `onData`), `write` (strings in
 * latin1/utf8 or bytes, straight to the handle; callbacks after the kernel took the bytes, on the
 * next tick for a write that completed at once), `cork`/`uncork` (writes gathered into one),
 * `end` (then 'finish' and the close once written), `destroy`, 'drain' when writes that were
 * queued by the kernel completed after a write returned false, and the properties Node's HTTP
 * code and common middleware read: `remoteAddress`/`remotePort`/`remoteFamily` (the client the
 * front end names, else the peer), `localAddress`/`localPort`, `encrypted`, `readable`,
 * `writable`, `destroyed`, `writableLength`, `bytesRead`, `bytesWritten`, `_handle` (fd).
 * Its events: 'close' (when the handle is closed), 'finish', 'drain', 'error' (only when it has
 * listeners: a broken connection closes either way).
 *
 * Everything else (`pause`/`resume`, `setTimeout`, `setNoDelay`, `setKeepAlive`, `ref`/`unref`,
 * `unshift`, `read`, `pipe`, `address()` ...) first builds a real `net.Socket` on the same
 * handle ({@link HandleSocket.materialize}, also what `req.socket` returns) and from then on this
 * object delegates to it: writes, ends and destroys go to the socket, and its 'close', 'drain',
 * 'end', 'timeout' and 'error' are emitted here too; its data goes to the server's `onData`.
 * The client's end of the connection (EOF) closes the connection once pending writes are out,
 * as a `net.Socket` without `allowHalfOpen` does.
 * @module
 */
import { Buffer } from "node:buffer";
import { EventEmitter } from "node:events";
import net from "node:net";
import { getDefaultHighWaterMark } from "node:stream";
import { getSystemErrorName } from "node:util";
import { setSocketPeer } from "../../core/node-internals.js";
import type { StreamHandle, StreamHandleBridge, WriteRequest } from "../../core/stream-handle-bridge.js";

type Callback = (err?: Error | null) => void;
/** One callback, several (a batch of corked writes), or none. */
type Callbacks = Callback | Callback[] | null;

interface Queued {
  data: string | Uint8Array;
  encoding: BufferEncoding | null;
  callback: Callback | null;
}

/** Calls the callbacks of a write. */
function callAll(callbacks: Callbacks, err: Error | null): void {
  if (callbacks === null) return;
  if (typeof callbacks === "function") {
    callbacks(err);
    return;
  }
  for (const cb of callbacks) cb(err);
}

function systemError(status: number, syscall: string): Error {
  let code: string;
  try {
    code = getSystemErrorName(status);
  } catch {
    code = `E${-status}`;
  }
  return Object.assign(new Error(`${syscall} ${code}`), { code, errno: status, syscall });
}

/** Bytes of a string in an encoding the handle writes as is. */
function isHandleEncoding(encoding: BufferEncoding | null): boolean {
  return encoding === null || encoding === "utf8" || encoding === "utf-8" || encoding === "latin1" || encoding === "binary";
}

/** A connection served on its accepted handle (see the module's description). */
export class HandleSocket extends EventEmitter {
  /** The handle while open (read by node-internals for the descriptor and byte count), null once closed. */
  _handle: StreamHandle | null;
  readonly server: net.Server;
  /** The response being written (Node's HTTP server field). */
  _httpMessage: unknown = null;
  /** The server's per-connection state and the drain's tracking (named fields: one shape). */
  _uwsgiNodeConnection: unknown = undefined;
  _uwsgiNodeTracking: unknown = undefined;
  /** The peer as `remoteAddress` reports it (set from REMOTE_ADDR by node-internals' setSocketPeer). */
  _peername: { address?: string; port?: number; family?: string } | null = null;
  encrypted = false;
  destroyed = false;
  readable = true;
  writable = true;
  writableEnded = false;
  writableFinished = false;
  /** Node 20's `OutgoingMessage.end` sets `corked` here before uncorking. */
  readonly _writableState = { corked: 0 };
  readonly writableHighWaterMark: number;
  readonly readableHighWaterMark: number;
  readonly connecting = false;
  readonly pending = false;
  readonly #bridge: StreamHandleBridge;
  readonly #handle: StreamHandle;
  readonly #onData: (socket: HandleSocket, chunk: Buffer) => void;
  #bytesRead = 0;
  /** Bytes of writes the kernel queued, not complete yet, and how many such writes. */
  #pendingBytes = 0;
  #pendingWrites = 0;
  /** Writes gathered while corked, and their bytes (string lengths for strings: an estimate). */
  #queue: Queued[] | null = null;
  #queuedBytes = 0;
  #needDrain = false;
  /** The client ended its side: close once the pending writes are out. */
  #closeWhenWritten = false;
  #bytesWrittenAtClose = 0;
  /** The net.Socket this connection became (see materialize). */
  #real: net.Socket | null = null;

  constructor(bridge: StreamHandleBridge, handle: StreamHandle, server: net.Server, onData: (socket: HandleSocket, chunk: Buffer) => void) {
    super();
    this.#bridge = bridge;
    this.#handle = handle;
    this._handle = handle;
    this.server = server;
    this.#onData = onData;
    this.writableHighWaterMark = getDefaultHighWaterMark(false);
    this.readableHighWaterMark = this.writableHighWaterMark;
    handle._uwsgiNodeOwner = this;
    handle.onread = HandleSocket.#onread;
    bridge.connectionOpened(server);
  }

  /** Starts reading (after the server has set up its state for the connection). */
  start(): void {
    const err = this.#handle.readStart();
    if (err !== 0) this.destroy(systemError(err, "read"));
  }

  /** True once a net.Socket was built on the handle. */
  get materialized(): boolean {
    return this.#real !== null;
  }

  /**
   * The `net.Socket` of this connection, built on first call on the same handle (the peer named
   * by the front end, `encrypted` copied over). With `forward` (the default), this object stays
   * the connection's face and delegates to the socket; without, the caller takes the socket over
   * wholly (this object is left without events). A connection already closed gets a destroyed
   * socket of its own.
   */
  materialize(forward = true): net.Socket {
    if (this.#real !== null) return this.#real;
    if (this.destroyed) {
      const dead = new net.Socket();
      dead.destroy();
      return dead;
    }
    // what waits in a cork goes first, in order
    const corked = this._writableState.corked;
    if (this.#queue !== null) this.#flush();
    this._writableState.corked = 0;
    const real = this.#bridge.socketOf(this.#handle, this.server);
    this.#real = real;
    const peer = this._peername;
    if (peer !== null && peer.address !== undefined) setSocketPeer(real, peer.address, peer.port);
    (real as net.Socket & { encrypted?: boolean }).encrypted = this.encrypted;
    for (let i = 0; i < corked; i++) real.cork();
    if (forward) {
      real.on("close", (hadError: boolean) => {
        this.destroyed = true;
        this.readable = false;
        this.writable = false;
        this._handle = null;
        this.emit("close", hadError);
      });
      real.on("error", (err: Error) => {
        if (this.listenerCount("error") > 0) this.emit("error", err);
      });
      real.on("drain", () => this.emit("drain"));
      real.on("end", () => this.emit("end"));
      real.on("timeout", () => this.emit("timeout"));
      real.on("data", (chunk: Buffer) => this.#onData(this, chunk));
    }
    return real;
  }

  // --- reading -----------------------------------------------------------------------------------

  static #onread = function onread(this: StreamHandle, arrayBuffer: ArrayBuffer | undefined): void {
    const self = this._uwsgiNodeOwner as HandleSocket;
    const bridge = self.#bridge;
    const nread = bridge.readResult();
    if (nread > 0) {
      self.#bytesRead += nread;
      self.#onData(self, bridge.readBuffer(arrayBuffer!, nread));
      return;
    }
    if (nread === 0 || self.destroyed) return;
    // the client ended its side or the connection broke: as a net.Socket without allowHalfOpen,
    // what is being written still goes out, then the connection closes
    self.readable = false;
    this.readStop();
    if (nread !== -4095 /* UV_EOF */) {
      self.destroy(systemError(nread, "read"));
      return;
    }
    self.emit("end");
    if (self.#pendingWrites === 0 && self.#queue === null) self.destroy();
    else self.#closeWhenWritten = true;
  };

  get bytesRead(): number {
    return this.#real === null ? this.#bytesRead : this.#bytesRead + this.#real.bytesRead;
  }

  // --- writing -----------------------------------------------------------------------------------

  get bytesWritten(): number {
    if (this.#real !== null) return this.#real.bytesWritten;
    return (this._handle === null ? this.#bytesWrittenAtClose : this._handle.bytesWritten) + this.#queuedBytes;
  }

  get writableLength(): number {
    return this.#pendingBytes + this.#queuedBytes + (this.#real === null ? 0 : this.#real.writableLength);
  }

  get writableNeedDrain(): boolean {
    return this.#real === null ? this.#needDrain : this.#real.writableNeedDrain;
  }

  get writableCorked(): number {
    return this.#real === null ? this._writableState.corked : this.#real.writableCorked;
  }

  write(data: string | Uint8Array, encoding?: BufferEncoding | Callback | null, callback?: Callback): boolean {
    if (typeof encoding === "function") {
      callback = encoding;
      encoding = null;
    }
    if (this.#real !== null) return this.#real.write(data, encoding ?? "utf8", callback);
    const cb = callback ?? null;
    if (this.destroyed || this.writableEnded) {
      const err = Object.assign(new Error(this.destroyed ? "Cannot call write after a stream was destroyed" : "write after end"), {
        code: this.destroyed ? "ERR_STREAM_DESTROYED" : "ERR_STREAM_WRITE_AFTER_END",
      });
      if (cb !== null) process.nextTick(cb, err);
      return false;
    }
    if (typeof data !== "string" && !Buffer.isBuffer(data)) data = Buffer.from(data.buffer, data.byteOffset, data.byteLength);
    const enc = encoding ?? null;
    if (this._writableState.corked > 0) {
      (this.#queue ??= []).push({ data, encoding: enc, callback: cb });
      this.#queuedBytes += data.length;
    } else {
      this.#dispatch(data, enc, cb);
    }
    const ok = this.#pendingBytes + this.#queuedBytes < this.writableHighWaterMark;
    if (!ok) this.#needDrain = true;
    return ok;
  }

  cork(): void {
    if (this.#real !== null) this.#real.cork();
    else this._writableState.corked++;
  }

  uncork(): void {
    if (this.#real !== null) {
      this.#real.uncork();
      return;
    }
    if (this._writableState.corked === 0) return;
    if (--this._writableState.corked === 0 && this.#queue !== null) this.#flush();
  }

  end(data?: string | Uint8Array | Callback, encoding?: BufferEncoding | Callback, callback?: Callback): this {
    if (this.#real !== null) {
      this.#real.end(data as string, encoding as BufferEncoding, callback);
      return this;
    }
    if (typeof data === "function") {
      callback = data;
      data = undefined;
    } else if (typeof encoding === "function") {
      callback = encoding;
      encoding = undefined;
    }
    if (data !== undefined && data !== null) this.write(data, encoding as BufferEncoding | undefined);
    if (callback !== undefined) this.once("finish", callback);
    if (this.writableEnded) return this;
    this.writableEnded = true;
    if (this._writableState.corked > 0) {
      this._writableState.corked = 1;
      this.uncork();
    }
    if (this.#pendingWrites === 0) this.#finish();
    return this;
  }

  /** Everything written after end(): 'finish' on the next tick, then the connection closes. */
  #finish(): void {
    if (this.writableFinished) return;
    this.writableFinished = true;
    this.writable = false;
    process.nextTick(() => {
      this.emit("finish");
      this.destroy();
    });
  }

  /** The writes gathered while corked, as one write. */
  #flush(): void {
    const queue = this.#queue!;
    this.#queue = null;
    this.#queuedBytes = 0;
    const callbacks: Callback[] = [];
    const parts: Queued[] = [];
    for (const q of queue) {
      if (q.callback !== null) callbacks.push(q.callback);
      if (q.data.length > 0) parts.push(q);
    }
    const cbs: Callbacks = callbacks.length === 0 ? null : callbacks.length === 1 ? callbacks[0]! : callbacks;
    if (parts.length === 0) {
      if (cbs !== null) process.nextTick(callAll, cbs, null);
      return;
    }
    if (parts.length === 1) {
      this.#dispatch(parts[0]!.data, parts[0]!.encoding, cbs);
      return;
    }
    const first = parts[0]!;
    if (typeof first.data === "string" && isHandleEncoding(first.encoding) && parts.every((p) => typeof p.data === "string" && p.encoding === first.encoding)) {
      let text = "";
      for (const p of parts) text += p.data as string;
      this.#dispatch(text, first.encoding, cbs);
      return;
    }
    const buffers = parts.map((p) => (typeof p.data === "string" ? Buffer.from(p.data, p.encoding ?? "utf8") : (p.data as Buffer)));
    this.#dispatch(Buffer.concat(buffers), null, cbs);
  }

  /** One write to the handle. */
  #dispatch(data: string | Uint8Array, encoding: BufferEncoding | null, callbacks: Callbacks): void {
    const handle = this.#handle;
    const bridge = this.#bridge;
    const req = bridge.writeRequest(handle, HandleSocket.#onWritten);
    let err: number;
    if (typeof data !== "string") {
      err = handle.writeBuffer(req, data);
    } else if (encoding === "latin1" || encoding === "binary") {
      err = handle.writeLatin1String(req, data);
    } else if (encoding === null || encoding === "utf8" || encoding === "utf-8") {
      err = handle.writeUtf8String(req, data);
    } else {
      data = Buffer.from(data, encoding);
      err = handle.writeBuffer(req, data);
    }
    if (err !== 0) {
      const error = systemError(err, "write");
      if (callbacks !== null) process.nextTick(callAll, callbacks, error);
      this.destroy(error);
      return;
    }
    if (bridge.lastWriteWasSync()) {
      if (callbacks !== null) process.nextTick(callAll, callbacks, null);
      // a write that returned false while corked went out at once: 'drain' after its callbacks
      if (this.#needDrain && this.#pendingWrites === 0) process.nextTick(HandleSocket.#drained, this);
      return;
    }
    req.async = true;
    req.bytes = bridge.lastWriteBytes();
    req.data = data;
    req.callbacks = callbacks;
    this.#pendingBytes += req.bytes;
    this.#pendingWrites++;
  }

  /** Emits 'drain' if a write returned false and nothing is left to write. */
  static #drained(self: HandleSocket): void {
    if (!self.#needDrain || self.#pendingWrites > 0 || self.#queuedBytes > 0 || self.#real !== null || self.destroyed) return;
    self.#needDrain = false;
    self.emit("drain");
  }

  static #onWritten = function onWritten(this: WriteRequest, status: number): void {
    const self = this.handle._uwsgiNodeOwner as HandleSocket;
    self.#pendingBytes -= this.bytes;
    self.#pendingWrites--;
    this.data = null;
    if (status < 0) {
      const error = systemError(status, "write");
      callAll(this.callbacks as Callbacks, error);
      self.destroy(error);
      return;
    }
    callAll(this.callbacks as Callbacks, null);
    if (self.#pendingWrites > 0 || self.#real !== null) return;
    if (self.#closeWhenWritten && self.#queue === null) {
      self.destroy();
      return;
    }
    if (self.writableEnded) self.#finish();
    else if (self.#needDrain && self.#queuedBytes === 0) {
      self.#needDrain = false;
      self.emit("drain");
    }
  };

  // --- closing -----------------------------------------------------------------------------------

  destroy(err?: Error): this {
    if (this.#real !== null) {
      this.#real.destroy(err);
      return this;
    }
    if (this.destroyed) return this;
    this.destroyed = true;
    this.readable = false;
    this.writable = false;
    const handle = this.#handle;
    this.#bytesWrittenAtClose = handle.bytesWritten;
    this._handle = null;
    this.#queue = null;
    this.#queuedBytes = 0;
    this.#bridge.connectionClosed(this.server);
    if (err !== undefined && err !== null) {
      process.nextTick(() => {
        if (this.listenerCount("error") > 0) this.emit("error", err);
      });
    }
    const hadError = err !== undefined && err !== null;
    handle.close(() => this.emit("close", hadError));
    return this;
  }

  // --- addresses ---------------------------------------------------------------------------------

  #peer(): { address?: string; port?: number; family?: string } {
    if (this._peername === null) {
      const out: Record<string, unknown> = {};
      const handle = this._handle;
      if (handle !== null && typeof handle.getpeername === "function" && handle.getpeername(out) === 0) this._peername = out;
      else return {};
    }
    return this._peername;
  }

  get remoteAddress(): string | undefined {
    return this.#real === null ? this.#peer().address : this.#real.remoteAddress;
  }

  get remotePort(): number | undefined {
    return this.#real === null ? this.#peer().port : this.#real.remotePort;
  }

  get remoteFamily(): string | undefined {
    return this.#real === null ? this.#peer().family : this.#real.remoteFamily;
  }

  #local(): { address?: string; port?: number; family?: string } {
    const out: Record<string, unknown> = {};
    const handle = this._handle;
    if (handle !== null && typeof handle.getsockname === "function" && handle.getsockname(out) === 0) return out;
    return {};
  }

  get localAddress(): string | undefined {
    return this.#real === null ? (this.#local().address as string | undefined) : this.#real.localAddress;
  }

  get localPort(): number | undefined {
    return this.#real === null ? (this.#local().port as number | undefined) : this.#real.localPort;
  }

  get readyState(): string {
    return this.destroyed ? "closed" : "open";
  }

  isPaused(): boolean {
    return this.#real === null ? false : this.#real.isPaused();
  }

  // --- what needs a net.Socket ---------------------------------------------------------------------

  pause(): this {
    this.materialize().pause();
    return this;
  }

  resume(): this {
    this.materialize().resume();
    return this;
  }

  setTimeout(ms: number, callback?: () => void): this {
    this.materialize().setTimeout(ms, callback);
    return this;
  }

  setNoDelay(noDelay?: boolean): this {
    this.materialize().setNoDelay(noDelay);
    return this;
  }

  setKeepAlive(enable?: boolean, initialDelay?: number): this {
    this.materialize().setKeepAlive(enable, initialDelay);
    return this;
  }

  ref(): this {
    this.materialize().ref();
    return this;
  }

  unref(): this {
    this.materialize().unref();
    return this;
  }

  address(): ReturnType<net.Socket["address"]> {
    return this.materialize().address();
  }

  unshift(chunk: Buffer): void {
    this.materialize().unshift(chunk);
  }

  read(size?: number): unknown {
    return this.materialize().read(size);
  }

  setEncoding(encoding: BufferEncoding): this {
    this.materialize().setEncoding(encoding);
    return this;
  }

  pipe<T extends NodeJS.WritableStream>(destination: T, options?: { end?: boolean }): T {
    return this.materialize().pipe(destination, options);
  }

  resetAndDestroy(): this {
    this.materialize().resetAndDestroy();
    return this;
  }

  destroySoon(): void {
    (this.materialize() as net.Socket & { destroySoon(): void }).destroySoon();
  }
}
