/**
 * Kept RPC connections to other nodes (see protocol/rpc-keepalive.ts): per address, the idle
 * connections a process can send its next call on, and whether the node keeps connections at
 * all (real uWSGI does not: calls to it use a connection each).
 * @module
 */
import { Buffer } from "node:buffer";
import type { Socket } from "node:net";
import { openConnection } from "../module/socket-functions.js";
import { RpcModifier2, rpcResponseTrailerLength } from "../protocol/messages.js";
import { RPC_FAREWELL, RPC_KEEP, RPC_KEEP_REQUEST } from "../protocol/rpc-keepalive.js";
import type { ExchangeResult } from "./uwsgi-exchange.js";

/** What a call on a kept connection gave: a reply, a failure, or "send it again elsewhere". */
export type KeptCallResult = ExchangeResult<Buffer> | { ok: false; reason: "farewell" | "not-kept" };

/** Idle connections kept per address at most (more calls at once open more, closed after use). */
const MAX_IDLE_PER_ADDRESS = 16;
/** How long an address whose node does not keep connections is called one connection a call (ms). */
const NOT_KEPT_RETRY_MS = 60_000;

/** One kept connection: one call at a time. */
class KeptConnection {
  #buf: Buffer = Buffer.alloc(0);
  /** The keep acknowledgement arrived. */
  #acked = false;
  /** Receives the pending call's result. */
  #pending: ((r: KeptCallResult) => void) | null = null;
  /**
   * The pending call's deadline (Date.now() ms, 0 = none), checked by one timer armed at most
   * once per timeout period and re-armed when it fires early: a timer per call cost more than
   * the call's own bytes. The timer does not hold the process (the socket does, during a call).
   */
  #deadline = 0;
  #timer: NodeJS.Timeout | null = null;
  /** When the armed timer fires (Date.now() ms). */
  #timerDue = 0;
  closed = false;

