/**
 * The state of one connection of the uwsgi protocol socket (one packet, one request), shared by
 * the packet reader (uwsgi-protocol-server.ts), the HTTP exchange (http-exchange.ts) and the
 * modifier handlers' runner (modifier-runner.ts).
 * @module
 */
import type { IncomingMessage, ServerResponse } from "node:http";
import type net from "node:net";
import { isUwsgiError } from "../../errors.js";
import type { PacketReader } from "../../protocol/packet-reader.js";
import type { DeadlineLinks } from "./read-deadlines.js";

/** Where a connection is in its one request. */
export const enum Phase {
  /** Reading the uwsgi packet. */
  Packet,
  /** The application runs; body bytes go into the request. */
  Body,
  /** The whole body was delivered (bytes beyond CONTENT_LENGTH are dropped). */
  BodyDone,
  /** The socket belongs to a modifier handler, or is closing. */
  Elsewhere,
}

/** The state of one connection, kept on its socket. */
export class UwsgiConnection implements DeadlineLinks {
  /**
   * The connection: its handle's own connection object (handle-socket.ts) while it serves, or the
   * net.Socket it was handed over to (a packet in pieces, a body, another modifier).
   */
  socket: UwsgiSocket;
  phase = Phase.Packet;
  /** Assembles a packet that did not arrive in one chunk. */
  reader: PacketReader | null = null;
  /** Bytes received while reading the packet. */
  received = 0;
  /** Body bytes still to come. */
  remaining = 0;
  req: IncomingMessage | null = null;
  res: ServerResponse | null = null;
  /** The response is complete. */
  answered = false;
  /** Bytes after the body were reported. */
  extraReported = false;
  /** Body stall check: `bytesRead` when last seen changing, and since when (ms) it has not. */
  stallBytes = 0;
  stallSince = 0;
  /** A handler kept the connection for further packets (see `ModifierRequest.keepOpen`). */
  keep: { readonly idleMs: number; readonly farewell: Buffer } | null = null;
  /**
   * Closes a kept connection left idle: armed once and re-armed only when it fires early (a
   * timer per packet cost a kept RPC connection more than its reply).
   */
  idleTimer: NodeJS.Timeout | null = null;
  /** When the kept connection last went idle (Date.now()), 0 while it serves a packet. */
  idleSince = 0;
  // the packet's read deadline (ReadDeadlines), then the body watch's list
  prev: DeadlineLinks | null = null;
  next: DeadlineLinks | null = null;
  deadlineAt = 0;

  constructor(socket: UwsgiSocket) {
    this.socket = socket;
  }
}

export type UwsgiSocket = net.Socket & {
  /**
   * The connection's state. A named property, not a symbol: V8 (Node 20) does not fold a symbol
   * held in a module constant into the load, so every `socket[SYMBOL]` went through the generic
   * keyed-load stub (over a hundred instructions), several times per request.
   */
  _uwsgiNodeConnection?: UwsgiConnection;
  encrypted?: boolean;
};

/** `address:port` of the connection's peer for log lines (the client's, once REMOTE_ADDR is known). */
export function peerOf(socket: net.Socket): string {
  const address = socket.remoteAddress;
  return address === undefined ? "a unix socket client" : `${address}:${socket.remotePort ?? "?"}`;
}

export const elapsedMicros = (since: bigint): number => Number((process.hrtime.bigint() - since) / 1000n);

export const describeError = (err: unknown): string => (err instanceof Error ? err.message : String(err));

/** The rate-limit key of a dropped request's error: its code, or its class name. */
export const errorKind = (err: unknown): string => (isUwsgiError(err) ? err.code : err instanceof Error ? err.name : "error");
