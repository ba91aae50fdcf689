/**
 * The stub's cache_* functions through the public facade: uWSGI's conventions (§2.6–§2.11),
 * exact expiry on the manual clock, unknown caches, the legacy default cache, math, and
 * remote names that cannot be reached.
 */
import { beforeEach, describe, test } from "node:test";
import assert from "node:assert/strict";
import { uwsgi } from "../../../src/index.js";
import { advance, configure } from "../../../src/testing.js";
import { isUwsgiError, type ErrorCode } from "../../../src/errors.js";
import { closedPort } from "./closed-port.js";

const code = (c: ErrorCode) => (e: unknown) => isUwsgiError(e, c);
const b = (s: string) => Buffer.from(s);
/** A start time on a whole second, so expiry lands exactly on a millisecond we can name. */
const T0 = Date.UTC(2024, 0, 15, 12, 0, 0);
const int64 = (n: bigint) => {
  const buf = Buffer.alloc(8);
  buf.writeBigInt64LE(n);
  return buf;
};

beforeEach(() => {
  configure(["--cache2", "name=main,items=10,blocksize=64,keysize=16", "--cache2", "name=other,items=4"], { startMs: T0 });
});

describe("stub cache: get/set/update/del/exists/clear", () => {
  test("set stores, get returns a Buffer, a miss is null", () => {
    assert.equal(uwsgi.cache_set("k", "v"), true);
    assert.deepEqual(uwsgi.cache_get("k"), b("v"));
    assert.ok(Buffer.isBuffer(uwsgi.cache_get("k")));
    assert.equal(uwsgi.cache_get("missing"), null);
  });

  test("keys and values may be string, Buffer or Uint8Array (UTF-8 for strings)", () => {
    assert.equal(uwsgi.cache_set(b("kb"), new Uint8Array([1, 2, 3])), true);
    assert.deepEqual(uwsgi.cache_get("kb"), Buffer.from([1, 2, 3]));
    assert.equal(uwsgi.cache_set(new Uint8Array(b("é")), "ü"), true);
    assert.deepEqual(uwsgi.cache_get("é"), Buffer.from("ü", "utf8"));
  });

  test("cache_set never overwrites an existing key (false, old value kept)", () => {
    uwsgi.cache_set("k", "first");
    assert.equal(uwsgi.cache_set("k", "second"), false);
    assert.deepEqual(uwsgi.cache_get("k"), b("first"));
  });

  test("cache_update creates and overwrites", () => {
    assert.equal(uwsgi.cache_update("k", "one"), true);
    assert.equal(uwsgi.cache_update("k", "two"), true);
    assert.deepEqual(uwsgi.cache_get("k"), b("two"));
  });

  test("empty values, empty keys, values over blocksize and keys over keysize are refused", () => {
    assert.equal(uwsgi.cache_set("k", ""), false);
    assert.equal(uwsgi.cache_set("", "v"), false);
    assert.equal(uwsgi.cache_set("big", "x".repeat(64)), true, "exactly blocksize fits");
    assert.equal(uwsgi.cache_set("big2", "x".repeat(65)), false, "one byte more does not");
    assert.equal(uwsgi.cache_set("k".repeat(16), "v"), true, "exactly keysize fits");
    assert.equal(uwsgi.cache_set("k".repeat(17), "v"), false);
    assert.equal(uwsgi.cache_get("big2"), null);
  });

  test("items=N holds N-1 keys (slot 0 is reserved)", () => {
    for (let i = 1; i <= 3; i++) assert.equal(uwsgi.cache_set(`k${i}`, "v", 0, "other"), true, `key ${i}`);
    assert.equal(uwsgi.cache_set("k4", "v", 0, "other"), false);
    assert.equal(uwsgi.cache_keys("other").length, 3);
  });

  test("del removes and reports whether the key was there", () => {
    uwsgi.cache_set("k", "v");
    assert.equal(uwsgi.cache_del("k"), true);
    assert.equal(uwsgi.cache_get("k"), null);
    assert.equal(uwsgi.cache_del("k"), false);
  });

  test("exists is true/false, never null", () => {
    uwsgi.cache_set("k", "v");
    assert.equal(uwsgi.cache_exists("k"), true);
    assert.equal(uwsgi.cache_exists("nope"), false);
  });

  test("clear empties only the named cache", () => {
    uwsgi.cache_set("a", "1");
    uwsgi.cache_set("b", "2");
    uwsgi.cache_set("c", "3", 0, "other");
    assert.equal(uwsgi.cache_clear(), true);
    assert.deepEqual(uwsgi.cache_keys(), []);
    assert.deepEqual(uwsgi.cache_keys("other"), [b("c")]);
    assert.equal(uwsgi.cache_clear("other"), true);
    assert.deepEqual(uwsgi.cache_keys("other"), []);
  });

  test("keys lists every live key as Buffers", () => {
    uwsgi.cache_set("a", "1");
    uwsgi.cache_set("b", "2");
    uwsgi.cache_update("c", "3");
    uwsgi.cache_del("b");
    assert.deepEqual(uwsgi.cache_keys().map(String).sort(), ["a", "c"]);
    assert.ok(uwsgi.cache_keys().every((k) => Buffer.isBuffer(k)));
  });

  test("the cache argument picks the cache; omitted, null and \"\" mean the default (first) one", () => {
    uwsgi.cache_set("k", "main");
    uwsgi.cache_set("k", "other", 0, "other");
    assert.deepEqual(uwsgi.cache_get("k", null), b("main"));
    assert.deepEqual(uwsgi.cache_get("k", ""), b("main"));
    assert.deepEqual(uwsgi.cache_get("k", "main"), b("main"));
    assert.deepEqual(uwsgi.cache_get("k", "other"), b("other"));
    assert.equal(uwsgi.cache_del("k", "other"), true);
    assert.deepEqual(uwsgi.cache_get("k"), b("main"));
  });

  test("a negative expires is rejected with a coded error", () => {
    assert.throws(() => uwsgi.cache_set("k", "v", -1), code("UWSGI_ERR_INVALID_ARGUMENT"));
    assert.throws(() => uwsgi.cache_update("k", "v", 1.5), code("UWSGI_ERR_INVALID_ARGUMENT"));
    assert.equal(uwsgi.cache_get("k"), null);
  });

  test("a key that is not bytes or a string is rejected with a coded error", () => {
    assert.throws(() => uwsgi.cache_get(42 as unknown as string), code("UWSGI_ERR_INVALID_ARGUMENT"));
  });
});

