/**
 * One request/reply exchange with another node over a fresh connection, as uWSGI's own client
 * does: connect, write the request, read until the reply is complete or the peer closes, all
 * within the socket timeout.
 * @module
 */
import { Buffer } from "node:buffer";
import { connect as netConnect } from "node:net";
import { parseSocketAddress } from "../module/socket-functions.js";

/** An incremental reply decoder (the protocol layer's response readers fit). */
export interface ReplyReader<T> {
  push(chunk: Buffer): void;
  result(): T | null;
  finish(): T;
}

/** Why an exchange gave no reply. */
export type ExchangeFailure = "unreachable" | "timeout" | "no-reply" | "malformed";

/** The reply, or the reason there is none. */
export type ExchangeResult<T> = { ok: true; value: T } | { ok: false; reason: ExchangeFailure; error?: unknown };

/** Where an address points. */
type Target = ReturnType<typeof parseSocketAddress>;

/** Addresses already parsed, at most {@link MAX_TARGETS} (cleared when full). */
const targets = new Map<string, Target>();
const MAX_TARGETS = 1024;

function targetOf(address: string): Target {
  let target = targets.get(address);
  if (target === undefined) {
    target = parseSocketAddress(address);
    if (targets.size >= MAX_TARGETS) targets.clear();
    targets.set(address, target);
  }
  return target;
}

/**
 * Sends `request` to `address` and decodes the reply with `reader`. The request is written at
 * once (the socket holds it until it connects) and one timer bounds the whole exchange, connecting
 * included: a connection per call is most of what such a call costs, so it gets no promise, await
 * or timer of its own.
 * A peer that closes without a complete reply (uWSGI's way of saying "miss" or "failed") gives
 * `no-reply`; a refused or broken connection `unreachable`; no complete reply within `timeoutMs`
 * (0: no limit) `timeout`. Network failures never throw.
 * @throws UwsgiError `UWSGI_ERR_INVALID_ARGUMENT` (as a rejection) when `address` is not an address.
 */
export function exchange<T>(address: string, request: Buffer, reader: ReplyReader<T>, timeoutMs: number): Promise<ExchangeResult<T>> {
  let target: Target;
  try {
    target = targetOf(address);
  } catch (error) {
    return Promise.reject(error);
  }
  return new Promise((resolve) => {
    const sock = "path" in target ? netConnect({ path: target.path }) : netConnect({ host: target.host, port: target.port });
    let settled = false;
    let received = 0;
    const done = (r: ExchangeResult<T>) => {
      if (settled) return;
      settled = true;
      if (timer !== null) clearTimeout(timer);
      sock.destroy();
      resolve(r);
    };
    const timer = timeoutMs > 0 ? setTimeout(() => done({ ok: false, reason: "timeout" }), timeoutMs) : null;
    sock.on("data", (chunk: Buffer) => {
      received += chunk.length;
      try {
        reader.push(chunk);
        const value = reader.result();
        if (value !== null) done({ ok: true, value });
      } catch (error) {
        done({ ok: false, reason: "malformed", error });
      }
    });
    sock.on("end", () => {
      if (received === 0) return done({ ok: false, reason: "no-reply" });
      try {
        done({ ok: true, value: reader.finish() });
      } catch (error) {
        done({ ok: false, reason: "no-reply", error });
      }
    });
    sock.on("error", (error) => done({ ok: false, reason: "unreachable", error }));
    sock.write(request);
  });
}

/** Reads a bare 4-byte reply header (status replies of signal and spool requests). */
export class HeaderReplyReader implements ReplyReader<Buffer> {
  #buf = Buffer.alloc(0);
  push(chunk: Buffer): void {
    this.#buf = Buffer.concat([this.#buf, chunk]);
  }
  result(): Buffer | null {
    return this.#buf.length >= 4 ? this.#buf.subarray(0, 4) : null;
  }
  finish(): Buffer {
    const r = this.result();
    if (!r) throw new Error(`short reply: ${this.#buf.length} of 4 header bytes`);
    return r;
  }
}
