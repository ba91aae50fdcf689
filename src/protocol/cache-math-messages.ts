/**
 * uwsgi-node's extension of the cache magic protocol: `cmd` = `inc`, `dec`, `mul` or `div`, with
 * the 8-byte little-endian int64 operand after the packet (`size` = 8). The owning node applies
 * the operation atomically and replies like a successful `set` (`status: ok`). A uWSGI node does
 * not know these commands and closes without a reply, which the client reports as failure.
 * @module
 */
import { Buffer } from "node:buffer";
import type { BytesLike } from "../core/bytes.js";
import { UwsgiError } from "../errors.js";
import { CacheModifier2 } from "./messages.js";
import { Modifier1, encodePacket, encodeVars } from "./packet.js";

/** The math operations. */
export type CacheMathOp = "inc" | "dec" | "mul" | "div";

/** True for a `cmd` value that names a math operation. */
export function isCacheMathCommand(cmd: string): cmd is CacheMathOp {
  return cmd === "inc" || cmd === "dec" || cmd === "mul" || cmd === "div";
}

/** Encodes a math request: dict `cmd, key, size=8, [expires], [cache]` then the operand. */
export function encodeCacheMathRequest(req: { op: CacheMathOp; key: BytesLike; cache?: BytesLike | null; operand: bigint; expires?: number }): Buffer {
  if (!isCacheMathCommand(req.op)) throw new UwsgiError("UWSGI_ERR_INVALID_ARGUMENT", "op", `unknown cache math operation ${JSON.stringify(req.op)}`);
  const vars: Array<[BytesLike, BytesLike]> = [["cmd", req.op], ["key", req.key], ["size", "8"]];
  if (req.expires) vars.push(["expires", String(req.expires)]);
  if (req.cache !== null && req.cache !== undefined) vars.push(["cache", req.cache]);
  const operand = Buffer.alloc(8);
  operand.writeBigInt64LE(BigInt.asIntN(64, req.operand));
  return Buffer.concat([encodePacket(Modifier1.CACHE, CacheModifier2.MAGIC, encodeVars(vars)), operand]);
}

/** Reads the 8-byte operand that follows a math request's packet. */
export function decodeCacheMathOperand(value: Buffer): bigint {
  if (value.length !== 8) throw new UwsgiError("UWSGI_ERR_PACKET_MALFORMED", `cache math operand must be 8 bytes, got ${value.length}`);
  return value.readBigInt64LE(0);
}
