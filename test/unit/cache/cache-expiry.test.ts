import { test } from "node:test";
import assert from "node:assert/strict";
import { B, START_MS, cacheOf, keyNames } from "./make-cache.js";

test("cache: expired items are invisible at once (uWSGI lazy expiry bug)", () => {
  const { cache, clock } = cacheOf("name=e,items=10,blocksize=16");
  cache.set(B("k"), B("v"), 2);
  cache.set(B("forever"), B("f"));
  clock.advance(1999);
  assert.deepEqual(cache.get(B("k")), B("v"));
  clock.advance(1);
  assert.equal(cache.get(B("k")), null, "expires <= now means expired");
  assert.equal(cache.exists(B("k")), false);
  assert.equal(cache.num(B("k")), 0n);
  assert.deepEqual(keyNames(cache), ["forever"]);
  assert.equal(cache.del(B("k")), false);
  assert.equal(cache.stats().items, 1, "the expired item was removed when it was looked up");
});

test("cache: set on an expired key stores the new value", () => {
  const { cache, clock } = cacheOf("name=e,items=2,blocksize=16");
  cache.set(B("k"), B("old"), 1);
  clock.advance(1000);
  assert.equal(cache.set(B("k"), B("new")), true, "the only slot was taken by the expired item");
  assert.deepEqual(cache.get(B("k")), B("new"));
});

test("cache: keys() leaves out expired items even before they are touched (uWSGI lazy_expire keys bug)", () => {
  const { cache, clock } = cacheOf("name=e,items=10,blocksize=16,lazy_expire=1");
  cache.set(B("a"), B("1"), 1);
  cache.set(B("b"), B("2"), 5);
  clock.advance(1000);
  assert.deepEqual(keyNames(cache), ["b"]);
});

test("cache: update replaces the expiry, omitted means never", () => {
  const { cache, clock } = cacheOf("name=e,items=10,blocksize=16");
  cache.set(B("k"), B("v"), 2);
  assert.equal(cache.expiresAt(B("k")), START_MS / 1000 + 2);
  cache.update(B("k"), B("w"));
  assert.equal(cache.expiresAt(B("k")), 0);
  clock.advance(10_000);
  assert.deepEqual(cache.get(B("k")), B("w"), "immortal after an update without expiry");
  cache.update(B("k"), B("x"), 3);
  clock.advance(2000);
  assert.deepEqual(cache.get(B("k")), B("x"));
  clock.advance(1000);
  assert.equal(cache.get(B("k")), null);
  assert.equal(cache.expiresAt(B("k")), 0);
});

test("cache: expiry works on purge_lru caches (uWSGI purge_lru expiry bug)", () => {
  const { cache, clock } = cacheOf("name=lru,items=10,blocksize=16,purge_lru=1");
  cache.set(B("k"), B("v"), 100);
  assert.equal(cache.expiresAt(B("k")), START_MS / 1000 + 100, "absolute, not the raw 100 uWSGI stores");
  clock.advance(99_000);
  assert.deepEqual(cache.get(B("k")), B("v"));
  clock.advance(1000);
  assert.equal(cache.get(B("k")), null);
  assert.equal(cache.stats().items, 0);
});

test("sweep deletes expired items, and returns 0 cheaply when nothing can have expired", () => {
  const { cache, clock } = cacheOf("name=e,items=20,blocksize=16,hashsize=8");
  assert.equal(cache.sweep(), 0);
  for (let i = 0; i < 10; i++) cache.set(B(`k${i}`), B("v"), i < 6 ? 5 : 60);
  cache.set(B("forever"), B("v"));
  assert.equal(cache.sweep(), 0);
  clock.advance(5000);
  assert.equal(cache.sweep(), 6);
  assert.equal(cache.stats().items, 5);
  assert.equal(cache.sweep(), 0, "next sweep time moved to the 60 s items");
  clock.advance(45_000);
  cache.set(B("later"), B("v"), 1);
  clock.advance(1000);
  assert.equal(cache.sweep(), 1, "an expiry set after the last sweep is found");
  assert.equal(cache.stats().items, 5);
  clock.advance(9000);
  assert.equal(cache.sweep(), 4);
  assert.deepEqual(keyNames(cache), ["forever"]);
});

test("sweep leaves no_expire caches alone, but reads still hide expired items", () => {
  const { cache, clock } = cacheOf("name=e,items=5,blocksize=16,no_expire=1");
  cache.set(B("k"), B("v"), 1);
  clock.advance(2000);
  assert.equal(cache.sweep(), 0);
  assert.equal(cache.stats().items, 1);
  assert.equal(cache.get(B("k")), null);
});

test("sweep also cleans purge_lru and lazy_expire caches", () => {
  for (const extra of ["purge_lru=1", "lazy_expire=1"]) {
    const { cache, clock } = cacheOf(`name=e,items=5,blocksize=16,${extra}`);
    cache.set(B("a"), B("v"), 1);
    cache.set(B("b"), B("v"));
    clock.advance(1000);
    assert.equal(cache.sweep(), 1, extra);
    assert.deepEqual(keyNames(cache), ["b"]);
  }
});
