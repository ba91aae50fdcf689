/**
 * Bodies of the mule frames of the process bus (types in ../process-bus/bus-frames.ts).
 * @module
 */
import { Buffer } from "node:buffer";
import type { MuleTarget } from "../../module/mule-functions.js";

/** Filter bit: the mule's own queue and the shared queue. */
export const FILTER_OWN = 1;
/** Filter bit: the queues of the farms the mule belongs to. */
export const FILTER_FARMS = 2;

const KIND = { any: 0, mule: 1, farm: 2 } as const;

/** The head of a MULE_SEND body (the message follows it, unchanged). */
export function encodeSendHead(target: MuleTarget): Buffer {
  const name = target.kind === "farm" ? Buffer.from(target.name, "utf8") : null;
  const head = Buffer.allocUnsafe(4 + (name ? name.length : 0));
  head[0] = KIND[target.kind];
  head.writeUInt16LE(target.kind === "mule" ? target.id : 0, 1);
  head[3] = name ? name.length : 0;
  if (name) name.copy(head, 4);
  return head;
}

/** Reads a MULE_SEND body; null when malformed. The message is a view into `body`. */
export function decodeSend(body: Buffer): { target: MuleTarget; message: Buffer } | null {
  if (body.length < 4) return null;
  const nameLen = body[3]!;
  if (body.length < 4 + nameLen) return null;
  const message = body.subarray(4 + nameLen);
  switch (body[0]) {
    case KIND.any:
      return { target: { kind: "any" }, message };
    case KIND.mule:
      return { target: { kind: "mule", id: body.readUInt16LE(1) }, message };
    case KIND.farm:
      return { target: { kind: "farm", name: body.toString("utf8", 4, 4 + nameLen) }, message };
    default:
      return null;
  }
}

/** A MULE_CREDIT body. */
export function encodeCredit(filter: number, credits: number): Buffer {
  const b = Buffer.allocUnsafe(5);
  b[0] = filter;
  b.writeUInt32LE(credits, 1);
  return b;
}

/** The head of a MULE_DELIVER body: delivery id u32, the filter bit of the queue it came from u8. */
export function encodeDeliverHead(id: number, bit: number): Buffer {
  const b = Buffer.allocUnsafe(5);
  b.writeUInt32LE(id >>> 0, 0);
  b[4] = bit;
  return b;
}

/** A MULE_TAKEN body. */
export function encodeTaken(ids: readonly number[]): Buffer {
  const b = Buffer.allocUnsafe(4 * ids.length);
  for (let i = 0; i < ids.length; i++) b.writeUInt32LE(ids[i]! >>> 0, i * 4);
  return b;
}

/** A MULE_FULL body: whether the sender is held back, and the queue that is full. */
export function encodeFull(full: boolean, label: string): Buffer {
  return Buffer.concat([Buffer.from([full ? 1 : 0]), Buffer.from(label, "utf8")]);
}

/** Reads a MULE_FULL body. */
export function decodeFull(body: Buffer): { full: boolean; label: string } | null {
  if (body.length < 1) return null;
  return { full: body[0] === 1, label: body.toString("utf8", 1) };
}

/** A MULE_BUSY body. */
export function encodeBusy(sinceMs: number): Buffer {
  const b = Buffer.allocUnsafe(8);
  b.writeDoubleLE(sinceMs, 0);
  return b;
}
