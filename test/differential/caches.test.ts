/**
 * Differential: the cache API in a real uWSGI 2.0.21 worker vs our stub, same options, same ops.
 */
import assert from "node:assert/strict";
import { after, test } from "node:test";
import { uwsgi } from "../../src/index.js";
import { advance } from "../../src/testing.js";
import { both, pairWithUwsgi, sideBySide } from "./compare.js";
import { type Op, b, isRaised, table } from "./scenario-ops.js";

/**
 * Each scenario that depends on a cache's fill level or history has its own cache. The sweeper
 * is slowed to once an hour so that uWSGI's "expired but still visible" window is deterministic.
 */
const OPTIONS = [
  "--cache-expire-freq", "3600",
  "--cache2", "name=c1,items=20,blocksize=64,keysize=16",
  "--cache2", "name=clr,items=10",
  "--cache2", "name=full,items=4,blocksize=16",
  "--cache2", "name=math0,items=10",
  "--cache2", "name=math100,items=10,math_initial=100",
  "--cache2", "name=fresh,items=4",
  "--cache2", "name=recycled,items=4,blocksize=16",
  "--cache2", "name=lru,items=4,purge_lru=1",
  "--cache2", "name=cof,items=4,clear_on_full=1",
  "--cache2", "name=expiring,items=4",
  "--cache2", "name=lruexp,items=4,purge_lru=1",
];

const uwsgiInstance = pairWithUwsgi(OPTIONS);

const run = (ops: Op[]) => both(uwsgiInstance(), ops);

test("cache: set does not overwrite, update does", async () => {
  const { theirs } = await run([
    ["cache_set", "ow", "v1", 0, "c1"],
    ["cache_set", "ow", "v2", 0, "c1"],
    ["cache_get", "ow", "c1"],
    ["cache_update", "ow", "v2", 0, "c1"],
    ["cache_get", "ow", "c1"],
    ["cache_update", "ow-new", "n", 0, "c1"],
    ["cache_get", "ow-new", "c1"],
  ]);
  assert.deepEqual(theirs, [true, null, Buffer.from("v1"), true, Buffer.from("v2"), true, Buffer.from("n")]);
});

test("cache: get/exists/del/clear return conventions, default cache = first --cache2", async () => {
  const { theirs } = await run([
    ["cache_get", "conv"],
    ["cache_exists", "conv"],
    ["cache_del", "conv"],
    ["cache_set", "conv", "x"],
    ["cache_get", "conv", "c1"],
    ["cache_exists", "conv", "c1"],
    ["cache_get", "conv", ""],
    ["cache_del", "conv", "c1"],
    ["cache_del", "conv", "c1"],
    ["cache_exists", "conv", "c1"],
    ["cache_set", "c", "1", 0, "clr"],
    ["cache_set", "d", "2", 0, "clr"],
    ["cache_keys", "clr"],
    ["cache_clear", "clr"],
    ["cache_keys", "clr"],
    ["cache_clear", "clr"],
    ["cache_get", "c", "clr"],
    ["cache_clear", "nosuchcache"],
  ]);
  assert.deepEqual(theirs.slice(0, 5), [null, null, null, true, Buffer.from("x")]);
});

test("cache: items=N holds N-1 keys (slot 0 is reserved)", async () => {
  await run([
    ["cache_set", "k1", "1", 0, "full"],
    ["cache_set", "k2", "2", 0, "full"],
    ["cache_set", "k3", "3", 0, "full"],
    ["cache_set", "k4", "4", 0, "full"],
    ["cache_update", "k4", "4", 0, "full"],
    ["cache_keys", "full"],
    ["cache_update", "k1", "one", 0, "full"],
    ["cache_del", "k2", "full"],
    ["cache_set", "k4", "4", 0, "full"],
    ["cache_keys", "full"],
  ]);
});

test("cache: a value of exactly blocksize fits, one byte more does not", async () => {
  const { theirs } = await run([
    ["cache_set", "bs64", "v".repeat(64), 0, "c1"],
    ["cache_set", "bs65", "v".repeat(65), 0, "c1"],
    ["cache_update", "bs64", "w".repeat(65), 0, "c1"],
    ["cache_get", "bs64", "c1"],
    ["cache_exists", "bs65", "c1"],
  ]);
  assert.deepEqual(theirs.slice(0, 2), [true, null]);
});

test("cache: a key of exactly keysize fits, one byte more does not", async () => {
  const { theirs } = await run([
    ["cache_set", "k".repeat(16), "v", 0, "c1"],
    ["cache_set", "k".repeat(17), "v", 0, "c1"],
    ["cache_get", "k".repeat(16), "c1"],
    ["cache_get", "k".repeat(17), "c1"],
    ["cache_exists", "k".repeat(17), "c1"],
  ]);
  assert.deepEqual(theirs.slice(0, 2), [true, null]);
});

