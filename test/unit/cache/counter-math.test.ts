import { test } from "node:test";
import assert from "node:assert/strict";
import fc from "fast-check";
import { bigIntToCounter, counterMath, counterToBigInt, counterToNumber, type CacheMathOp, type CounterHalves } from "../../../src/engines/cache/counter-math.js";

/** The int64 reference: what `math()` must compute. */
function reference(op: CacheMathOp, a: bigint, b: bigint): bigint {
  const r = op === "inc" ? a + b : op === "dec" ? a - b : op === "mul" ? a * b : b === 0n ? 0n : a / b;
  return BigInt.asIntN(64, r);
}

function run(op: CacheMathOp, a: bigint, b: bigint): bigint {
  const start: CounterHalves = { low: 0, high: 0 };
  bigIntToCounter(a, start);
  const n = Number(b);
  const out: CounterHalves = { low: -1, high: -1 };
  counterMath(op, start.low, start.high, Number.isSafeInteger(n) ? n : NaN, b, out);
  assert.ok(Number.isInteger(out.low) && out.low >= 0 && out.low <= 0xffffffff, `low half ${out.low}`);
  assert.ok(Number.isInteger(out.high) && out.high >= -(2 ** 31) && out.high < 2 ** 31, `high half ${out.high}`);
  return counterToBigInt(out.low, out.high);
}

test("counter halves round-trip every int64 edge", () => {
  for (const v of [0n, 1n, -1n, 2n ** 32n - 1n, 2n ** 32n, -(2n ** 32n), 2n ** 53n - 1n, 2n ** 53n, -(2n ** 53n), 2n ** 63n - 1n, -(2n ** 63n)]) {
    const h: CounterHalves = { low: 0, high: 0 };
    bigIntToCounter(v, h);
    assert.equal(counterToBigInt(h.low, h.high), v);
  }
});

test("counter math: carries into the high half, crosses zero, wraps at 64 bits", () => {
  assert.equal(run("inc", 2n ** 32n - 1n, 1n), 2n ** 32n);
  assert.equal(run("dec", 2n ** 32n, 1n), 2n ** 32n - 1n);
  assert.equal(run("dec", 0n, 1n), -1n);
  assert.equal(run("inc", -1n, 1n), 0n);
  assert.equal(run("inc", 2n ** 53n - 1n, 1n), 2n ** 53n, "leaving the exact-number range falls back to BigInt");
  assert.equal(run("inc", 2n ** 63n - 1n, 1n), -(2n ** 63n));
  assert.equal(run("mul", 2n ** 40n, 2n ** 30n), BigInt.asIntN(64, 2n ** 70n));
  assert.equal(run("mul", -3n, 5n), -15n);
  assert.equal(run("div", -7n, 2n), -3n, "division truncates toward zero");
  assert.equal(run("div", 7n, 0n), 0n);
  assert.equal(run("inc", 5n, 2n ** 62n), 2n ** 62n + 5n, "an operand beyond 2^53");
  assert.equal(run("div", -1n, 3n), 0n, "a zero quotient");
  assert.equal(Object.is(Number(run("div", -1n, 3n)), 0), true);
});

test("counter division as numbers stays exact at the edge of the number fast path (2^52)", () => {
  for (const a of [2n ** 52n, 2n ** 52n - 1n, -(2n ** 52n), 2n ** 52n + 1n, 2n ** 53n - 1n, -(2n ** 53n) + 1n]) {
    for (const b of [1n, -1n, 2n, 3n, 7n, 2n ** 26n + 1n, 2n ** 52n - 1n, 2n ** 52n, -(2n ** 51n) - 3n]) {
      assert.equal(run("div", a, b), reference("div", a, b), `${a} / ${b}`);
    }
  }
});

test("counter math agrees with BigInt arithmetic on random operands", () => {
  let seed = 12345;
  const rnd = (): number => {
    seed = (Math.imul(seed, 1103515245) + 12345) >>> 0;
    return seed;
  };
  const pick = (): bigint => {
    const kind = rnd() % 4;
    const big = BigInt.asIntN(64, (BigInt(rnd()) << 32n) | BigInt(rnd()));
    if (kind === 0) return big;
    if (kind === 1) return BigInt.asIntN(54, big);
    return BigInt((rnd() % 2000) - 1000);
  };
  for (let i = 0; i < 5000; i++) {
    const op = (["inc", "dec", "mul", "div"] as const)[rnd() % 4]!;
    const a = pick();
    const b = pick();
    assert.equal(run(op, a, b), reference(op, a, b), `${a} ${op} ${b}`);
  }
});

test("counterToNumber is Number(counterToBigInt) for every pair of halves (rounded once beyond 2^53)", () => {
  fc.assert(
    fc.property(fc.bigInt({ min: -(2n ** 63n), max: 2n ** 63n - 1n }), (v) => {
      const h: CounterHalves = { low: 0, high: 0 };
      bigIntToCounter(v, h);
      assert.equal(counterToNumber(h.low, h.high), Number(v));
    }),
    { numRuns: 2000 },
  );
  for (const v of [2n ** 53n + 1n, 2n ** 53n + 3n, -(2n ** 53n) - 1n, 2n ** 63n - 1n, -(2n ** 63n), 2n ** 54n + 2n ** 1n + 1n]) {
    const h: CounterHalves = { low: 0, high: 0 };
    bigIntToCounter(v, h);
    assert.equal(counterToNumber(h.low, h.high), Number(v), String(v));
  }
});
