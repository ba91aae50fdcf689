/**
 * RPC calls to another node (modifier1 173).
 * @module
 */
import { encodeRpcRequest } from "../protocol/messages.js";
import { RpcResponseReader } from "../protocol/response-reader.js";
import type { RemoteRpc } from "../module/rpc-functions.js";
import { exchange } from "./uwsgi-exchange.js";

/** Calls functions registered on other nodes; every failure reads as `null`, as in uWSGI. */
export class RpcClient implements RemoteRpc {
  constructor(private readonly timeoutMs: () => number) {}

  async call(address: string, func: Buffer, args: Buffer[]): Promise<Buffer | null> {
    const request = encodeRpcRequest(func, args);
    const reply = await exchange(address, request, new RpcResponseReader(), this.timeoutMs());
    if (!reply.ok || reply.value.length === 0) return null;
    return reply.value;
  }
}
