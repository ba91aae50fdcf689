/**
 * Per-read deadlines that cost nothing per request: one unref'd sweep, a few times per
 * `--socket-timeout` while connections are open (none while the worker is idle), over a worker's open connections (the {@link ConnectionDrain}'s list):
 * - a new connection that sent nothing within the timeout is closed;
 * - an HTTP request whose body stops arriving (no byte read for the timeout while the app is
 *   ready for more: the socket is not paused by backpressure) is aborted and its connection
 *   closed, as uWSGI's `timeout during read(0) on wsgi.input`. A slow but steady upload is not.
 *
 * HTTP header blocks are timed by Node's own checker ({@link applyHttpLimits}); uwsgi packets and
 * bodies by the uwsgi protocol server.
 * @module
 */
import type { Socket } from "node:net";
import type { IncomingMessage } from "node:http";
import type { ConnectionDrain, TrackedConnection } from "../connection-drain.js";
import type { RateLimitedLog } from "../../core/rate-limited-log.js";
import { UwsgiError } from "../../errors.js";
import { BusyInterval } from "../../core/busy-interval.js";

type HttpSocket = Socket & { parser?: { incoming?: IncomingMessage | null } | null };

/** Sweeps a worker's connections for silent newcomers and stalled HTTP bodies. */
export class ConnectionWatch {
  readonly #drain: ConnectionDrain;
  readonly #timeoutMs: number;
  readonly #log: RateLimitedLog;
  readonly #sweeper: BusyInterval;

  constructor(drain: ConnectionDrain, timeoutMs: number, log: RateLimitedLog) {
    this.#drain = drain;
    this.#timeoutMs = timeoutMs;
    this.#log = log;
    this.#sweeper = new BusyInterval(Math.max(100, Math.floor(timeoutMs / 4)), () => this.sweep(), () => this.#drain.size > 0);
  }

  /**
   * Starts watching (unref'd: it never keeps the worker alive). The sweep runs only while
   * connections are open: an idle worker arms no timer for it.
   */
  start(): void {
    this.#drain.onFirstConnection = () => this.#sweeper.arm();
    if (this.#drain.size > 0) this.#sweeper.arm();
  }

  stop(): void {
    this.#drain.onFirstConnection = null;
    this.#sweeper.disarm();
  }

  /** Whether the sweep timer is armed (connections are open). */
  get armed(): boolean {
    return this.#sweeper.armed;
  }

  /** One pass (exposed for tests); the timer stops once no connection is left. */
  sweep(now: number = Date.now()): void {
    this.#drain.each((t) => this.#check(t, now));
    if (this.#drain.size === 0) this.#sweeper.disarm();
  }

  #check(t: TrackedConnection, now: number): void {
    const socket = t.socket as HttpSocket;
    if (socket.destroyed) return;
    const bytes = socket.bytesRead;
    if (t.active === 0) {
      if (bytes === 0 && now - t.idleSince >= this.#timeoutMs) {
        this.#drop(socket, "silent", `no request within ${this.#timeoutMs} ms of connecting`);
      }
      return;
    }
    const incoming = socket.parser?.incoming;
    if (incoming == null || incoming.complete || socket.isPaused()) {
      t.stallSince = 0;
      return;
    }
    if (t.stallSince === 0 || bytes !== t.stallBytes) {
      t.stallBytes = bytes;
      t.stallSince = now;
      return;
    }
    if (now - t.stallSince >= this.#timeoutMs) {
      this.#drop(socket, "body", `timeout during read of the request body: no data for ${this.#timeoutMs} ms (${incoming.method} ${JSON.stringify(incoming.url)})`, incoming);
    }
  }

  #drop(socket: Socket, key: string, why: string, request?: IncomingMessage): void {
    const address = socket.remoteAddress;
    this.#log.line(`timeout:${key}`, `http: ${why} from ${address === undefined ? "a unix socket client" : `${address}:${socket.remotePort ?? "?"}`}, closing the connection`);
    // the app reading the body gets a coded error, not a bare 'aborted'
    if (request !== undefined && !request.destroyed) request.destroy(new UwsgiError("UWSGI_ERR_BODY_TIMEOUT", this.#timeoutMs));
    socket.destroy();
  }
}