test("cache: empty keys and empty values are refused", async () => {
  await run([
    ["cache_set", "", "v", 0, "c1"],
    ["cache_set", "emptyval", "", 0, "c1"],
    ["cache_update", "emptyval", b(""), 0, "c1"],
    ["cache_get", "", "c1"],
    ["cache_exists", "emptyval", "c1"],
    ["cache_set", "notempty", "v", 0, "c1"],
    ["cache_update", "notempty", "", 0, "c1"],
    ["cache_get", "notempty", "c1"],
  ]);
});

test("cache: inc/dec/mul/div on missing keys start from math_initial (0 and 100); defaults 1 and 2", async () => {
  const { theirs } = await run([
    ["cache_inc", "i", 1, 0, "math0"], ["cache_num", "i", "math0"], ["cache_get", "i", "math0"],
    ["cache_dec", "d", 1, 0, "math0"], ["cache_num", "d", "math0"],
    ["cache_mul", "m", 2, 0, "math0"], ["cache_num", "m", "math0"],
    ["cache_div", "v", 2, 0, "math0"], ["cache_num", "v", "math0"],
    ["cache_inc", "di"], ["cache_num", "di"],
    ["cache_inc", "i", 1, 0, "math100"], ["cache_num", "i", "math100"],
    ["cache_dec", "d", 1, 0, "math100"], ["cache_num", "d", "math100"],
    ["cache_mul", "m", 3, 0, "math100"], ["cache_num", "m", "math100"],
    ["cache_div", "v", 3, 0, "math100"], ["cache_num", "v", "math100"],
    ["cache_inc", "i", 10, 0, "math100"], ["cache_mul", "i", 2, 0, "math100"], ["cache_dec", "i", 2, 0, "math100"], ["cache_div", "i", 2, 0, "math100"],
    ["cache_num", "i", "math100"],
    ["cache_dec", "neg", 5, 0, "math0"], ["cache_div", "neg", 2, 0, "math0"], ["cache_num", "neg", "math0"],
    ["cache_inc", "big", 2 ** 52, 0, "math0"], ["cache_mul", "big", 2, 0, "math0"], ["cache_get", "big", "math0"],
  ]);
  assert.deepEqual(theirs.slice(0, 3), [true, 1, Buffer.from([1, 0, 0, 0, 0, 0, 0, 0])]);
});

test("cache: div by 0 sets 0 and reports success", async () => {
  const { theirs } = await run([
    ["cache_inc", "z", 10, 0, "math0"],
    ["cache_div", "z", 0, 0, "math0"],
    ["cache_num", "z", "math0"],
    ["cache_div", "zmissing", 0, 0, "math100"],
    ["cache_num", "zmissing", "math100"],
  ]);
  assert.deepEqual(theirs.slice(1, 3), [true, 0]);
});

test("cache: inc on b'3' in a fresh cache gives 52 and stores 8 bytes", async () => {
  const { theirs } = await run([
    ["cache_set", "three", "3", 0, "fresh"],
    ["cache_inc", "three", 1, 0, "fresh"],
    ["cache_num", "three", "fresh"],
    ["cache_get", "three", "fresh"],
  ]);
  assert.deepEqual(theirs.slice(2), [52, Buffer.from("4\0\0\0\0\0\0\0", "latin1")]);
});

test("cache: cache_num is 0 for non-8-byte values, missing keys and unknown caches", async () => {
  await run([
    ["cache_set", "hello", "hello", 0, "c1"],
    ["cache_num", "hello", "c1"],
    ["cache_set", "eight", b("\u0007\u0000\u0000\u0000\u0000\u0000\u0000\u0000"), 0, "c1"],
    ["cache_num", "eight", "c1"],
    ["cache_num", "nokey", "c1"],
    ["cache_num", "hello", "nosuchcache"],
  ]);
});

test("cache: unknown caches: cache_keys raises, get/exists/set/del are None", async () => {
  const { theirs } = await run([
    ["cache_keys", "nosuchcache"],
    ["cache_get", "k", "nosuchcache"],
    ["cache_exists", "k", "nosuchcache"],
    ["cache_set", "k", "v", 0, "nosuchcache"],
    ["cache_update", "k", "v", 0, "nosuchcache"],
    ["cache_del", "k", "nosuchcache"],
    ["cache_inc", "k", 1, 0, "nosuchcache"],
  ]);
  assert.ok(isRaised(theirs[0]));
  assert.equal((theirs[0] as { message: string }).message, "no local uWSGI cache available");
});

test("cache: purge_lru evicts the least recently set or read item", async () => {
  const { theirs } = await run([
    ["cache_set", "a", "1", 0, "lru"],
    ["cache_set", "b", "2", 0, "lru"],
    ["cache_set", "c", "3", 0, "lru"],
    ["cache_get", "a", "lru"],
    ["cache_set", "d", "4", 0, "lru"],
    ["cache_keys", "lru"],
    ["cache_set", "e", "5", 0, "lru"],
    ["cache_keys", "lru"],
    ["cache_exists", "b", "lru"],
    ["cache_update", "a", "1b", 0, "lru"],
    ["cache_set", "f", "6", 0, "lru"],
    ["cache_keys", "lru"],
  ]);
  const names = (v: unknown) => (v as Buffer[]).map(String).sort();
  assert.deepEqual(names(theirs[5]), ["a", "c", "d"]);
  assert.deepEqual(names(theirs[7]), ["a", "d", "e"]);
});

