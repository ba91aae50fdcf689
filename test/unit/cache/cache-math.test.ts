import { test } from "node:test";
import assert from "node:assert/strict";
import { isUwsgiError } from "../../../src/errors.js";
import { B, cacheOf } from "./make-cache.js";

const le = (n: bigint): Buffer => {
  const b = Buffer.alloc(8);
  b.writeBigInt64LE(n);
  return b;
};
const MAX = 2n ** 63n - 1n;
const MIN = -(2n ** 63n);

test("math on a missing key starts at 0 and stores 8 little-endian bytes", () => {
  const { cache } = cacheOf("name=m,items=10,blocksize=64");
  assert.equal(cache.math("inc", B("i"), 1n), true);
  assert.equal(cache.math("dec", B("d"), 1n), true);
  assert.equal(cache.math("mul", B("m"), 2n), true);
  assert.equal(cache.math("div", B("v"), 2n), true);
  assert.equal(cache.num(B("i")), 1n);
  assert.equal(cache.num(B("d")), -1n);
  assert.equal(cache.num(B("m")), 0n);
  assert.equal(cache.num(B("v")), 0n);
  assert.deepEqual(cache.get(B("i")), Buffer.from([1, 0, 0, 0, 0, 0, 0, 0]));
});

test("math_initial is the start value of a missing key", () => {
  const { cache } = cacheOf("name=m,items=10,blocksize=64,math_initial=100");
  cache.math("inc", B("i"), 1n);
  cache.math("dec", B("d"), 1n);
  cache.math("mul", B("m"), 3n);
  cache.math("div", B("v"), 3n);
  assert.deepEqual([cache.num(B("i")), cache.num(B("d")), cache.num(B("m")), cache.num(B("v"))], [101n, 99n, 300n, 33n]);
});

test("math on an existing counter", () => {
  const { cache } = cacheOf("name=m,items=10,blocksize=64");
  cache.math("inc", B("k"), 10n);
  cache.math("inc", B("k"), 5n);
  assert.equal(cache.num(B("k")), 15n);
  cache.math("mul", B("k"), -3n);
  assert.equal(cache.num(B("k")), -45n);
  cache.math("div", B("k"), 2n);
  assert.equal(cache.num(B("k")), -22n, "division truncates toward zero");
  cache.math("dec", B("k"), -2n);
  assert.equal(cache.num(B("k")), -20n);
});

test("math wraps around like C int64", () => {
  const { cache } = cacheOf("name=m,items=10,blocksize=64");
  cache.update(B("k"), le(MAX));
  cache.math("inc", B("k"), 1n);
  assert.equal(cache.num(B("k")), MIN);
  cache.math("dec", B("k"), 1n);
  assert.equal(cache.num(B("k")), MAX);
  cache.math("mul", B("k"), 2n);
  assert.equal(cache.num(B("k")), -2n);
  cache.update(B("min"), le(MIN));
  cache.math("div", B("min"), -1n);
  assert.equal(cache.num(B("min")), MIN, "MIN / -1 wraps instead of trapping");
});

test("division by zero sets 0 and succeeds", () => {
  const { cache } = cacheOf("name=m,items=10,blocksize=64");
  cache.math("inc", B("k"), 42n);
  assert.equal(cache.math("div", B("k"), 0n), true);
  assert.equal(cache.num(B("k")), 0n);
  assert.equal(cache.math("div", B("fresh"), 0n), true);
  assert.equal(cache.num(B("fresh")), 0n);
});

test("math on a short value reads it zero-padded: b'3' inc 1 -> 52", () => {
  const { cache } = cacheOf("name=m,items=10,blocksize=64");
  cache.set(B("k"), B("3"));
  assert.equal(cache.math("inc", B("k"), 1n), true);
  assert.equal(cache.num(B("k")), 52n);
  assert.deepEqual(cache.get(B("k")), Buffer.from("4\0\0\0\0\0\0\0", "latin1"));
});

test("math never reads stale bytes of an older value (uWSGI stale block bug)", () => {
  const { cache } = cacheOf("name=m,items=3,blocksize=64");
  cache.set(B("k"), B("abcdefghij"));
  cache.del(B("k"));
  cache.set(B("k"), B("3"));
  cache.math("inc", B("k"), 1n);
  assert.equal(cache.num(B("k")), 52n, "uWSGI gives b'4bcdefgh' here");
  cache.update(B("long"), B("0123456789"));
  cache.math("inc", B("long"), 0n);
  assert.deepEqual(cache.get(B("long")), B("01234567"), "a longer value: its first 8 bytes, stored length 8");
});

test("num is 0 unless the value is exactly 8 bytes", () => {
  const { cache } = cacheOf("name=m,items=10,blocksize=64");
  cache.set(B("hello"), B("hello"));
  cache.set(B("nine"), B("123456789"));
  cache.set(B("eight"), le(-7n));
  assert.equal(cache.num(B("hello")), 0n);
  assert.equal(cache.num(B("nine")), 0n);
  assert.equal(cache.num(B("eight")), -7n);
  assert.equal(cache.num(B("missing")), 0n);
});

