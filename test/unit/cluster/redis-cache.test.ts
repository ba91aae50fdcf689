/**
 * The Redis-backed cache through the stub's `uwsgi.cache_*` (the same client the server's
 * workers use) against a real redis-server: uWSGI's return conventions, limits, exact expiry at
 * Redis's second, int64 math byte-for-byte as the shared-memory engine does it, clear bounded to
 * the cache's prefix, coded errors while Redis is down and recovery when it is back.
 */
import { after, before, describe, test } from "node:test";
import assert from "node:assert/strict";
import type { ChildProcess } from "node:child_process";
import { Redis } from "ioredis";
import { uwsgi } from "../../../src/index.js";
import { configure, logLines, reset } from "../../../src/testing.js";
import { NEAR_STALE_MS } from "../../../src/cluster/near-cache.js";
import { isUwsgiError } from "../../../src/errors.js";
import { createLocalCache } from "../../../src/engines/cache/cache-registry.js";
import { parseCache2Option } from "../../../src/engines/cache/cache-options.js";
import { parseRedisCache2 } from "../../../src/cluster/redis-cache-options.js";
import { ManualClock } from "../../../src/core/clock.js";
import { mulberry32 } from "../../support/mulberry32.js";
import { eventually } from "../../support/eventually.js";
import { freeTcpPort } from "../../support/free-port.js";
import { killRedis, startRedis } from "../../support/redis-server.js";

const C = "r@redis";
let port = 0;
let server: ChildProcess;
let direct: Redis;

function configureRedis(extra = ""): void {
  configure(["--cache2", `name=r,items=5,blocksize=16,keysize=8${extra},backend=redis://127.0.0.1:${port}/0`, "--cache2", "name=local,items=10"]);
}

before(async () => {
  port = await freeTcpPort();
  server = await startRedis(port);
  direct = new Redis({ port, host: "127.0.0.1" });
  direct.on("error", () => undefined); // reconnect noise while the test kills Redis
});

after(async () => {
  reset();
  direct.disconnect();
  await killRedis(server);
});

async function redisNow(): Promise<number> {
  return Number((await direct.time())[0]);
}

