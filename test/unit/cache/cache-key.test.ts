import { test } from "node:test";
import assert from "node:assert/strict";
import { isUwsgiError } from "../../../src/errors.js";
import { CacheKey } from "../../../src/engines/cache/cache-key.js";
import { djb33x, murmur2 } from "../../../src/engines/cache/hash.js";
import { B, START_MS, cacheOf, engineOver, keyNames, sharedSetup } from "./make-cache.js";
import { ManualClock } from "../../../src/core/clock.js";
import { parseCache2Option } from "../../../src/engines/cache/cache-options.js";

test("a string key and the Buffer of its UTF-8 bytes name the same item (ASCII, non-ASCII, astral)", () => {
  for (const hash of ["djb33x", "murmur2"]) {
    const { cache } = cacheOf(`name=k,items=20,blocksize=16,keysize=16,hash=${hash}`);
    for (const key of ["user:42", "clé-é", "ключ", "😀x", "a"]) {
      assert.equal(cache.update(key, B(`v-${key}`)), true, key);
      assert.deepEqual(cache.get(B(key)), B(`v-${key}`), `${key} read back through its bytes`);
      assert.deepEqual(cache.get(new Uint8Array(B(key))), B(`v-${key}`), `${key} read back through a Uint8Array`);
      assert.equal(cache.exists(key), true);
      assert.equal(cache.del(B(key)), true);
      assert.equal(cache.exists(key), false);
    }
    cache.update("clé", B("x"));
    assert.deepEqual(keyNames(cache), ["clé"], "the stored key is the UTF-8 bytes");
  }
});

test("keys up to keysize bytes are stored, longer ones (counted in UTF-8 bytes) are refused", () => {
  const { cache } = cacheOf("name=k,items=20,blocksize=16,keysize=8");
  assert.equal(cache.set("12345678", B("v")), true, "exactly keysize ASCII bytes");
  assert.equal(cache.set("123456789", B("v")), false, "one byte too many");
  assert.equal(cache.set("éééé", B("v")), true, "4 characters, 8 bytes");
  assert.equal(cache.set("ééééé", B("v")), false, "5 characters, 10 bytes");
  assert.equal(cache.set("1234567é", B("v")), false, "8 characters, 9 bytes");
  assert.equal(cache.get("123456789"), null);
  assert.equal(cache.exists("x".repeat(5000)), false, "a key far beyond keysize");
  assert.equal(cache.num("x".repeat(5000)), 0n);
  assert.equal(cache.del("x".repeat(5000)), false);
  assert.equal(cache.math("inc", "x".repeat(9), 1), false);
  assert.deepEqual(keyNames(cache).sort(), ["12345678", "éééé"].sort());
  assert.equal(cache.stats().miss, 2, "gets and nums of impossible keys count as misses");
});

test("a key loaded after another leaves nothing of the previous one (shorter key in the same scratch)", () => {
  const { cache } = cacheOf("name=k,items=20,blocksize=16,keysize=32");
  cache.update("abcdef", B("long"));
  cache.update("abc", B("short"));
  assert.deepEqual(cache.get("abc"), B("short"));
  assert.deepEqual(cache.get("abcdef"), B("long"));
  assert.deepEqual(keyNames(cache), ["abc", "abcdef"]);
});

test("a key that is not a string, Buffer or Uint8Array is a coded error naming the key", () => {
  const { cache } = cacheOf("name=k,items=20,blocksize=16");
  for (const bad of [42, null, undefined, {}, ["a"]]) {
    assert.throws(() => cache.get(bad as unknown as string), (err) => isUwsgiError(err, "UWSGI_ERR_INVALID_ARGUMENT") && /key/.test(err.message));
    assert.throws(() => cache.update(bad as unknown as string, B("v")), (err) => isUwsgiError(err, "UWSGI_ERR_INVALID_ARGUMENT"));
  }
});

test("CacheKey encodes ASCII into its scratch and hashes the same as the key's Buffer", () => {
  const key = new CacheKey(64);
  for (const s of ["user:42", "ä-ö", "", "x".repeat(64)]) {
    key.load(s);
    const bytes = B(s);
    assert.equal(key.length, bytes.length);
    assert.deepEqual(Buffer.from(key.bytes.subarray(0, key.length)), bytes);
    assert.equal(djb33x(key.bytes, key.length), djb33x(bytes));
    assert.equal(murmur2(key.bytes, key.length), murmur2(bytes));
  }
  key.load("é".repeat(40)); // 80 bytes: more than the scratch holds, encoded on its own
  assert.equal(key.length, 80);
  assert.deepEqual(Buffer.from(key.bytes.subarray(0, 80)), B("é".repeat(40)));
});

test("CacheKey.load returns the key's hash (djb33x fused with the ASCII loop, murmur2 after it), -1 beyond keysize", () => {
  for (const [hash, fn] of [["djb33x", djb33x], ["murmur2", murmur2]] as const) {
    const key = new CacheKey(16, fn);
    for (const s of ["user:42", "a", "", "x".repeat(16), "clé", "ключ", "😀", "\x7f\x00"]) {
      const bytes = B(s);
      const h = key.load(s);
      if (bytes.length > 16) assert.equal(h, -1, `${hash} ${s}`);
      else assert.equal(h, fn(bytes), `${hash}: ${JSON.stringify(s)} from a string`);
      assert.equal(key.load(bytes), bytes.length > 16 ? -1 : fn(bytes), `${hash}: ${JSON.stringify(s)} from its bytes`);
    }
    assert.equal(key.load("x".repeat(17)), -1, "one ASCII byte over keysize");
    assert.equal(key.load("é".repeat(9)), -1, "18 UTF-8 bytes in 9 characters");
    assert.equal(key.load(B("x".repeat(17))), -1, "a Buffer over keysize");
  }
});

test("bucket by mask (power-of-two hashsize) and by modulo find the same items as the rebuild does, hashes >= 2^31 included", () => {
  for (const hashsize of [8, 7, 65536]) {
    const { cache } = cacheOf(`name=k,items=200,blocksize=16,hashsize=${hashsize}`);
    const keys = Array.from({ length: 150 }, (_, i) => `key-${i}-${"z".repeat(i % 7)}`);
    assert.ok(keys.some((k) => djb33x(B(k)) >= 2 ** 31), "some hashes have the top bit set");
    for (const k of keys) assert.equal(cache.set(k, B(k)), true, k);
    for (const k of keys) assert.deepEqual(cache.get(k), B(k), `${k} with hashsize ${hashsize}`);
    for (const k of keys.slice(0, 50)) assert.equal(cache.del(k), true);
    for (const k of keys.slice(50)) assert.equal(cache.exists(B(k)), true);
    assert.equal(cache.stats().items, 100);
    // The same data region restored: buckets rebuilt with `hash % hashsize`.
    const opts = parseCache2Option(`name=k,items=200,blocksize=16,hashsize=${hashsize}`);
    const setup = sharedSetup(opts);
    const writer = engineOver(opts, setup, new ManualClock(START_MS), "init");
    for (const k of keys) writer.set(k, B(k));
    const again = sharedSetup(opts);
    new Uint8Array(again.regions.data).set(new Uint8Array(setup.regions.data));
    const restored = engineOver(opts, again, new ManualClock(START_MS), "restore");
    assert.equal(restored.restored, keys.length);
    for (const k of keys) assert.deepEqual(restored.get(k), B(k), `${k} after a restore with hashsize ${hashsize}`);
  }
});