describe("stub cache: expiry on the manual clock", () => {
  test("cache: expired items are invisible at once (uWSGI lazy expiry bug)", async () => {
    uwsgi.cache_set("k", "v", 10);
    await advance(9_999);
    assert.deepEqual(uwsgi.cache_get("k"), b("v"), "still there 1 ms before expiry");
    assert.equal(uwsgi.cache_exists("k"), true);
    await advance(1);
    assert.equal(uwsgi.cache_get("k"), null, "gone exactly at expiry");
    assert.equal(uwsgi.cache_exists("k"), false);
    assert.deepEqual(uwsgi.cache_keys(), [], "cache_keys does not list it either");
    assert.equal(uwsgi.cache_num("k"), 0);
  });

  test("an expired key can be set again", async () => {
    uwsgi.cache_set("k", "old", 1);
    await advance(1_000);
    assert.equal(uwsgi.cache_set("k", "new"), true);
    assert.deepEqual(uwsgi.cache_get("k"), b("new"));
  });

  test("expires 0, null or omitted means never", async () => {
    uwsgi.cache_set("a", "1", 0);
    uwsgi.cache_set("b", "2", null);
    uwsgi.cache_set("c", "3");
    await advance(10 * 365 * 24 * 3600 * 1000);
    assert.deepEqual(uwsgi.cache_keys().map(String).sort(), ["a", "b", "c"]);
  });

  test("cache_update replaces the expiry; an update without expires makes the item immortal", async () => {
    uwsgi.cache_set("k", "v", 5);
    uwsgi.cache_update("k", "v2", 20);
    await advance(19_000);
    assert.deepEqual(uwsgi.cache_get("k"), b("v2"), "the old 5 s expiry is gone");
    await advance(1_000);
    assert.equal(uwsgi.cache_get("k"), null, "the new 20 s expiry holds");

    uwsgi.cache_set("m", "v", 5);
    uwsgi.cache_update("m", "v2");
    await advance(3_600_000);
    assert.deepEqual(uwsgi.cache_get("m"), b("v2"));
  });

  test("math keeps the existing expiry (the expires argument applies only on creation)", async () => {
    assert.equal(uwsgi.cache_inc("n", 1, 10), true);
    await advance(5_000);
    assert.equal(uwsgi.cache_inc("n", 1, 100), true);
    assert.equal(uwsgi.cache_num("n"), 2);
    await advance(5_000);
    assert.equal(uwsgi.cache_exists("n"), false, "expired at its original 10 s");
  });

  test("expiry works per cache, including the named one", async () => {
    uwsgi.cache_set("k", "v", 2, "other");
    await advance(2_000);
    assert.equal(uwsgi.cache_get("k", "other"), null);
  });
});