describe("Redis-backed cache through uwsgi.cache_*", () => {
  test("uWSGI's return conventions: null for a miss, set never overwrites, update does, del says whether it deleted", async () => {
    configureRedis();
    await uwsgi.cache_clear(C);
    assert.equal(await uwsgi.cache_get("k", C), null);
    assert.equal(await uwsgi.cache_set("k", "v1", 0, C), true);
    assert.equal(await uwsgi.cache_set("k", "v2", 0, C), false);
    assert.deepEqual(await uwsgi.cache_get("k", C), Buffer.from("v1"));
    assert.equal(await uwsgi.cache_update("k", "v3", 0, C), true);
    assert.deepEqual(await uwsgi.cache_get("k", C), Buffer.from("v3"));
    assert.equal(await uwsgi.cache_exists("k", C), true);
    assert.deepEqual(await uwsgi.cache_keys(C), [Buffer.from("k")]);
    assert.equal(await uwsgi.cache_del("k", C), true);
    assert.equal(await uwsgi.cache_del("k", C), false);
    assert.equal(await uwsgi.cache_exists("k", C), false);
    assert.equal(await uwsgi.cache_num("nothing", C), 0);
  });

  test("a plain name of a Redis-backed cache is refused with a code saying how to address it", () => {
    configureRedis();
    assert.throws(() => uwsgi.cache_get("k", "r"), (e) => isUwsgiError(e, "UWSGI_ERR_CACHE_REDIS_NAME") && /"r@redis"/.test(e.message));
    assert.throws(() => uwsgi.cache_update("k", "v", 0, "r"), (e) => isUwsgiError(e, "UWSGI_ERR_CACHE_REDIS_NAME"));
    // a local cache next to it is untouched by this
    assert.equal(uwsgi.cache_update("k", "v", 0, "local"), true);
    assert.throws(() => uwsgi.cache_get("k", "nope@redis"), (e) => isUwsgiError(e, "UWSGI_ERR_CACHE_UNAVAILABLE"));
  });

  test("items, keysize and blocksize limits as in a shared-memory cache; clear_on_full empties it", async () => {
    configureRedis();
    await uwsgi.cache_clear(C);
    assert.equal(await uwsgi.cache_set("123456789", "v", 0, C), false, "key longer than keysize=8");
    assert.equal(await uwsgi.cache_set("k", Buffer.alloc(17), 0, C), false, "value larger than blocksize=16");
    assert.equal(await uwsgi.cache_set("k", Buffer.alloc(16), 0, C), true);
    assert.equal(await uwsgi.cache_set("", "v", 0, C), false, "empty key");
    assert.equal(await uwsgi.cache_set("e", "", 0, C), false, "empty value");
    for (const k of ["a", "b", "c"]) assert.equal(await uwsgi.cache_set(k, "v", 0, C), true);
    // items=5: 4 keys fit (uWSGI reserves slot 0)
    assert.equal(await uwsgi.cache_set("d", "v", 0, C), false, "full");
    assert.equal(await uwsgi.cache_inc("n", 1, 0, C), false, "full for a new counter too");
    assert.equal(await uwsgi.cache_update("a", "w", 0, C), true, "an existing key can still be updated");
    configureRedis(",clear_on_full=1");
    assert.equal(await uwsgi.cache_set("d", "v", 0, C), true);
    assert.deepEqual(await uwsgi.cache_keys(C), [Buffer.from("d")]);
  });

  test("cache_clear deletes only this cache's keys", async () => {
    configureRedis();
    await direct.set("foreign:key", "stays");
    await direct.set("uwsgi-node:cache:{other}:i:x", "stays");
    await uwsgi.cache_update("x", "v", 0, C);
    assert.equal(await uwsgi.cache_clear(C), true);
    assert.equal(await uwsgi.cache_get("x", C), null);
    assert.equal(await direct.get("foreign:key"), "stays");
    assert.equal(await direct.get("uwsgi-node:cache:{other}:i:x"), "stays");
  });

  test("expiry is exact at Redis's second: set at second S with expires=N is gone from S+N on", async () => {
    configureRedis();
    await uwsgi.cache_clear(C);
    const before = await redisNow();
    assert.equal(await uwsgi.cache_set("t", "v", 2, C), true);
    const afterSet = await redisNow();
    const at = Number(await direct.call("EXPIRETIME", "uwsgi-node:cache:{r}:i:t"));
    assert.ok(at >= before + 2 && at <= afterSet + 2, `expires at ${at}, set between ${before} and ${afterSet}`);
    // math keeps the expiry of an existing item (uWSGI's FIXEXPIRE)...
    assert.equal(await uwsgi.cache_inc("t", 1, 100, C), true);
    assert.equal(Number(await direct.call("EXPIRETIME", "uwsgi-node:cache:{r}:i:t")), at);
    // ...and update replaces it (0 = never)
    assert.equal(await uwsgi.cache_update("u", "v", 1, C), true);
    assert.equal(await uwsgi.cache_update("u", "v", 0, C), true);
    assert.equal(Number(await direct.call("EXPIRETIME", "uwsgi-node:cache:{r}:i:u")), -1);
    await eventually(async () => (await uwsgi.cache_get("t", C)) === null, 5000, "the item to expire");
    assert.ok((await redisNow()) >= at, "not gone before its second");
    assert.deepEqual(await uwsgi.cache_keys(C), [Buffer.from("u")], "expired keys are not listed");
  });

  test("math matches the shared-memory engine byte for byte over the int64 range (wrap, truncation, division by 0)", async () => {
    configureRedis(",math_initial=-7");
    await uwsgi.cache_clear(C);
    const local = createLocalCache(parseCache2Option("name=m,items=10,math_initial=-7"), new ManualClock(0));
    const random = mulberry32(17);
    const specials = [0n, 1n, -1n, 2n, -2n, 3n, 2n ** 31n, 2n ** 32n + 5n, 2n ** 53n + 1n, 2n ** 62n, -(2n ** 63n), 2n ** 63n - 1n];
    const ops = ["inc", "dec", "mul", "div"] as const;
    for (let i = 0; i < 120; i++) {
      const op = ops[Math.floor(random() * 4)]!;
      const operand = random() < 0.5 ? specials[Math.floor(random() * specials.length)]! : BigInt(Math.floor(random() * 2 ** 40) - 2 ** 39);
      const key = `c${i % 3}`;
      if (i % 25 === 24) {
        // a value that is not 8 bytes is read zero-padded
        await uwsgi.cache_update(key, "abc", 0, C);
        local.update(Buffer.from(key), Buffer.from("abc"));
      }
      const fn = { inc: uwsgi.cache_inc, dec: uwsgi.cache_dec, mul: uwsgi.cache_mul, div: uwsgi.cache_div }[op];
      assert.equal(await fn(key, operand as unknown as number, 0, C), true);
      assert.equal(local.math(op, Buffer.from(key), operand), true);
      assert.deepEqual(await uwsgi.cache_get(key, C), local.get(Buffer.from(key)), `after ${op} ${operand} on ${key}`);
    }
    assert.equal(await uwsgi.cache_num("c0", C), Number(local.num(Buffer.from("c0"))));
  });

  test("Redis down: coded errors, nothing pretends; back: the same calls work again", async () => {
    configureRedis();
    assert.equal(await uwsgi.cache_update("k", "v", 0, C), true);
    await killRedis(server);
    await assert.rejects(uwsgi.cache_get("k", C), (e) => isUwsgiError(e, "UWSGI_ERR_CACHE_REDIS") && e.kind === "IOError");
    await assert.rejects(uwsgi.cache_inc("n", 1, 0, C), (e) => isUwsgiError(e, "UWSGI_ERR_CACHE_REDIS"));
    server = await startRedis(port);
    await eventually(async () => (await uwsgi.cache_update("k", "v2", 0, C)) === true, 10_000, "the cache to work again");
    assert.deepEqual(await uwsgi.cache_get("k", C), Buffer.from("v2"));
  });
});

