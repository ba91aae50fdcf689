/**
 * RPC calls to another node (modifier1 173).
 * @module
 */
import { encodeRpcRequest } from "../protocol/messages.js";
import { RpcResponseReader } from "../protocol/response-reader.js";
import type { RemoteRpc } from "../module/rpc-functions.js";
import { exchange } from "./uwsgi-exchange.js";
import { throwIfUnreachable } from "./remote-failure.js";
import { KeptRpcConnections } from "./rpc-kept-connections.js";
import { parseSocketAddress } from "../module/socket-functions.js";

/**
 * Calls functions registered on other nodes. A node that answers nothing (unknown function, a
 * failure) gives `null`, as in uWSGI; an unreachable or silent node rejects with
 * UWSGI_ERR_REMOTE_UNREACHABLE. Connections to uwsgi-node nodes are kept for the next calls
 * (protocol/rpc-keepalive.ts); a real uWSGI node gets a connection per call, as its own client
 * does.
 */
export class RpcClient implements RemoteRpc {
  readonly #kept = new KeptRpcConnections();
  /** Addresses already parsed (a bad one is refused before any connection). */
  readonly #parsed = new Set<string>();

  constructor(private readonly timeoutMs: () => number) {}

  /**
   * One promise per call on a kept connection (the reply's callback settles it): each promise
   * and await costs a worker's request context its async hooks.
   */
  call(address: string, func: Buffer, args: Buffer[]): Promise<Buffer | null> {
    let request: Buffer;
    let timeoutMs: number;
    try {
      request = encodeRpcRequest(func, args);
      timeoutMs = this.timeoutMs();
      if (!this.#parsed.has(address)) {
        parseSocketAddress(address); // a bad address is UWSGI_ERR_INVALID_ARGUMENT, not "unreachable"
        if (this.#parsed.size >= 1024) this.#parsed.clear();
        this.#parsed.add(address);
      }
    } catch (error) {
      return Promise.reject(error);
    }
    if (!this.#kept.usable(address)) return this.#oneShot(address, request, timeoutMs);
    return this.#kept.call(address, request, timeoutMs).then((reply) => {
      if (!reply.ok && reply.reason === "not-kept") return this.#oneShot(address, request, timeoutMs);
      throwIfUnreachable(address, reply as Parameters<typeof throwIfUnreachable>[1]);
      return reply.ok && reply.value.length > 0 ? reply.value : null;
    });
  }

  /** A call on a connection of its own, the way uWSGI's client makes every call (one promise, no async wrapper). */
  #oneShot(address: string, request: Buffer, timeoutMs: number): Promise<Buffer | null> {
    return exchange(address, request, new RpcResponseReader(), timeoutMs).then((reply) => {
      throwIfUnreachable(address, reply);
      return reply.ok && reply.value.length > 0 ? reply.value : null;
    });
  }
}
