/**
 * Bodies of the RPC frames of the process bus (types in ../process-bus/bus-frames.ts).
 * RPC_CALL: call id u32, name length u8, name, argument count u8, then per argument u32 length
 * and bytes. RPC_RESULT: call id u32, status u8 (0 none, 1 value), value.
 * @module
 */
import { Buffer } from "node:buffer";

/** An RPC_CALL body. */
export function encodeCall(id: number, func: Buffer, args: readonly Buffer[]): Buffer[] {
  const head = Buffer.allocUnsafe(4 + 1 + func.length + 1);
  head.writeUInt32LE(id >>> 0, 0);
  head[4] = func.length;
  func.copy(head, 5);
  head[5 + func.length] = args.length;
  const parts: Buffer[] = [head];
  for (const a of args) {
    const len = Buffer.allocUnsafe(4);
    len.writeUInt32LE(a.length, 0);
    parts.push(len, a);
  }
  return parts;
}

/** Reads an RPC_CALL body; null when malformed. Name and arguments are views into `body`. */
export function decodeCall(body: Buffer): { id: number; func: Buffer; args: Buffer[] } | null {
  if (body.length < 6) return null;
  const id = body.readUInt32LE(0);
  const nameLen = body[4]!;
  let off = 5 + nameLen;
  if (body.length < off + 1) return null;
  const func = body.subarray(5, off);
  const argc = body[off++]!;
  const args: Buffer[] = [];
  for (let i = 0; i < argc; i++) {
    if (body.length < off + 4) return null;
    const len = body.readUInt32LE(off);
    off += 4;
    if (body.length < off + len) return null;
    args.push(body.subarray(off, off + len));
    off += len;
  }
  return off === body.length ? { id, func, args } : null;
}

/** An RPC_RESULT body (head, then the value). */
export function encodeResult(id: number, value: Buffer | null): Buffer[] {
  const head = Buffer.allocUnsafe(5);
  head.writeUInt32LE(id >>> 0, 0);
  head[4] = value ? 1 : 0;
  return value ? [head, value] : [head];
}

/** Reads an RPC_RESULT body; null when malformed. */
export function decodeResult(body: Buffer): { id: number; value: Buffer | null } | null {
  if (body.length < 5) return null;
  return { id: body.readUInt32LE(0), value: body[4] === 1 ? body.subarray(5) : null };
}
