import { test } from "node:test";
import assert from "node:assert/strict";
import { isUwsgiError } from "../../../src/errors.js";
import { legacyCacheOptions, maxItemSizeOf, parseCache2Option, validateCacheOptions } from "../../../src/engines/cache/cache-options.js";

function rejects(spec: string, key: string, pattern?: RegExp): void {
  assert.throws(
    () => parseCache2Option(spec),
    (err) => isUwsgiError(err, "UWSGI_ERR_CACHE_OPTION") && err.message.includes(key) && (!pattern || pattern.test(err.message)),
    `${spec} should be rejected naming ${key}`,
  );
}

test("cache2: defaults of uWSGI 2.0.21", () => {
  const o = parseCache2Option("name=c1,items=10");
  assert.deepEqual(o, {
    name: "c1", items: 10, blocksize: 65536, blocks: 10, bitmap: false, keysize: 2048, hash: "djb33x", hashsize: 65536,
    store: null, storeSync: 0, storeDelete: false, mathInitial: 0n, ignoreFull: false, purgeLru: false, lazyExpire: false,
    sweepOnFull: 0, clearOnFull: false, noExpire: false, lastmod: false, nodes: [], udp: [], sync: [],
  });
  assert.equal(maxItemSizeOf(o), 65536);
});

test("cache2: every key and alias", () => {
  const o = parseCache2Option(
    "name=c2,max_items=5,blocksize=16,blocks=20,bitmap=1,key_size=8,hash=murmur2,hash_size=7,store=/tmp/s,storesync=3," +
      "storedelete=1,nodes=a:1;b:2,udp_servers=:3000,sync=c:4;;d:5,lastmod=1,math_initial=-100,ignore_full=1,lru=1,lazy=1," +
      "sweep_on_full=9,clear_on_full=1,no_expire=1",
  );
  assert.deepEqual(o, {
    name: "c2", items: 5, blocksize: 16, blocks: 20, bitmap: true, keysize: 8, hash: "murmur2", hashsize: 7,
    store: "/tmp/s", storeSync: 3, storeDelete: true, mathInitial: -100n, ignoreFull: true, purgeLru: true, lazyExpire: true,
    sweepOnFull: 9, clearOnFull: true, noExpire: true, lastmod: true, nodes: ["a:1", "b:2"], udp: [":3000"], sync: ["c:4", "d:5"],
  });
  assert.equal(maxItemSizeOf(o), 320, "bitmap: blocksize * blocks");
  const aliases: Array<[string, keyof typeof o, unknown]> = [
    ["maxitems=3", "items", 3], ["items=3", "items", 3], ["keysize=9", "keysize", 9], ["hashsize=9", "hashsize", 9],
    ["store_sync=2", "storeSync", 2], ["store_delete=x", "storeDelete", true], ["node=h:1", "nodes", ["h:1"]],
    ["udp=h:1", "udp", ["h:1"]], ["udp_server=h:1", "udp", ["h:1"]], ["udpserver=h:1", "udp", ["h:1"]], ["udpservers=h:1", "udp", ["h:1"]],
    ["purge_lru=1", "purgeLru", true], ["lazy_expire=1", "lazyExpire", true],
  ];
  for (const [kv, field, value] of aliases) {
    const parsed = parseCache2Option(`name=a,items=3,${kv}`);
    assert.deepEqual(parsed[field], value, kv);
  }
});

test("cache2: flags are enabled by any value, like uWSGI (even 0)", () => {
  assert.equal(parseCache2Option("name=a,items=2,bitmap=0").bitmap, true);
  assert.equal(parseCache2Option("name=a,items=2,purge_lru=").purgeLru, true);
});

test("cache2: backslash escapes a comma, the last duplicate wins, blocks defaults to items", () => {
  const o = parseCache2Option("name=a,items=4,store=/tmp/x\\,y,items=6,");
  assert.equal(o.store, "/tmp/x,y");
  assert.equal(o.items, 6);
  assert.equal(o.blocks, 6);
});

