import { test } from "node:test";
import assert from "node:assert/strict";
import { copyOut, POOLED_MAX } from "../../../src/engines/cache/value-pool.js";
import { mulberry32 } from "../../support/mulberry32.js";

test("copyOut: copies of every length and alignment equal the source and stay independent of it", () => {
  const region = new ArrayBuffer(64 * 1024);
  const source = Buffer.from(region);
  const words = new Int32Array(region);
  const rand = mulberry32(7);
  for (let i = 0; i < source.length; i++) source[i] = Math.floor(rand() * 256);
  const taken: { copy: Buffer; expected: Buffer }[] = [];
  for (let n = 0; n < 3000; n++) {
    const length = n < 300 ? n : Math.floor(rand() * (POOLED_MAX * 2));
    const offset = Math.floor(rand() * (source.length - length));
    const copy = copyOut(source, words, offset, length);
    assert.ok(Buffer.isBuffer(copy), "a Buffer");
    assert.equal(Object.getPrototypeOf(copy), Buffer.prototype, "a plain Buffer (deepStrictEqual-compatible)");
    assert.equal(copy.length, length);
    const expected = Buffer.from(source.subarray(offset, offset + length));
    assert.deepStrictEqual(copy, expected, `length ${length} at offset ${offset}`);
    taken.push({ copy, expected });
  }
  source.fill(0);
  for (const { copy, expected } of taken) assert.deepStrictEqual(copy, expected, "later writes to the source do not show");
  taken.forEach(({ copy }, i) => copy.fill(i & 255));
  taken.forEach(({ copy }, i) => assert.ok(copy.every((b) => b === (i & 255)), `copy ${i} shares no bytes with another`));
});
