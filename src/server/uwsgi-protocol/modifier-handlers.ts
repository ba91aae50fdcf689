/**
 * Pluggable handlers for uwsgi packets whose modifier1 is not an HTTP-style request (0/30):
 * RPC (173), cache (111), remote signals (110), remote spooling (17), ping (100) ... Each
 * subsystem registers its handler; the uwsgi protocol server dispatches to it.
 *
 * The registry is also the gate of remote operations: every packet goes through
 * {@link ModifierRegistry.admit}, which serves the modifiers of {@link REMOTE_MODIFIERS} only
 * when they are enabled (`--plugin cache,rpc,signal,spooler`) and only to peers on the
 * allow-list (`--remote-allow`, default loopback and UNIX socket clients). A new registry has
 * them all closed, so a handler registered for one of them is unreachable until enabled.
 * @module
 */
import type net from "node:net";
import { UwsgiError } from "../../errors.js";
import { isUnixConnection } from "../../core/node-internals.js";
import { PeerAllowList, type Peer } from "../remote/peer-allow-list.js";

/** One non-HTTP uwsgi request, handed to its modifier's handler. */
export interface ModifierRequest {
  readonly modifier1: number;
  readonly modifier2: number;
  /** The packet's `datasize` payload bytes. */
  readonly payload: Buffer;
  /**
   * The client connection, paused, positioned just after the packet (bytes that already
   * arrived after it are readable first). Write the reply to it; the server ends it when the
   * handler returns (or its promise settles) and destroys it if the handler throws.
   */
  readonly socket: net.Socket;
  /**
   * Reads exactly `n` bytes that follow the packet (a cache value, a spool body ...); resolves
   * null if the connection ends first or nothing arrives for `timeoutMs` (default: the server's
   * read timeout).
   */
  readBytes(n: number, timeoutMs?: number): Promise<Buffer | null>;
  /** Writes a line to the server log, rate-limited per modifier1 (a client can make a handler log at will). */
  log(line: string): void;
  /** True when the connection was kept open by an earlier request on it ({@link keepOpen}). */
  readonly kept?: boolean;
  /**
   * Keeps the connection for further packets once this handler is over (the client asked for
   * it): each is read and dispatched like a first one. Left idle for `idleMs`, or when the server
   * closes, the connection gets `farewell` and is closed.
   */
  keepOpen?(idleMs: number, farewell: Buffer): void;
}

/** Serves one request of a given modifier1. */
export type ModifierHandler = (request: ModifierRequest) => void | Promise<void>;

/** A registered handler and whether its requests count as requests (ping's do not). */
export interface ModifierEntry {
  readonly handler: ModifierHandler;
  readonly accounted: boolean;
}

/** A modifier that exposes the instance to its clients, and the plugin name that enables it. */
export interface RemoteModifier {
  readonly modifier1: number;
  /** The name `--plugin` takes (uWSGI's plugin that serves it). */
  readonly plugin: string;
  /** What it exposes, for log lines. */
  readonly what: string;
}

/** The remote operations, closed unless enabled. */
export const REMOTE_MODIFIERS: readonly RemoteModifier[] = [
  { modifier1: 17, plugin: "spooler", what: "remote spooling" },
  { modifier1: 110, plugin: "signal", what: "remote signals" },
  { modifier1: 111, plugin: "cache", what: "remote cache" },
  { modifier1: 173, plugin: "rpc", what: "remote RPC" },
];

const REMOTE_BY_MODIFIER = new Map(REMOTE_MODIFIERS.map((r) => [r.modifier1, r]));

/** Which remote modifiers are served, and to whom. */
export interface RemoteAccess {
  /** Enabled modifier1 values (members of {@link REMOTE_MODIFIERS}). */
  readonly modifiers: readonly number[];
  /** Allowed peers (see {@link PeerAllowList}). */
  readonly allow: readonly string[];
}

/** A request the gate turned away. */
export interface Refusal {
  readonly refused: true;
  /** Key for rate-limiting the log line (one per modifier and reason). */
  readonly key: string;
  /** The log line's text (without the peer). */
  readonly reason: string;
}

