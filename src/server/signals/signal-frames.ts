/**
 * Bodies of the signal frames of the process bus (types in ../process-bus/bus-frames.ts). Signal
 * numbers are one byte (0..255, checked by the module before they get here).
 * @module
 */
import { Buffer } from "node:buffer";
import type { SignalSourceSpec } from "./signal-messages.js";

/** A one-byte body: a signal number (SIG_RAISE, SIG_DELIVER). */
export function encodeNum(num: number): Buffer {
  const b = Buffer.allocUnsafe(1);
  b[0] = num;
  return b;
}

/** A SIG_REGISTER body: num, target. */
export function encodeRegister(num: number, target: string): Buffer {
  const t = Buffer.from(target, "utf8");
  const b = Buffer.allocUnsafe(1 + t.length);
  b[0] = num;
  t.copy(b, 1);
  return b;
}

/** Reads a SIG_REGISTER body; null when malformed. */
export function decodeRegister(body: Buffer): { num: number; target: string } | null {
  if (body.length < 1) return null;
  return { num: body[0]!, target: body.toString("utf8", 1) };
}

/** A SIG_SOURCE body. */
export function encodeSource(spec: SignalSourceSpec): Buffer {
  return Buffer.from(JSON.stringify(spec), "utf8");
}

const SOURCE_KINDS = new Set(["timer", "ms-timer", "rb-timer", "cron", "file-monitor"]);

/** Reads a SIG_SOURCE body; null when malformed. */
export function decodeSource(body: Buffer): SignalSourceSpec | null {
  try {
    const spec = JSON.parse(body.toString("utf8")) as { kind?: unknown; num?: unknown };
    return typeof spec === "object" && spec !== null && SOURCE_KINDS.has(spec.kind as string) && typeof spec.num === "number" ? (spec as SignalSourceSpec) : null;
  } catch {
    return null;
  }
}

/** A SIG_DONE body: num, ok. */
export function encodeDone(num: number, ok: boolean): Buffer {
  const b = Buffer.allocUnsafe(2);
  b[0] = num;
  b[1] = ok ? 1 : 0;
  return b;
}
