/**
 * Graceful stop of a worker's connections. Once the worker stops accepting, every response it
 * still sends says `Connection: close`; connections closed by their client go away; keep-alive
 * connections left idle are closed only after a grace period (a client that is about to
 * send its next request gets it answered, with `Connection: close`, instead of a reset); and the
 * worker exits when no connection is left.
 * @module
 */
import type { Socket } from "node:net";

/**
 * How long a connection may stay idle once draining has started before it is closed (ms): Node's
 * default keep-alive timeout, so a drain never closes an idle connection sooner than the server
 * would have anyway (closing one races with a client sending its next request on it).
 */
export const IDLE_GRACE_MS = 5000;
const CHECK_MS = 50;

const ACTIVE = Symbol("uwsgi-node.activeRequests");
const IDLE_SINCE = Symbol("uwsgi-node.idleSince");

type Tracked = Socket & { [ACTIVE]?: number; [IDLE_SINCE]?: number };

/** The open connections of one worker. */
export class ConnectionDrain {
  readonly #sockets = new Set<Tracked>();
  #draining = false;
  #timer: NodeJS.Timeout | null = null;
  #onEmpty: (() => void) | null = null;

  /** True once draining has started: responses must close their connection. */
  get draining(): boolean {
    return this.#draining;
  }

  /** Open connections. */
  get size(): number {
    return this.#sockets.size;
  }

  /** Starts tracking a new connection. */
  track(socket: Socket): void {
    const s = socket as Tracked;
    s[ACTIVE] = 0;
    s[IDLE_SINCE] = Date.now();
    this.#sockets.add(s);
    s.once("close", () => {
      this.#sockets.delete(s);
      if (this.#draining) this.#check();
    });
  }

  /** A request started on `socket`. */
  requestStarted(socket: Socket): void {
    const s = socket as Tracked;
    s[ACTIVE] = (s[ACTIVE] ?? 0) + 1;
  }

  /** A request on `socket` is over. */
  requestEnded(socket: Socket): void {
    const s = socket as Tracked;
    s[ACTIVE] = Math.max(0, (s[ACTIVE] ?? 1) - 1);
    s[IDLE_SINCE] = Date.now();
    if (this.#draining) this.#check();
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
    for (const s of this.#sockets) s.destroy();
  }

  #check(): void {
    const now = Date.now();
    for (const s of this.#sockets) {
      if ((s[ACTIVE] ?? 0) === 0 && now - (s[IDLE_SINCE] ?? 0) >= IDLE_GRACE_MS) s.destroy();
    }
    if (this.#sockets.size === 0 && this.#onEmpty) {
      const done = this.#onEmpty;
      this.#onEmpty = null;
      if (this.#timer) clearInterval(this.#timer);
      done();
    }
  }
}