/** The peer of a connection: a UNIX socket client, or the TCP peer's address ("" when it is gone). */
export function peerOfSocket(socket: net.Socket): Peer {
  if (isUnixConnection(socket)) return { kind: "unix" };
  return { kind: "tcp", address: socket.remoteAddress ?? "" };
}

/** modifier1 → handler table, and the gate of remote operations. */
export class ModifierRegistry {
  readonly #entries = new Map<number, ModifierEntry>();
  #enabled = new Set<number>();
  #allow = new PeerAllowList([]);
  /** Requests for remote operations refused so far (disabled, or a peer not allowed). */
  refused = 0;

  /**
   * Opens the given remote modifiers to the given peers (replacing any previous setting).
   * @throws UwsgiError UWSGI_ERR_INVALID_ARGUMENT for a modifier1 that is not a remote operation;
   *   UWSGI_ERR_OPTION_VALUE for a malformed allow-list entry.
   */
  setRemoteAccess(access: RemoteAccess): void {
    for (const m1 of access.modifiers) {
      if (!REMOTE_BY_MODIFIER.has(m1)) {
        throw new UwsgiError("UWSGI_ERR_INVALID_ARGUMENT", "modifier1", `${m1} is not a remote operation (${REMOTE_MODIFIERS.map((r) => r.modifier1).join(", ")})`);
      }
    }
    this.#allow = new PeerAllowList(access.allow);
    this.#enabled = new Set(access.modifiers);
  }

  /**
   * The handler that serves `modifier1` for the client on `socket`, or a refusal: the one place
   * every non-HTTP packet passes. Undefined when nothing serves `modifier1`.
   */
  admit(modifier1: number, socket: net.Socket): ModifierEntry | Refusal | undefined {
    const remote = REMOTE_BY_MODIFIER.get(modifier1);
    if (remote !== undefined) {
      if (!this.#enabled.has(modifier1)) {
        this.refused++;
        return {
          refused: true,
          key: `disabled:${modifier1}`,
          reason: `-- unavailable modifier requested: ${modifier1} -- (${remote.what} is disabled; enable it with --plugin ${remote.plugin})`,
        };
      }
      if (!this.#allow.allows(peerOfSocket(socket))) {
        this.refused++;
        return {
          refused: true,
          key: `peer:${modifier1}`,
          reason: `${remote.what} (modifier1 ${modifier1}) refused: the peer is not in --remote-allow (${this.#allow.entries.join(", ") || "empty"})`,
        };
      }
    }
    return this.#entries.get(modifier1);
  }

  /**
   * Sets the handler for `modifier1` (replacing any previous one).
   * `options.accounted`: count these requests in the request counters (default true).
   * @throws UwsgiError UWSGI_ERR_INVALID_ARGUMENT for a modifier1 outside 0..255.
   */
  register(modifier1: number, handler: ModifierHandler, options: { accounted?: boolean } = {}): void {
    if (!Number.isInteger(modifier1) || modifier1 < 0 || modifier1 > 255) {
      throw new UwsgiError("UWSGI_ERR_INVALID_ARGUMENT", "modifier1", `expected an integer 0..255, got ${String(modifier1)}`);
    }
    this.#entries.set(modifier1, { handler, accounted: options.accounted ?? true });
  }

  /** Removes the handler for `modifier1`. */
  unregister(modifier1: number): void {
    this.#entries.delete(modifier1);
  }
}

/** The process-wide registry uwsgi protocol servers use unless given their own. */
export const defaultModifierRegistry = new ModifierRegistry();

/**
 * Registers a handler in the process-wide registry.
 * @example
 * ```ts
 * registerModifierHandler(Modifier1.RPC, async ({ payload, socket }) => {
 *   socket.write(encodeRpcResponse(await callRpc(decodeRpcRequest(payload))));
 * });
 * ```
 */
export function registerModifierHandler(modifier1: number, handler: ModifierHandler, options: { accounted?: boolean } = {}): void {
  defaultModifierRegistry.register(modifier1, handler, options);
}
