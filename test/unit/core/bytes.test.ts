import { test } from "node:test";
import assert from "node:assert/strict";
import { Buffer } from "node:buffer";
import { stringToBuffer, toBuffer } from "../../../src/core/bytes.js";
import { isUwsgiError } from "../../../src/errors.js";

test("bytes: strings become their UTF-8 bytes, short or long, ASCII or not", () => {
  const strings = ["", "x", "a".repeat(16), "a".repeat(17), "a".repeat(100), "é", "aé", "a".repeat(15) + "é", "日本", "\u{1f600}", "\ud800", "a\ud800b", "\x7f\x00"];
  for (const s of strings) {
    assert.deepEqual(stringToBuffer(s), Buffer.from(s, "utf8"), JSON.stringify(s));
    assert.deepEqual(toBuffer(s), Buffer.from(s, "utf8"), JSON.stringify(s));
  }
});

test("bytes: each conversion is a new Buffer (a callee may change it)", () => {
  const a = stringToBuffer("abc");
  const b = stringToBuffer("abc");
  a[0] = 0x7a;
  assert.equal(b.toString(), "abc");
});

test("bytes: Buffers are not copied, Uint8Arrays are viewed, anything else is a coded error", () => {
  const buf = Buffer.from("k");
  assert.equal(toBuffer(buf), buf);
  const u8 = new Uint8Array([1, 2, 3]).subarray(1);
  const view = toBuffer(u8);
  assert.deepEqual([...view], [2, 3]);
  u8[0] = 9;
  assert.equal(view[0], 9);
  assert.throws(() => toBuffer(42 as unknown as string, "key"), (e: unknown) => isUwsgiError(e, "UWSGI_ERR_INVALID_ARGUMENT") && /key/.test(String(e)));
});