test("cache2: store_sync defaults to --cache-store-sync when given", () => {
  assert.equal(parseCache2Option("name=a,items=2", { storeSync: 7 }).storeSync, 7);
  assert.equal(parseCache2Option("name=a,items=2,store_sync=3", { storeSync: 7 }).storeSync, 3);
  assert.equal(parseCache2Option("name=a,items=2").storeSync, 0);
});

test("cache2: validation errors name the key", () => {
  rejects("items=10", "name", /required/);
  rejects("name=,items=10", "name", /required/);
  rejects("name=a", "items", /required/);
  rejects("name=a,items=0", "items");
  rejects("name=a,items=-1", "items");
  rejects("name=a,items=ten", "items", /integer/);
  rejects("name=a,items=10,blocks=9", "blocks", /blocks must be >= items/);
  rejects("name=a,items=10,blocksize=0", "blocksize");
  rejects("name=a,items=10,keysize=0", "keysize", /1\.\.65535/);
  rejects("name=a,items=10,keysize=65536", "keysize", /1\.\.65535/);
  rejects("name=a,items=10,hash=sha1", "hash", /unknown hash/);
  rejects("name=a,items=10,hash=rr", "hash", /routers/);
  rejects("name=a,items=10,hashsize=0", "hashsize");
  rejects("name=a,items=10,math_initial=1.5", "math_initial");
  rejects("name=a,items=10,math_initial=9223372036854775808", "math_initial", /64-bit/);
  rejects("name=a,items=10,sweep_on_full=x", "sweep_on_full");
  rejects("name=a,items=10,itemz=3", "itemz", /unknown key/);
  rejects("name=a,items=10,bitmap", "bitmap", /key=value/);
  rejects("name=a@b,items=10", "name", /@/);
  assert.equal(parseCache2Option("name=a,items=10,keysize=65535").keysize, 65535);
  assert.equal(parseCache2Option("name=a,items=10,math_initial=-9223372036854775808").mathInitial, -(2n ** 63n));
});

test("legacy --cache N: a cache named default with N items and N blocks", () => {
  const o = legacyCacheOptions(100, { blocksize: 1024, store: "/tmp/store", storeSync: 5 });
  assert.equal(o.name, "default");
  assert.equal(o.items, 100);
  assert.equal(o.blocks, 100);
  assert.equal(o.blocksize, 1024);
  assert.equal(o.keysize, 2048);
  assert.equal(o.hashsize, 65536);
  assert.equal(o.hash, "djb33x");
  assert.equal(o.store, "/tmp/store");
  assert.equal(o.storeSync, 5);
  assert.equal(legacyCacheOptions(3).blocksize, 65536);
  assert.throws(() => legacyCacheOptions(0), (err) => isUwsgiError(err, "UWSGI_ERR_CACHE_OPTION") && err.message.includes("items"));
  assert.throws(() => legacyCacheOptions(5, { blocksize: 0 }), (err) => isUwsgiError(err, "UWSGI_ERR_CACHE_OPTION") && err.message.includes("blocksize"));
});

test("hand-built options are validated too", () => {
  const ok = legacyCacheOptions(4);
  assert.throws(() => validateCacheOptions({ ...ok, blocks: 3 }), (err) => isUwsgiError(err, "UWSGI_ERR_CACHE_OPTION") && err.message.includes("blocks"));
  assert.throws(() => validateCacheOptions({ ...ok, mathInitial: 2n ** 64n }), (err) => isUwsgiError(err, "UWSGI_ERR_CACHE_OPTION"));
  assert.throws(() => validateCacheOptions({ ...ok, hash: "md5" as "djb33x" }), (err) => isUwsgiError(err, "UWSGI_ERR_CACHE_OPTION") && err.message.includes("hash"));
});
