/**
 * Signed 64-bit counter arithmetic on the two 32-bit halves a counter is stored as (little-endian:
 * low half unsigned, high half signed). Plain numbers do the work while every value stays within
 * ±2^53; anything larger falls back to BigInt, so results are exact over the whole int64 range.
 * @module
 */

/** The arithmetic `math()` applies. */
export type CacheMathOp = "inc" | "dec" | "mul" | "div";

/** A counter as two 32-bit halves: `low` in 0..2^32-1, `high` in -2^31..2^31-1. */
export interface CounterHalves {
  low: number;
  high: number;
}

import { UwsgiError } from "../../errors.js";

const TWO_32 = 4294967296;
const INT64_MIN = -(2n ** 63n);
const INT64_MAX = 2n ** 63n - 1n;
/** Dividends up to this size divide exactly as numbers (the quotient's rounding cannot cross an integer). */
const EXACT_DIVIDEND = 2 ** 52;
/** High halves in [-2^21, 2^21) keep `high * 2^32 + low` within ±2^53, i.e. exact as a number. */
const SAFE_HIGH = 0x200000;

/** The int64 two halves hold, as a bigint. */
export function counterToBigInt(low: number, high: number): bigint {
  if (high >= -SAFE_HIGH && high < SAFE_HIGH) return BigInt(high * TWO_32 + low);
  return (BigInt(high) << 32n) | BigInt(low);
}

/**
 * The int64 two halves hold, as the nearest number (`Number(counterToBigInt(low, high))`, without
 * a BigInt): `high * 2^32` is exact, so the one addition rounds the exact value once.
 */
export function counterToNumber(low: number, high: number): number {
  return high * TWO_32 + low;
}

/** Writes the halves of an int64 bigint (already wrapped to 64 bits) into `out`. */
export function bigIntToCounter(n: bigint, out: CounterHalves): void {
  out.low = Number(BigInt.asUintN(32, n));
  out.high = Number(BigInt.asIntN(32, n >> 32n));
}

/**
 * Checks a math operand and returns it as a number when it is a safe integer, else NaN (the
 * arithmetic then uses it as a bigint). No BigInt is built for a number.
 * @throws UwsgiError UWSGI_ERR_INVALID_ARGUMENT for a non-integer or a value outside int64.
 * @example
 * ```ts
 * mathOperand(5);       // 5
 * mathOperand(2n ** 60n); // NaN (used as a bigint)
 * ```
 */
export function mathOperand(operand: bigint | number): number {
  if (typeof operand === "number") {
    if (Number.isSafeInteger(operand)) return operand;
    if (Number.isInteger(operand) && operand >= -(2 ** 63) && operand < 2 ** 63) return NaN;
    throw new UwsgiError("UWSGI_ERR_INVALID_ARGUMENT", "operand", `expected a signed 64-bit integer, got ${String(operand)}`);
  }
  if (typeof operand !== "bigint") throw new UwsgiError("UWSGI_ERR_INVALID_ARGUMENT", "operand", `expected a signed 64-bit bigint, got ${String(operand)}`);
  const n = Number(operand);
  if (Number.isSafeInteger(n)) return n;
  if (operand < INT64_MIN || operand > INT64_MAX) {
    throw new UwsgiError("UWSGI_ERR_INVALID_ARGUMENT", "operand", `expected a signed 64-bit bigint, got ${String(operand)}`);
  }
  return NaN;
}

function applyBig(op: CacheMathOp, a: bigint, b: bigint): bigint {
  let r: bigint;
  if (op === "inc") r = a + b;
  else if (op === "dec") r = a - b;
  else if (op === "mul") r = a * b;
  else r = b === 0n ? 0n : a / b;
  return BigInt.asIntN(64, r);
}

/**
 * `out = (low, high) <op> operand`, wrapping at 64 bits; division truncates toward zero and
 * division by zero gives 0.
 * @param n the operand as a number when it is a safe integer, else NaN (then `operand` is used).
 * @param operand the operand as a signed 64-bit integer (bigint, or an integer number).
 * @example
 * ```ts
 * const out = { low: 0, high: 0 };
 * counterMath("inc", 0xffffffff, 0, 1, 1n, out); // out = { low: 0, high: 1 }
 * ```
 */
export function counterMath(op: CacheMathOp, low: number, high: number, n: number, operand: bigint | number, out: CounterHalves): void {
  if (n === n && high >= -SAFE_HIGH && high < SAFE_HIGH) {
    const v = high * TWO_32 + low;
    let r: number;
    if (op === "div") {
      // Division by 0 gives 0; a quotient of a dividend within ±2^52 is exact when truncated.
      r = n === 0 ? 0 : v >= -EXACT_DIVIDEND && v <= EXACT_DIVIDEND ? Math.trunc(v / n) : NaN;
      if (r === 0) r = 0; // no -0
    } else {
      // Inputs are exact; a result within ±(2^53 - 1) is exact too, a larger one is not safe.
      r = op === "inc" ? v + n : op === "dec" ? v - n : v * n;
    }
    if (Number.isSafeInteger(r)) {
      out.low = r >>> 0;
      out.high = Math.floor(r / TWO_32);
      return;
    }
  }
  bigIntToCounter(applyBig(op, counterToBigInt(low, high), typeof operand === "bigint" ? operand : BigInt(operand)), out);
}