test("numValue is num as a number, without a BigInt: exact to 2^53, rounded like Number() beyond, 0 unless 8 bytes", () => {
  const { cache } = cacheOf("name=m,items=40,blocksize=64");
  const edges = [0n, 1n, -1n, 2n ** 32n - 1n, 2n ** 32n, -(2n ** 32n), 2n ** 53n - 1n, 2n ** 53n + 1n, -(2n ** 53n) - 1n, 2n ** 63n - 1n, -(2n ** 63n), 123456789012345678n];
  edges.forEach((v, i) => cache.set(B(`c${i}`), le(v)));
  edges.forEach((v, i) => {
    assert.equal(cache.numValue(B(`c${i}`)), Number(v), `${v} (Buffer key)`);
    assert.equal(cache.numValue(`c${i}`), Number(cache.num(`c${i}`)), `${v} (string key)`);
  });
  cache.set(B("nine"), B("123456789"));
  assert.equal(cache.numValue(B("nine")), 0);
  assert.equal(cache.numValue("missing"), 0);
  assert.equal(cache.numValue("k".repeat(5000)), 0, "a key longer than keysize");
});

test("math keeps the expiry of an existing item and applies it only on creation (FIXEXPIRE)", () => {
  const { cache, clock } = cacheOf("name=m,items=10,blocksize=64");
  cache.math("inc", B("c"), 1n, 2);
  cache.math("inc", B("c"), 1n, 0);
  cache.math("inc", B("c"), 1n, 100);
  assert.equal(cache.num(B("c")), 3n);
  clock.advance(2000);
  assert.equal(cache.num(B("c")), 0n, "the 2 s expiry of creation still applies");
  assert.equal(cache.exists(B("c")), false);
});

test("math is refused when an 8-byte value does not fit, and validates its arguments", () => {
  const { cache } = cacheOf("name=m,items=10,blocksize=4");
  assert.equal(cache.math("inc", B("k"), 1n), false);
  const ok = cacheOf("name=m,items=10,blocksize=8").cache;
  assert.equal(ok.math("inc", B(""), 1n), false, "empty key");
  assert.throws(() => ok.math("pow" as "inc", B("k"), 1n), (err) => isUwsgiError(err, "UWSGI_ERR_INVALID_ARGUMENT") && err.message.includes("op"));
  assert.throws(() => ok.math("inc", B("k"), 2n ** 63n), (err) => isUwsgiError(err, "UWSGI_ERR_INVALID_ARGUMENT") && err.message.includes("operand"));
  assert.throws(() => ok.math("inc", B("k"), 1.5), (err) => isUwsgiError(err, "UWSGI_ERR_INVALID_ARGUMENT") && err.message.includes("operand"));
  assert.throws(() => ok.math("inc", B("k"), "1" as unknown as bigint), (err) => isUwsgiError(err, "UWSGI_ERR_INVALID_ARGUMENT"));
  assert.throws(() => ok.math("inc", B("k"), 2 ** 64), (err) => isUwsgiError(err, "UWSGI_ERR_INVALID_ARGUMENT") && err.message.includes("operand"));
});

test("math takes integer numbers as operands as well as bigints (no BigInt per call)", () => {
  const { cache } = cacheOf("name=m,items=10,blocksize=8");
  assert.equal(cache.math("inc", "k", 5), true);
  assert.equal(cache.math("mul", "k", 3), true);
  assert.equal(cache.num("k"), 15n);
  assert.equal(cache.math("div", "k", -4), true);
  assert.equal(cache.num("k"), -3n, "division truncates toward zero");
  assert.equal(cache.math("inc", "k", 2 ** 60), true, "an integer number beyond 2^53 is used exactly, as a bigint");
  assert.equal(cache.num("k"), 2n ** 60n - 3n);
  assert.equal(cache.math("div", "k", 0), true);
  assert.equal(cache.num("k"), 0n, "division by zero gives 0");
});

test("math on bitmap caches reads the old value before moving it to new blocks (uWSGI bitmap math bug)", () => {
  const { cache } = cacheOf("name=m,items=4,blocks=5,blocksize=4,bitmap=1");
  assert.equal(cache.math("inc", B("k"), 5n), true);
  assert.equal(cache.math("inc", B("k"), 5n), true);
  assert.equal(cache.num(B("k")), 10n);
  assert.equal(cache.set(B("fill"), Buffer.alloc(8, 1)), true, "2 blocks (0-1: the ones the first copy of k left)");
  assert.equal(cache.math("inc", B("k"), 1n), false, "the new copy needs 2 free blocks, only block 4 is left");
  assert.equal(cache.num(B("k")), 10n);
});