describe("stub cache: math", () => {
  test("defaults: inc/dec by 1, mul/div by 2, starting from 0 for a missing key", () => {
    assert.equal(uwsgi.cache_inc("i"), true);
    assert.equal(uwsgi.cache_num("i"), 1);
    assert.equal(uwsgi.cache_dec("d"), true);
    assert.equal(uwsgi.cache_num("d"), -1);
    assert.equal(uwsgi.cache_mul("m"), true);
    assert.equal(uwsgi.cache_num("m"), 0);
    assert.equal(uwsgi.cache_div("v"), true);
    assert.equal(uwsgi.cache_num("v"), 0);
    uwsgi.cache_inc("x", 5);
    uwsgi.cache_mul("x");
    assert.equal(uwsgi.cache_num("x"), 10);
    uwsgi.cache_div("x");
    assert.equal(uwsgi.cache_num("x"), 5);
    uwsgi.cache_dec("x");
    assert.equal(uwsgi.cache_num("x"), 4);
  });

  test("counters are 8-byte little-endian int64 values", () => {
    uwsgi.cache_inc("n", 258);
    assert.deepEqual(uwsgi.cache_get("n"), int64(258n));
    uwsgi.cache_dec("n", 300);
    assert.deepEqual(uwsgi.cache_get("n"), int64(-42n));
    assert.equal(uwsgi.cache_num("n"), -42);
  });

  test("division truncates toward zero; division by 0 gives 0 and succeeds", () => {
    uwsgi.cache_dec("n", 7);
    uwsgi.cache_div("n", 2);
    assert.equal(uwsgi.cache_num("n"), -3);
    assert.equal(uwsgi.cache_div("n", 0), true);
    assert.equal(uwsgi.cache_num("n"), 0);
  });

  test("math on a short value reads it zero-padded (b\"3\" + 1 = 52, never stale bytes)", () => {
    uwsgi.cache_set("s", "abcdefghij");
    uwsgi.cache_del("s");
    uwsgi.cache_set("s", "3");
    assert.equal(uwsgi.cache_inc("s"), true);
    assert.equal(uwsgi.cache_num("s"), 52);
    assert.deepEqual(uwsgi.cache_get("s"), int64(52n));
  });

  test("cache_num is 0 for a value that is not 8 bytes, a missing key and an unknown cache", () => {
    uwsgi.cache_set("h", "hello");
    assert.equal(uwsgi.cache_num("h"), 0);
    assert.equal(uwsgi.cache_num("none"), 0);
    assert.equal(uwsgi.cache_num("h", "nope"), 0);
    uwsgi.cache_set("eight", int64(123456789n));
    assert.equal(uwsgi.cache_num("eight"), 123456789);
  });

  test("a non-integer operand is a coded error", () => {
    assert.throws(() => uwsgi.cache_inc("n", 1.5), code("UWSGI_ERR_INVALID_ARGUMENT"));
    assert.equal(uwsgi.cache_exists("n"), false);
  });

  test("math_initial seeds missing keys", () => {
    configure(["--cache2", "name=m,items=5,math_initial=100"]);
    uwsgi.cache_inc("a");
    uwsgi.cache_dec("b");
    uwsgi.cache_mul("c", 3);
    assert.deepEqual([uwsgi.cache_num("a"), uwsgi.cache_num("b"), uwsgi.cache_num("c")], [101, 99, 300]);
  });
});

