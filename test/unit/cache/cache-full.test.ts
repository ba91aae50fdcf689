import { test } from "node:test";
import assert from "node:assert/strict";
import { B, cacheOf, fill, keyNames } from "./make-cache.js";

test("purge_lru evicts the least recently set or read item (uWSGI's probe: get(a), set d -> b goes, set e -> c goes)", () => {
  const { cache } = cacheOf("name=lru,items=4,blocksize=16,purge_lru=1");
  for (const k of ["a", "b", "c"]) assert.equal(cache.set(B(k), B(k)), true);
  assert.deepEqual(cache.get(B("a")), B("a"));
  assert.equal(cache.set(B("d"), B("d")), true);
  assert.deepEqual(keyNames(cache), ["a", "c", "d"]);
  assert.equal(cache.set(B("e"), B("e")), true);
  assert.deepEqual(keyNames(cache), ["a", "d", "e"]);
  assert.equal(cache.stats().full, 2);
});

test("purge_lru: an update refreshes the item, exists and num do not", () => {
  const { cache } = cacheOf("name=lru,items=4,blocksize=16,purge_lru=1");
  for (const k of ["a", "b", "c"]) cache.set(B(k), B(k));
  cache.update(B("a"), B("A"));
  cache.exists(B("b"));
  cache.num(B("b"));
  cache.set(B("d"), B("d"));
  assert.deepEqual(keyNames(cache), ["a", "c", "d"], "b was the least recently set or read");
  cache.math("inc", B("c"), 1n);
  cache.set(B("e"), B("e"));
  assert.deepEqual(keyNames(cache), ["c", "d", "e"], "a math op counts as a set");
});

test("purge_lru: deleting items keeps the list consistent", () => {
  const { cache } = cacheOf("name=lru,items=5,blocksize=16,purge_lru=1");
  for (const k of ["a", "b", "c", "d"]) cache.set(B(k), B(k));
  cache.del(B("a"));
  cache.del(B("c"));
  cache.set(B("e"), B("e"));
  cache.set(B("f"), B("f"));
  cache.set(B("g"), B("g"));
  assert.deepEqual(keyNames(cache), ["d", "e", "f", "g"], "b went first");
  cache.set(B("h"), B("h"));
  assert.deepEqual(keyNames(cache), ["e", "f", "g", "h"]);
});

test("a full cache without policies refuses new keys, counts it and logs uWSGI's line", () => {
  const { cache } = cacheOf("name=plain,items=3,blocksize=16");
  const lines: string[] = [];
  cache.onLog = (line) => lines.push(line);
  assert.equal(fill(cache), 2);
  assert.equal(cache.set(B("x"), B("x")), false);
  assert.equal(cache.stats().full, 2, "the refused fill() attempt and this one");
  assert.deepEqual(lines, ['*** DANGER cache "plain" is FULL !!! ***', '*** DANGER cache "plain" is FULL !!! ***']);
  assert.equal(cache.update(B("k0"), B("still works")), true, "updates of existing keys need no free slot");
});

test("ignore_full: no log line, the counter still counts", () => {
  const { cache } = cacheOf("name=quiet,items=2,blocksize=16,ignore_full=1");
  const lines: string[] = [];
  cache.onLog = (line) => lines.push(line);
  cache.set(B("a"), B("a"));
  assert.equal(cache.set(B("b"), B("b")), false);
  assert.deepEqual(lines, []);
  assert.equal(cache.stats().full, 1);
});

test("purge_lru logs the LRU line", () => {
  const { cache } = cacheOf("name=lru,items=2,blocksize=16,lru=1");
  const lines: string[] = [];
  cache.onLog = (line) => lines.push(line);
  cache.set(B("a"), B("a"));
  cache.set(B("b"), B("b"));
  assert.deepEqual(lines, ['LRU item will be purged from cache "lru"']);
});

test("clear_on_full: the set that finds the cache full empties it and is stored alone", () => {
  const { cache } = cacheOf("name=c,items=4,blocksize=16,clear_on_full=1");
  for (const k of ["a", "b", "c"]) cache.set(B(k), B(k));
  assert.equal(cache.set(B("d"), B("d")), true);
  assert.deepEqual(keyNames(cache), ["d"]);
  assert.equal(cache.stats().items, 1);
  assert.equal(cache.stats().full, 1);
});

test("sweep_on_full: expired items make room; nothing is cleared when something was swept", () => {
  const { cache, clock } = cacheOf("name=c,items=4,blocksize=16,sweep_on_full=10,clear_on_full=1,no_expire=1");
  cache.set(B("short"), B("s"), 1);
  cache.set(B("b"), B("b"));
  cache.set(B("c"), B("c"));
  clock.advance(2000);
  assert.equal(cache.set(B("d"), B("d")), true, "the expired key was swept to make room");
  assert.deepEqual(keyNames(cache), ["b", "c", "d"]);
  assert.equal(cache.stats().full, 1);
});

test("sweep_on_full runs at most once every N seconds; clear_on_full takes over when nothing was swept", () => {
  const { cache, clock } = cacheOf("name=c,items=4,blocksize=16,sweep_on_full=10,no_expire=1");
  cache.set(B("a"), B("a"), 5);
  cache.set(B("b"), B("b"), 5);
  cache.set(B("c"), B("c"));
  assert.equal(cache.set(B("x"), B("x")), false, "nothing expired yet (and this used up the sweep)");
  clock.advance(6000);
  // a and b are expired; deleting them on access is not a sweep, so we check via a full set.
  assert.equal(cache.set(B("y"), B("y")), false, "the next sweep is allowed only 10 s after the previous one");
  clock.advance(5000);
  assert.equal(cache.set(B("z"), B("z")), true);
  assert.deepEqual(keyNames(cache), ["c", "z"]);

  const both = cacheOf("name=c,items=3,blocksize=16,sweep_on_full=1,clear_on_full=1").cache;
  both.set(B("a"), B("a"));
  both.set(B("b"), B("b"));
  assert.equal(both.set(B("c"), B("c")), true, "nothing to sweep, so everything is cleared");
  assert.deepEqual(keyNames(both), ["c"]);
});

test("purge_lru together with clear_on_full clears everything, as uWSGI does", () => {
  const { cache } = cacheOf("name=c,items=4,blocksize=16,purge_lru=1,clear_on_full=1");
  for (const k of ["a", "b", "c"]) cache.set(B(k), B(k));
  assert.equal(cache.set(B("d"), B("d")), true);
  assert.deepEqual(keyNames(cache), ["d"]);
});

test("regression: 'cache is FULL' was logged on every failed set (65 MB in 12 s); now a burst, then one count", (t) => {
  t.mock.timers.enable({ apis: ["setTimeout", "Date"], now: 1_000_000 });
  const { cache } = cacheOf("name=flood,items=2,blocksize=16");
  const lines: string[] = [];
  cache.onLog = (line) => lines.push(line);
  cache.set(B("a"), B("a"));
  for (let i = 0; i < 1203; i++) assert.equal(cache.set(B(`x${i}`), B("x")), false);
  assert.equal(cache.stats().full, 1203, "every refusal is still counted");
  assert.equal(lines.length, 3);
  t.mock.timers.tick(5000);
  assert.deepEqual(lines.slice(3), ['*** DANGER cache "flood" is FULL !!! *** ... repeated 1200 times in 5 s']);
});
