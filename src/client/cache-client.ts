/**
 * Cache operations on another node with uWSGI's "magic" cache protocol (modifier1 111,
 * modifier2 17). A miss or a refusal reads as a failed operation (`null`, `false`, 0); a node
 * that cannot be reached or does not answer in time rejects with UWSGI_ERR_REMOTE_UNREACHABLE.
 *
 * Math (`inc`/`dec`/`mul`/`div`) is sent as its own command with the 8-byte operand, and done
 * atomically by the node that owns the cache. uWSGI's client sends it as a plain `update` of
 * the operand, losing the arithmetic; a real uWSGI node does not know the math commands and
 * answers nothing, so there the call fails instead of silently overwriting the value.
 * @module
 */
import { encodeCacheMagicRequest, type CacheMagicCommand, type CacheMagicResponse } from "../protocol/messages.js";
import { CacheMagicResponseReader } from "../protocol/response-reader.js";
import type { RemoteCache } from "../module/cache-functions.js";
import { encodeCacheMathRequest, type CacheMathOp } from "../protocol/cache-math-messages.js";
import { exchange } from "./uwsgi-exchange.js";
import { throwIfUnreachable } from "./remote-failure.js";

/** The client side of remote caches. */
export class CacheClient implements RemoteCache {
  constructor(private readonly timeoutMs: () => number) {}

  async #send(address: string, request: Buffer): Promise<CacheMagicResponse | null> {
    const reply = await exchange(address, request, new CacheMagicResponseReader(), this.timeoutMs());
    throwIfUnreachable(address, reply);
    return reply.ok && reply.value.ok ? reply.value : null;
  }

  #request(cmd: CacheMagicCommand, cache: string, key?: Buffer, value?: Buffer, expires?: number): Buffer {
    return encodeCacheMagicRequest({ cmd, key, cache: cache === "" ? null : cache, value, expires });
  }

  async get(address: string, cache: string, key: Buffer): Promise<Buffer | null> {
    return (await this.#send(address, this.#request("get", cache, key)))?.value ?? null;
  }
  async exists(address: string, cache: string, key: Buffer): Promise<boolean> {
    return (await this.#send(address, this.#request("exists", cache, key))) !== null;
  }
  async set(address: string, cache: string, key: Buffer, value: Buffer, expires: number, update: boolean): Promise<boolean> {
    return (await this.#send(address, this.#request(update ? "update" : "set", cache, key, value, expires))) !== null;
  }
  async del(address: string, cache: string, key: Buffer): Promise<boolean> {
    return (await this.#send(address, this.#request("del", cache, key))) !== null;
  }
  async clear(address: string, cache: string): Promise<boolean> {
    return (await this.#send(address, this.#request("clear", cache))) !== null;
  }
  async math(address: string, cache: string, op: CacheMathOp, key: Buffer, operand: bigint, expires: number): Promise<boolean> {
    return (await this.#send(address, encodeCacheMathRequest({ op, key, cache: cache === "" ? null : cache, operand, expires }))) !== null;
  }
  async num(address: string, cache: string, key: Buffer): Promise<number> {
    const value = await this.get(address, cache, key);
    return value && value.length === 8 ? Number(value.readBigInt64LE(0)) : 0;
  }
}