describe("stub cache: unknown caches and no caches", () => {
  test("an unknown cache reads as a miss: null / false / 0", () => {
    assert.equal(uwsgi.cache_get("k", "nope"), null);
    assert.equal(uwsgi.cache_set("k", "v", 0, "nope"), false);
    assert.equal(uwsgi.cache_update("k", "v", 0, "nope"), false);
    assert.equal(uwsgi.cache_del("k", "nope"), false);
    assert.equal(uwsgi.cache_exists("k", "nope"), false);
    assert.equal(uwsgi.cache_clear("nope"), false);
    assert.equal(uwsgi.cache_inc("k", 1, 0, "nope"), false);
    assert.equal(uwsgi.cache_dec("k", 1, 0, "nope"), false);
    assert.equal(uwsgi.cache_mul("k", 2, 0, "nope"), false);
    assert.equal(uwsgi.cache_div("k", 2, 0, "nope"), false);
    assert.equal(uwsgi.cache_num("k", "nope"), 0);
  });

  test("cache_keys of an unknown cache throws UWSGI_ERR_CACHE_UNAVAILABLE; remote names are not supported there", () => {
    assert.throws(() => uwsgi.cache_keys("nope"), code("UWSGI_ERR_CACHE_UNAVAILABLE"));
    assert.throws(() => uwsgi.cache_keys("main@127.0.0.1:1"), code("UWSGI_ERR_CACHE_UNAVAILABLE"));
  });

  test("regression: without any cache configured cache_inc silently returned false; every local call now throws UWSGI_ERR_CACHE_NONE_CONFIGURED", () => {
    configure([]);
    const calls: Array<[string, () => unknown]> = [
      ["cache_set", () => uwsgi.cache_set("k", "v")],
      ["cache_update", () => uwsgi.cache_update("k", "v")],
      ["cache_get", () => uwsgi.cache_get("k")],
      ["cache_del", () => uwsgi.cache_del("k")],
      ["cache_exists", () => uwsgi.cache_exists("k")],
      ["cache_inc", () => uwsgi.cache_inc("k")],
      ["cache_dec", () => uwsgi.cache_dec("k")],
      ["cache_mul", () => uwsgi.cache_mul("k")],
      ["cache_div", () => uwsgi.cache_div("k")],
      ["cache_num", () => uwsgi.cache_num("k")],
      ["cache_clear", () => uwsgi.cache_clear()],
      ["cache_keys", () => uwsgi.cache_keys()],
    ];
    for (const [name, call] of calls) {
      assert.throws(call, { code: "UWSGI_ERR_CACHE_NONE_CONFIGURED", message: new RegExp(`^uwsgi\\.${name}\\(\\): no cache is configured \\(start the server with --cache2`) }, name);
    }
  });

  test("configure drops the data of the previous configuration", () => {
    uwsgi.cache_set("k", "v");
    configure(["--cache2", "name=main,items=10"]);
    assert.equal(uwsgi.cache_get("k"), null);
  });
});

