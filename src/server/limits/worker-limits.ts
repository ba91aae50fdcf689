/**
 * The limits of one worker, in one object the worker entry calls from a few lines: HTTP server
 * deadlines, `--limit-post` on HTTP, the per-worker connection cap, and the sweep for silent
 * connections and stalled HTTP bodies. Its log lines are rate-limited (a client can repeat them
 * at will).
 * @module
 */
import type { RequestListener, Server as HttpServer } from "node:http";
import type { Socket } from "node:net";
import { RateLimitedLog } from "../../core/rate-limited-log.js";
import type { ConnectionDrain } from "../connection-drain.js";
import { ConnectionWatch } from "./connection-watch.js";
import { applyHttpLimits } from "./http-limits.js";
import type { LimitSettings } from "./limit-settings.js";
import { openFileLimit } from "./limit-settings.js";
import { withPostLimit } from "./post-limit.js";

/** A worker's limits. */
export class WorkerLimits {
  readonly settings: LimitSettings;
  readonly log: RateLimitedLog;
  readonly #drain: ConnectionDrain;
  readonly #watch: ConnectionWatch;
  readonly #workerId: number;

  constructor(settings: LimitSettings, drain: ConnectionDrain, workerId: number, write: (line: string) => void) {
    this.settings = settings;
    this.log = new RateLimitedLog(write);
    this.#drain = drain;
    this.#workerId = workerId;
    this.#watch = new ConnectionWatch(drain, settings.socketTimeoutMs, this.log);
  }

  /** Starts the sweep once the sockets listen. */
  start(): void {
    this.#watch.start();
  }

  /** The HTTP server's deadlines, and its request listener with `--limit-post` when set. */
  http(http: HttpServer, listener: RequestListener): RequestListener {
    applyHttpLimits(http, this.settings);
    return this.settings.limitPost > 0 ? withPostLimit(listener, this.settings.limitPost, this.log) : listener;
  }

  /**
   * Checks a new connection against the cap: false (the socket destroyed, the drop logged) when
   * the worker already holds `--max-connections` (by default what the open-file limit allows:
   * beyond it accept() fails with EMFILE, which libuv hides).
   */
  admit(socket: Socket): boolean {
    const max = this.settings.maxConnections;
    if (max === 0 || this.#drain.size < max) return true;
    const limit = openFileLimit();
    this.log.line(
      "max-connections",
      `worker ${this.#workerId}: ${this.#drain.size} connections open, the limit is ${max} (--max-connections${limit === null ? "" : `; open-file limit ${limit}, EMFILE beyond it`}): closing a new connection from ${socket.remoteAddress ?? "a unix socket client"}`,
    );
    socket.destroy();
    return false;
  }
}
