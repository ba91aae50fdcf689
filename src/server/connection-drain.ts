/**
 * Graceful stop of a worker's connections. Once the worker stops accepting, every response it
 * still sends says `Connection: close`; connections closed by their client go away; keep-alive
 * connections left idle are closed only after a grace period (a client that is about to
 * send its next request gets it answered, with `Connection: close`, instead of a reset); and the
 * worker exits when no connection is left.
 * @module
 */
import type { Socket } from "node:net";
import { IntrusiveList } from "../core/intrusive-list.js";
import { byteCounterOf, handleBytesWritten } from "../core/node-internals.js";
import type { VarsSizeCache } from "./cgi-env.js";

/**
 * How long a connection may stay idle once draining has started before it is closed (ms): Node's
 * default keep-alive timeout, so a drain never closes an idle connection sooner than the server
 * would have anyway (closing one races with a client sending its next request on it).
 */
export const IDLE_GRACE_MS = 5000;
const CHECK_MS = 50;

/**
 * What the drain keeps per connection, in an {@link IntrusiveList} (a `Set` of sockets did the
 * same job, but under load made the young generation promote over twice as many bytes per
 * scavenge).
 */
export class TrackedConnection implements VarsSizeCache {
  /** The connection (changes once when a uwsgi connection served on its handle is handed to a net.Socket). */
  socket: Socket;
  readonly drain: ConnectionDrain;
  /** Requests in progress on the connection. */
  active = 0;
  /**
   * The socket's `bytesWritten` at the end of its last request (the request runner's, kept here
   * so that the socket gets no property of ours after its first one: a socket whose shape changes
   * in mid-life makes Node's own code on sockets polymorphic).
   */
  txMark = 0;
  /** `Date.now()` when the connection last became idle (its accept time until a first request). */
  idleSince: number;
  /** `bytesRead` when the body-stall check last saw it change (ConnectionWatch). */
  stallBytes = 0;
  /** `Date.now()` since which no body byte arrived; 0 while not receiving a body (ConnectionWatch). */
  stallSince = 0;
  /**
   * The socket handle's byte counter, read once (node-internals.ts): `socket._handle` is a getter
   * doing a symbol-keyed load that V8 leaves to the generic megamorphic stub, and the runner reads
   * the bytes written after every request (see {@link bytesWrittenOf}).
   */
  readonly handle: { readonly bytesWritten?: unknown } | null;
  /** The request log's `{N vars in M bytes}` parts that stay with the connection (cgi-env.ts's cgiEnvSize). */
  varsPeerBytes = -1;
  varsHost = "";
  varsHostBytes = 0;
  prev: TrackedConnection | null = null;
  next: TrackedConnection | null = null;

  constructor(socket: Socket, drain: ConnectionDrain, now: number) {
    this.socket = socket;
    this.drain = drain;
    this.idleSince = now;
    this.handle = byteCounterOf(socket);
  }
}

/**
 * Bytes written to a tracked connection so far: what `socket.bytesWritten` returns, without its
 * cost when nothing is buffered (the usual case once a response is over). The getter copies the
 * write buffer into a new array and reads the handle through the `_handle` getter; with an empty
 * buffer its answer is the handle's own count. A count not above `txMark` (a handle already
 * released reads 0) takes the getter.
 */
export function bytesWrittenOf(tracked: TrackedConnection): number {
  const socket = tracked.socket;
  if (tracked.handle !== null && socket.writableLength === 0) {
    const written = handleBytesWritten(tracked.handle);
    if (written > tracked.txMark) return written;
  }
  return socket.bytesWritten ?? tracked.txMark;
}

/**
 * A socket with its tracking. A named property, not a symbol: V8 (Node 20) does not fold a symbol
 * held in a module constant into the load, so `socket[SYMBOL]` on every request went through the
 * generic keyed-load stub.
 */
type Tracked = Socket & { _uwsgiNodeTracking?: TrackedConnection };

/** The 'close' listener of every tracked socket. */
function onTrackedClose(this: Tracked): void {
  const tracked = this._uwsgiNodeTracking;
  if (tracked !== undefined) tracked.drain.forget(tracked);
}