describe("near cache (near=N)", () => {
  async function redisCalls(): Promise<number> {
    const info = await direct.info("commandstats");
    return [...info.matchAll(/cmdstat_(get|evalsha|eval|exists):calls=(\d+)/g)].reduce((n, m) => n + Number(m[2]), 0);
  }

  test("reads hit the shared-memory copy; a write by another client is seen within the staleness bound; Redis down switches it off", async () => {
    configure(["--cache2", `name=r,items=100,blocksize=64,near=10,backend=redis://127.0.0.1:${port}/0`]);
    await eventually(() => logLines().some((l) => /near cache of "r" on/.test(l)), 10_000, "the near cache to switch on");
    assert.equal(await uwsgi.cache_update("k", "v1", 0, C), true);
    // a miss fills the copy (the invalidation of our own write, arriving after it, may empty it once more)
    await eventually(async () => {
      const b = await redisCalls();
      assert.deepEqual(await uwsgi.cache_get("k", C), Buffer.from("v1"));
      return (await redisCalls()) === b;
    }, 5000, "a read served by the copy");
    const before = await redisCalls();
    for (let i = 0; i < 5; i++) assert.deepEqual(await uwsgi.cache_get("k", C), Buffer.from("v1"));
    assert.equal(await uwsgi.cache_exists("k", C), true);
    assert.equal(await redisCalls(), before, "hits cost no Redis command");

    // another node writes: the invalidation reaches the copy
    const written = Date.now();
    await direct.set("uwsgi-node:cache:{r}:i:k", "v2");
    await eventually(async () => (await uwsgi.cache_get("k", C))?.toString() === "v2", NEAR_STALE_MS, "the copy to be invalidated", 5);
    assert.ok(Date.now() - written < NEAR_STALE_MS);
    // this process's own write is read back at once
    assert.equal(await uwsgi.cache_update("k", "v3", 0, C), true);
    assert.deepEqual(await uwsgi.cache_get("k", C), Buffer.from("v3"));
    // an expiring item is copied with its expiry (never served after Redis dropped it)
    assert.equal(await uwsgi.cache_update("t", "x", 1, C), true);
    assert.deepEqual(await uwsgi.cache_get("t", C), Buffer.from("x"));
    await eventually(async () => (await uwsgi.cache_get("t", C)) === null, 3000, "the copy to expire with the item");
    assert.equal(await direct.exists("uwsgi-node:cache:{r}:i:t"), 0);

    await killRedis(server);
    await eventually(() => logLines().some((l) => /near cache of "r" off/.test(l)), 5000, "the near cache to switch off");
    await assert.rejects(uwsgi.cache_get("k", C), (e) => isUwsgiError(e, "UWSGI_ERR_CACHE_REDIS"), "nothing is served from a copy that may be stale");
    server = await startRedis(port);
    await eventually(async () => (await uwsgi.cache_update("k", "v4", 0, C).catch(() => false)) === true, 10_000, "Redis to be back");
    await eventually(() => logLines().filter((l) => /near cache of "r" on/.test(l)).length >= 2, 10_000, "the near cache to switch on again");
    assert.deepEqual(await uwsgi.cache_get("k", C), Buffer.from("v4"));
  });
});

describe("--cache2 backend=redis options", () => {
  test("keys a Redis-backed cache cannot honour are rejected with the reason", () => {
    for (const key of ["purge_lru=1", "store=/tmp/x", "nodes=127.0.0.1:1", "lazy_expire=1", "hash=murmur2", "sweep_on_full=1"]) {
      assert.throws(() => parseRedisCache2(`name=r,items=5,${key},backend=redis://127.0.0.1:1`), (e) => isUwsgiError(e, "UWSGI_ERR_CACHE_OPTION") && /not available with backend=redis/.test(e.message), key);
    }
    assert.throws(() => parseRedisCache2("name=r,items=5,backend=memcached://x:1"), (e) => isUwsgiError(e, "UWSGI_ERR_CACHE_OPTION") && /backend/.test(e.message));
    assert.throws(() => parseRedisCache2("name=r,items=5,backend=redis://h:1/abc"), (e) => isUwsgiError(e, "UWSGI_ERR_CACHE_OPTION"));
    const o = parseRedisCache2("name=r,items=5,blocksize=8,blocks=6,bitmap=1,backend=redis://:secret@h:1/2");
    assert.equal(o.maxItemSize, 48);
    assert.equal(o.maxItems, 4);
    assert.ok(!o.displayUrl.includes("secret"));
  });
});