test("cache: clear_on_full drops everything to make room", async () => {
  const { theirs } = await run([
    ["cache_set", "a", "1", 0, "cof"],
    ["cache_set", "b", "2", 0, "cof"],
    ["cache_set", "c", "3", 0, "cof"],
    ["cache_set", "d", "4", 0, "cof"],
    ["cache_keys", "cof"],
  ]);
  assert.deepEqual(theirs.slice(3), [true, [Buffer.from("d")]]);
});

// ---------------------------------------------------------------- deliberate differences -----

test("cache: math reads a recycled block zero-padded, never stale bytes (uWSGI stale math bytes bug)", async () => {
  const ops: Op[] = [
    ["cache_set", "x", "abcdefghij", 0, "recycled"],
    ["cache_del", "x", "recycled"],
    ["cache_set", "y", "3", 0, "recycled"],
    ["cache_inc", "y", 1, 0, "recycled"],
    ["cache_num", "y", "recycled"],
    ["cache_get", "y", "recycled"],
  ];
  const { theirs, ours } = await sideBySide(uwsgiInstance(), ops);
  const why = table(ops, theirs, ours);
  // uWSGI: the 7 bytes after "3" are left over from "abcdefghij" in the same block.
  assert.deepEqual(theirs.slice(3), [true, 7523094288207667764n, Buffer.from("4bcdefgh")], why);
  // ours: as on a fresh block.
  assert.deepEqual(ours.slice(3), [true, 52, Buffer.from("4\0\0\0\0\0\0\0", "latin1")], why);
});

/** Both expiry differences need a second to pass on uWSGI's real clock: one shared wait. */
let expiryProbe: Promise<unknown> | null = null;
function uwsgiExpiryProbe(): Promise<unknown> {
  expiryProbe ??= uwsgiInstance().code(`
import time
t0 = int(time.time())
uwsgi.cache_set("e1", "v", 1, "expiring")
uwsgi.cache_set("l1", "v", 1, "lruexp")
while int(time.time()) < t0 + 2:
    time.sleep(0.05)
result = [uwsgi.cache_get("e1", "expiring"), uwsgi.cache_exists("e1", "expiring"), uwsgi.cache_keys("expiring"),
          uwsgi.cache_get("l1", "lruexp"), uwsgi.cache_exists("l1", "lruexp")]
`);
  return expiryProbe;
}

test("cache: an expired item is gone at once (uWSGI lazy expiry bug: visible until the sweeper runs)", async () => {
  const theirs = (await uwsgiExpiryProbe()) as unknown[];
  assert.deepEqual(theirs.slice(0, 3), [Buffer.from("v"), true, [Buffer.from("e1")]], "uWSGI still shows the expired item");
  assert.equal(uwsgi.cache_set("e1", "v", 1, "expiring"), true);
  assert.deepEqual(uwsgi.cache_get("e1", "expiring"), Buffer.from("v"));
  await advance(1000);
  assert.equal(uwsgi.cache_get("e1", "expiring"), null);
  assert.equal(uwsgi.cache_exists("e1", "expiring"), false);
  assert.deepEqual(uwsgi.cache_keys("expiring"), []);
});

test("cache: expiry works on purge_lru caches (uWSGI LRU expiry bug: never expires)", async () => {
  const theirs = (await uwsgiExpiryProbe()) as unknown[];
  assert.deepEqual(theirs.slice(3), [Buffer.from("v"), true], "uWSGI keeps the expired item of an LRU cache");
  assert.equal(uwsgi.cache_set("l1", "v", 1, "lruexp"), true);
  await advance(1000);
  assert.equal(uwsgi.cache_get("l1", "lruexp"), null);
  assert.equal(uwsgi.cache_exists("l1", "lruexp"), false);
});

test("cache: a null cache name means the default cache (uWSGI py3: None raises TypeError)", async () => {
  const ops: Op[] = [
    ["cache_update", "nullname", "v", 0, "c1"],
    ["cache_get", "nullname", null],
    ["cache_exists", "nullname", null],
  ];
  const { theirs, ours } = await sideBySide(uwsgiInstance(), ops);
  const why = table(ops, theirs, ours);
  assert.ok(isRaised(theirs[1]) && theirs[1].error === "TypeError", why);
  assert.ok(isRaised(theirs[2]) && theirs[2].error === "TypeError", why);
  assert.deepEqual(ours, [true, Buffer.from("v"), true], why);
});

test("cache: a negative expires is refused (uWSGI: wraps into the past, readable until swept)", async () => {
  const ops: Op[] = [
    ["cache_set", "negexp", "v", -1, "c1"],
    ["cache_get", "negexp", "c1"],
  ];
  const { theirs, ours } = await sideBySide(uwsgiInstance(), ops);
  const why = table(ops, theirs, ours);
  assert.deepEqual(theirs, [true, Buffer.from("v")], why);
  assert.ok(isRaised(ours[0]) && ours[0].error === "UWSGI_ERR_INVALID_ARGUMENT", why);
  assert.equal(ours[1], null, why);
});