/** The open connections of one worker. */
export class ConnectionDrain {
  readonly #connections = new IntrusiveList<TrackedConnection>();
  #draining = false;
  #timer: NodeJS.Timeout | null = null;
  #onEmpty: (() => void) | null = null;
  /** Called when a connection is tracked while none was open (a sweep that stopped when idle starts again). */
  onFirstConnection: (() => void) | null = null;

  /** True once draining has started: responses must close their connection. */
  get draining(): boolean {
    return this.#draining;
  }

  /** Open connections. */
  get size(): number {
    return this.#connections.size;
  }

  /**
   * Starts tracking a new connection (once; later calls return the same tracking). With
   * `listenClose` false the caller promises to call {@link forgetSocket} when the socket closes
   * (one `'close'` listener per connection instead of two).
   */
  track(socket: Socket, listenClose = true): TrackedConnection {
    const s = socket as Tracked;
    const known = s._uwsgiNodeTracking;
    if (known !== undefined) return known;
    const tracked = new TrackedConnection(s, this, Date.now());
    this.#connections.append(tracked);
    if (this.#connections.size === 1) this.onFirstConnection?.();
    s._uwsgiNodeTracking = tracked;
    if (listenClose) s.on("close", onTrackedClose);
    return tracked;
  }

  /** Stops tracking a socket that has closed (for sockets tracked with `listenClose` false). */
  forgetSocket(socket: Socket): void {
    const tracked = (socket as Tracked)._uwsgiNodeTracking;
    if (tracked !== undefined) tracked.drain.forget(tracked);
  }

  /**
   * The connection tracked as `from` goes on as `to` (a uwsgi connection served on its handle,
   * handed over to a net.Socket on the same handle): same tracking, same counts.
   */
  moveSocket(from: Socket, to: Socket): void {
    const tracked = (from as Tracked)._uwsgiNodeTracking;
    if (tracked === undefined) return;
    tracked.socket = to;
    (to as Tracked)._uwsgiNodeTracking = tracked;
  }

  /** Stops tracking a closed connection (its 'close' listener calls this). */
  forget(tracked: TrackedConnection): void {
    if (tracked.drain !== this || !this.#connections.has(tracked)) return;
    this.#connections.remove(tracked);
    if (this.#draining) this.#check();
  }

  /** A request started on `socket` (tracked from now on if it was not); hand its tracking back to {@link requestEnded}. */
  requestStarted(socket: Socket): TrackedConnection {
    const tracked = (socket as Tracked)._uwsgiNodeTracking ?? this.track(socket);
    tracked.active++;
    return tracked;
  }

  /** A request on the connection is over (at `now`, `Date.now()` when not given). */
  requestEnded(tracked: TrackedConnection, now: number = Date.now()): void {
    if (tracked.active > 0) tracked.active--;
    tracked.idleSince = now;
    if (this.#draining) this.#check();
  }

  /** Calls `fn` for every open connection (periodic checks; `fn` may destroy the socket). */
  each(fn: (tracked: TrackedConnection) => void): void {
    for (let t = this.#connections.first; t !== null; ) {
      const next = this.#connections.next(t);
      fn(t);
      t = next;
    }
  }

  /** Starts draining; `onEmpty` runs once every connection is gone. */
  drain(onEmpty: () => void): void {
    if (this.#draining) return;
    this.#draining = true;
    this.#onEmpty = onEmpty;
    this.#timer = setInterval(() => this.#check(), CHECK_MS);
    this.#check();
  }

  /** Drops every connection at once. */
  destroyAll(): void {
    for (let t = this.#connections.first; t !== null; ) {
      const next = this.#connections.next(t); // destroy() may unlink t before its 'close'
      t.socket.destroy();
      t = next;
    }
  }

  #check(): void {
    const now = Date.now();
    for (let t = this.#connections.first; t !== null; t = this.#connections.next(t)) {
      if (t.active === 0 && now - t.idleSince >= IDLE_GRACE_MS) t.socket.destroy();
    }
    if (this.#connections.size === 0 && this.#onEmpty) {
      const done = this.#onEmpty;
      this.#onEmpty = null;
      if (this.#timer) clearInterval(this.#timer);
      done();
    }
  }
}
