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

  constructor(private readonly timeoutMs: () => number) {}

  async call(address: string, func: Buffer, args: Buffer[]): Promise<Buffer | null> {
    const request = encodeRpcRequest(func, args);
    const timeoutMs = this.timeoutMs();
    parseSocketAddress(address); // a bad address is UWSGI_ERR_INVALID_ARGUMENT, not "unreachable"
    if (this.#kept.usable(address)) {
      const reply = await this.#kept.call(address, request, timeoutMs);
      if (reply.ok || reply.reason !== "not-kept") {
        throwIfUnreachable(address, reply as Parameters<typeof throwIfUnreachable>[1]);
        return reply.ok && reply.value.length > 0 ? reply.value : null;
      }
    }
    const reply = await exchange(address, request, new RpcResponseReader(), timeoutMs);
    throwIfUnreachable(address, reply);
    if (!reply.ok || reply.value.length === 0) return null;
    return reply.value;
  }
}