describe("stub cache: the legacy --cache N", () => {
  test("--cache N creates cache \"default\" first, so it is the default even after --cache2", () => {
    configure(["--cache2", "name=second,items=10", "--cache", "5"]);
    assert.equal(uwsgi.cache_set("k", "v"), true);
    assert.deepEqual(uwsgi.cache_get("k", "default"), b("v"));
    assert.equal(uwsgi.cache_get("k", "second"), null);
    assert.deepEqual(uwsgi.cache_keys(), [b("k")]);
    assert.deepEqual(uwsgi.cache_keys("second"), []);
  });

  test("--cache N stores N-1 keys, --cache-blocksize bounds the value size", () => {
    configure(["--cache", "3", "--cache-blocksize", "8"]);
    assert.equal(uwsgi.cache_set("a", "12345678"), true);
    assert.equal(uwsgi.cache_set("b", "123456789"), false);
    assert.equal(uwsgi.cache_set("b", "1"), true);
    assert.equal(uwsgi.cache_set("c", "1"), false, "items=3 holds 2 keys");
  });
});

describe("stub cache: remote names", () => {
  test("regression: an unreachable node read as a miss; name@host:port on a closed port rejects with UWSGI_ERR_REMOTE_UNREACHABLE", async () => {
    const port = await closedPort();
    const remote = `main@127.0.0.1:${port}` as const;
    const unreachable = { code: "UWSGI_ERR_REMOTE_UNREACHABLE", message: new RegExp(`^node 127\\.0\\.0\\.1:${port} is unreachable \\(unreachable\\): connect ECONNREFUSED`) };
    await assert.rejects(uwsgi.cache_get("k", remote), unreachable);
    await assert.rejects(uwsgi.cache_set("k", "v", 0, remote), unreachable);
    await assert.rejects(uwsgi.cache_update("k", "v", 10, remote), unreachable);
    await assert.rejects(uwsgi.cache_del("k", remote), unreachable);
    await assert.rejects(uwsgi.cache_exists("k", remote), unreachable);
    await assert.rejects(uwsgi.cache_clear(remote), unreachable);
    await assert.rejects(uwsgi.cache_inc("k", 1, 0, remote), unreachable);
    await assert.rejects(uwsgi.cache_dec("k", 1, 0, remote), unreachable);
    await assert.rejects(uwsgi.cache_mul("k", 2, 0, remote), unreachable);
    await assert.rejects(uwsgi.cache_div("k", 2, 0, remote), unreachable);
    await assert.rejects(uwsgi.cache_num("k", remote), unreachable);
  });

  test("a remote name returns a Promise and never touches the local cache of that name", async () => {
    const remote = `main@127.0.0.1:${await closedPort()}` as const;
    uwsgi.cache_set("k", "local");
    const pending = uwsgi.cache_get("k", remote);
    assert.ok(pending instanceof Promise);
    await assert.rejects(pending, code("UWSGI_ERR_REMOTE_UNREACHABLE"));
    await assert.rejects(uwsgi.cache_update("k", "remote", 0, remote), code("UWSGI_ERR_REMOTE_UNREACHABLE"));
    assert.deepEqual(uwsgi.cache_get("k"), b("local"));
  });

  test("@host:port (empty name) is the remote default cache and an unreachable one rejects too", async () => {
    const remote = `@127.0.0.1:${await closedPort()}` as const;
    await assert.rejects(uwsgi.cache_get("k", remote), code("UWSGI_ERR_REMOTE_UNREACHABLE"));
  });

  test("a name ending in @ has no address: coded error", () => {
    assert.throws(() => uwsgi.cache_get("k", "main@" as `${string}@${string}`), code("UWSGI_ERR_INVALID_ARGUMENT"));
  });

  test("an address that is not host:port, /path or @name rejects with a coded error (bad input, not a miss)", async () => {
    await assert.rejects(uwsgi.cache_get("k", "main@nowhere"), code("UWSGI_ERR_INVALID_ARGUMENT"));
    await assert.rejects(uwsgi.cache_set("k", "v", 0, "main@host:99999"), code("UWSGI_ERR_INVALID_ARGUMENT"));
  });
});