  constructor(
    readonly socket: Socket,
    private readonly onGone: (c: KeptConnection) => void,
  ) {
    socket.setNoDelay(true);
    socket.on("data", (chunk: Buffer) => this.#onData(chunk));
    socket.on("error", () => undefined);
    socket.on("close", () => this.#onClose());
  }

  /**
   * Sends `request` (preceded by the keep request on a new connection); `done` gets its reply or
   * failure. A callback, not a promise: the caller's one promise carries the call.
   */
  send(request: Buffer, timeoutMs: number, first: boolean, done: (r: KeptCallResult) => void): void {
    this.#pending = done;
    if (timeoutMs > 0) {
      this.#deadline = Date.now() + timeoutMs;
      // a timer due after this deadline (a shorter timeout than before) is replaced
      if (this.#timer !== null && this.#timerDue > this.#deadline) this.#stopTimer();
      if (this.#timer === null) this.#armTimer(timeoutMs);
    } else this.#deadline = 0;
    this.socket.write(first ? Buffer.concat([RPC_KEEP_REQUEST, request]) : request);
  }

  #armTimer(ms: number): void {
    this.#timerDue = Date.now() + ms;
    this.#timer = setTimeout(() => this.#checkDeadline(), ms).unref();
  }

  #stopTimer(): void {
    if (this.#timer !== null) {
      clearTimeout(this.#timer);
      this.#timer = null;
    }
  }

  #checkDeadline(): void {
    this.#timer = null;
    if (this.#pending === null || this.#deadline === 0) return;
    const left = this.#deadline - Date.now();
    if (left > 0) this.#armTimer(left);
    else this.#settle({ ok: false, reason: "timeout" }, true);
  }

  #settle(result: KeptCallResult, broken: boolean): void {
    const resolve = this.#pending;
    this.#pending = null;
    if (broken) this.close();
    resolve?.(result);
  }

  close(): void {
    if (!this.closed) {
      this.closed = true;
      this.onGone(this);
    }
    this.#stopTimer();
    this.socket.destroy();
  }

  #onData(chunk: Buffer): void {
    this.#buf = this.#buf.length === 0 ? chunk : Buffer.concat([this.#buf, chunk]);
    for (;;) {
      const buf = this.#buf;
      if (buf.length < 4) return;
      const size = buf[1]! | (buf[2]! << 8);
      const m2 = buf[3]!;
      if (buf[0] !== 173) return this.#settle({ ok: false, reason: "malformed" }, true);
      if (m2 === RPC_FAREWELL) {
        // the server closes this idle connection; a call sent meanwhile was not read
        this.#settle({ ok: false, reason: "farewell" }, true);
        this.close();
        return;
      }
      if (buf.length < 4 + size) return;
      if (m2 === RPC_KEEP) {
        this.#acked = true;
        this.#buf = buf.subarray(4 + size);
        continue;
      }
      let trailer = 0;
      try {
        trailer = rpcResponseTrailerLength(m2, buf.subarray(4, 4 + size));
      } catch (error) {
        return this.#settle({ ok: false, reason: "malformed", error }, true);
      }
      if (buf.length < 4 + size + trailer) return;
      const value = m2 === RpcModifier2.LARGE_RESPONSE ? buf.subarray(4 + size, 4 + size + trailer) : buf.subarray(4, 4 + size);
      this.#buf = buf.subarray(4 + size + trailer);
      if (this.#buf.length === 0) this.#buf = Buffer.alloc(0);
      this.#settle({ ok: true, value }, !this.#acked);
      return;
    }
  }

  #onClose(): void {
    if (!this.closed) {
      this.closed = true;
      this.onGone(this);
    }
    // closed before the acknowledgement: a node that keeps no connection (real uWSGI)
    if (this.#pending) this.#settle(this.#acked ? { ok: false, reason: "no-reply" } : { ok: false, reason: "not-kept" }, false);
  }
}

interface AddressState {
  readonly idle: KeptConnection[];
  /** The node keeps no connection: until this time (ms), call it a connection a call. */
  notKeptUntil: number;
}

/** The kept connections of one process. */
export class KeptRpcConnections {
  readonly #addresses = new Map<string, AddressState>();

  #state(address: string): AddressState {
    let s = this.#addresses.get(address);
    if (!s) {
      s = { idle: [], notKeptUntil: 0 };
      this.#addresses.set(address, s);
    }
    return s;
  }

  /** False while `address` is known to keep no connection (then call it the uWSGI way). */
  usable(address: string): boolean {
    const s = this.#addresses.get(address);
    return !s || s.notKeptUntil <= Date.now();
  }

  /**
   * Calls on an idle kept connection to `address`, else on a new one. A call the server did not
   * read (farewell) goes again on a new connection; "not-kept" means the node keeps none: the
   * caller sends the call on a connection of its own.
   */
  call(address: string, request: Buffer, timeoutMs: number): Promise<KeptCallResult> {
    const state = this.#state(address);
    return new Promise((resolve) => this.#send(state, address, request, timeoutMs, resolve));
  }

  #send(state: AddressState, address: string, request: Buffer, timeoutMs: number, resolve: (r: KeptCallResult) => void): void {
    let conn = state.idle.pop();
    while (conn !== undefined && conn.closed) conn = state.idle.pop();
    if (conn !== undefined) {
      const kept = conn;
      kept.socket.ref();
      kept.send(request, timeoutMs, false, (r) => {
        if (!r.ok && r.reason === "farewell") return this.#send(state, address, request, timeoutMs, resolve);
        this.#release(state, kept);
        resolve(r);
      });
      return;
    }
    openConnection(address, timeoutMs).then(
      (socket) => {
        const fresh = new KeptConnection(socket, (c) => {
          const i = state.idle.indexOf(c);
          if (i >= 0) state.idle.splice(i, 1);
        });
        fresh.send(request, timeoutMs, true, (r) => {
          if (!r.ok && r.reason === "not-kept") state.notKeptUntil = Date.now() + NOT_KEPT_RETRY_MS;
          else this.#release(state, fresh);
          resolve(r);
        });
      },
      (error: unknown) => resolve({ ok: false, reason: "unreachable", error }),
    );
  }

  #release(state: AddressState, conn: KeptConnection): void {
    if (conn.closed) return;
    if (state.idle.length >= MAX_IDLE_PER_ADDRESS) {
      conn.close();
      return;
    }
    // an idle connection does not keep the process alive
    conn.socket.unref();
    state.idle.push(conn);
  }
}
