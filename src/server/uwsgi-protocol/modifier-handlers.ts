/**
 * Pluggable handlers for uwsgi packets whose modifier1 is not an HTTP-style request (0/30):
 * RPC (173), cache (111), remote signals (110), remote spooling (17), ping (100) ... Each
 * subsystem registers its handler; the uwsgi protocol server dispatches to it.
 * @module
 */
import type net from "node:net";
import { UwsgiError } from "../../errors.js";

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
  /** Writes a line to the server log. */
  log(line: string): void;
}

/** Serves one request of a given modifier1. */
export type ModifierHandler = (request: ModifierRequest) => void | Promise<void>;

/** A registered handler and whether its requests count as requests (ping's do not). */
export interface ModifierEntry {
  readonly handler: ModifierHandler;
  readonly accounted: boolean;
}

/** modifier1 → handler table. */
export class ModifierRegistry {
  readonly #entries = new Map<number, ModifierEntry>();

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

  /** The entry for `modifier1`, if any. */
  get(modifier1: number): ModifierEntry | undefined {
    return this.#entries.get(modifier1);
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
