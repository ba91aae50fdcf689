import { test } from "node:test";
import assert from "node:assert/strict";
import { cacheHashFunction, djb33x, murmur2 } from "../../../src/engines/cache/hash.js";

// Expected values are the `hash` fields uWSGI 2.0.21 wrote into a store file for these keys
// (cache2 ...,store=FILE plus --add-cache-item, then reading the slot headers).
const hex = (h: string): Buffer => Buffer.from(h, "hex");

test("djb33x matches uWSGI, including the signed-char XOR of bytes >= 0x80", () => {
  assert.equal(djb33x(Buffer.from("s1")), 5861543);
  assert.equal(djb33x(hex("c3a974ff")), 2208973444);
  assert.equal(djb33x(new Uint8Array(0)), 5381);
});

test("murmur2 matches uWSGI for whole words, short keys and trailing bytes", () => {
  assert.equal(murmur2(Buffer.from("s1")), 3459505593);
  assert.equal(murmur2(hex("c3a974ff")), 2575246810);
  assert.equal(murmur2(Buffer.from("abcdefgh")), 69371878);
  assert.equal(murmur2(hex("6162f0")), 3300766677, "signed trailing byte 0xf0");
  assert.equal(murmur2(Buffer.from("abcdefg")), 3611800456, "uWSGI mixes the key's first bytes in for the tail");
});

test("hash functions return unsigned 32-bit integers and are selected by name", () => {
  for (const key of ["", "a", "\u00ff\u00fe", "x".repeat(1000)]) {
    for (const f of [djb33x, murmur2]) {
      const h = f(Buffer.from(key, "latin1"));
      assert.ok(Number.isInteger(h) && h >= 0 && h <= 0xffffffff);
    }
  }
  assert.equal(cacheHashFunction("djb33x"), djb33x);
  assert.equal(cacheHashFunction("murmur2"), murmur2);
});
