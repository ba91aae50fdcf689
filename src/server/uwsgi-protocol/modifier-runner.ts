/**
 * Runs the handler of a non-HTTP modifier1 (ping, RPC, cache, signals, spooling ...) on the
 * connection its packet came on: the handler gets the packet and the paused socket, may read
 * more bytes ({@link ModifierRequest.readBytes}) and write its answer; then the connection is
 * ended (or, kept by a handler, waits for its next packet), or destroyed when the handler failed.
 * @module
 */
import { Buffer } from "node:buffer";
import type net from "node:net";
import type { RateLimitedLog } from "../../core/rate-limited-log.js";
import type { UwsgiPacket } from "../../protocol/packet.js";
import type { ModifierEntry, ModifierRequest } from "./modifier-handlers.js";
import { type UwsgiConnection, type UwsgiSocket, describeError, elapsedMicros, peerOf } from "./uwsgi-connection.js";
import type { UwsgiRequestEvent, UwsgiResponseEvent } from "./uwsgi-events.js";

/** What the runner needs from its server. */
export interface ModifierRunnerSettings {
  /** Lines about a client's request (a failing handler, what a handler logs), rate-limited per kind. */
  readonly limitedLog: RateLimitedLog;
  readonly readTimeoutMs: number;
  readonly onRequest?: ((event: UwsgiRequestEvent) => void) | undefined;
  readonly onResponse?: ((event: UwsgiResponseEvent) => void) | undefined;
  /** A handler kept the connection (`keepOpen`): the server waits for its next packet. */
  readonly rearm: (socket: UwsgiSocket, conn: UwsgiConnection) => void;
}

/** Runs `entry`'s handler for `packet`; `rest` is what arrived after the packet. */
export function runModifier(settings: ModifierRunnerSettings, socket: UwsgiSocket, conn: UwsgiConnection, entry: ModifierEntry, packet: UwsgiPacket, rest: Buffer): void {
  const { limitedLog, readTimeoutMs } = settings;
  socket.pause();
  if (rest.length > 0) socket.unshift(rest);
  const kept = conn.keep !== null;
  // the request events' bookkeeping only when someone listens (bytesWritten walks the write queue)
  const accounted = entry.accounted && (settings.onRequest !== undefined || settings.onResponse !== undefined);
  const started = accounted ? process.hrtime.bigint() : 0n;
  const txStart = accounted && kept ? socket.bytesWritten : 0;
  const event: UwsgiRequestEvent | null = accounted ? { modifier1: packet.modifier1, modifier2: packet.modifier2, env: null } : null;
  if (event !== null) settings.onRequest?.(event);
  const finish = (error?: unknown) => {
    if (error !== undefined) {
      limitedLog.line(`handler-failed:${packet.modifier1}`, `uwsgi: modifier1 ${packet.modifier1} handler failed for ${peerOf(socket)}: ${describeError(error)}`);
      socket.destroy();
    } else if (conn.keep !== null && !socket.destroyed) {
      settings.rearm(socket, conn);
    } else if (!socket.destroyed) {
      socket.end();
      socket.resume(); // discard whatever the client still sends until it closes
      socket.setTimeout(readTimeoutMs, () => socket.destroy());
    }
    if (event !== null) {
      settings.onResponse?.({
        ...event,
        status: 0,
        txBytes: socket.bytesWritten - txStart,
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
    // what a handler logs is about its client's request (a refused spool task, a bad signal ...)
    log: (line) => limitedLog.line(`modifier:${packet.modifier1}`, line),
    kept,
    keepOpen: (idleMs, farewell) => {
      conn.keep ??= { idleMs, farewell };
    },
  };
  try {
    const result = entry.handler(request);
    if (result instanceof Promise) result.then(() => finish(), (err: unknown) => finish(err ?? new Error("rejected")));
    else finish();
  } catch (err) {
    finish(err ?? new Error("thrown"));
  }
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
