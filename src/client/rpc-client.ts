/**
 * RPC calls to another node (modifier1 173).
 * @module
 */
import { encodeRpcRequest } from "../protocol/messages.js";
import { RpcResponseReader } from "../protocol/response-reader.js";
import type { RemoteRpc } from "../module/rpc-functions.js";
import { exchange } from "./uwsgi-exchange.js";
import { throwIfUnreachable } from "./remote-failure.js";

/**
 * Calls functions registered on other nodes. A node that answers nothing (unknown function, a
 * failure) gives `null`, as in uWSGI; an unreachable or silent node rejects with
 * UWSGI_ERR_REMOTE_UNREACHABLE.
 */
export class RpcClient implements RemoteRpc {
  constructor(private readonly timeoutMs: () => number) {}

  async call(address: string, func: Buffer, args: Buffer[]): Promise<Buffer | null> {
    const request = encodeRpcRequest(func, args);
    const reply = await exchange(address, request, new RpcResponseReader(), this.timeoutMs());
    throwIfUnreachable(address, reply);
    if (!reply.ok || reply.value.length === 0) return null;
    return reply.value;
  }
}
