import { test } from "node:test";
import assert from "node:assert/strict";
import { ManualClock } from "../../../src/core/clock.js";
import { isUwsgiError } from "../../../src/errors.js";
import { parseCache2Option } from "../../../src/engines/cache/cache-options.js";
import { B, START_MS, engineOver, keyNames, sharedSetup } from "./make-cache.js";

test("two engines over the same memory (init + attach) behave as one cache", async () => {
  const opts = parseCache2Option("name=s,items=6,blocksize=16,purge_lru=1,lastmod=1");
  const setup = sharedSetup(opts);
  const clock = new ManualClock(START_MS);
  const a = engineOver(opts, setup, clock, "init");
  const b = engineOver(opts, setup, clock, "attach");
  assert.equal(a.set(B("k"), B("from a")), true);
  assert.deepEqual(b.get(B("k")), B("from a"));
  assert.equal(b.set(B("k"), B("from b")), false, "b sees a's key as existing");
  assert.equal(b.update(B("k"), B("from b")), true);
  assert.deepEqual(a.get(B("k")), B("from b"));
  a.math("inc", B("n"), 1n);
  b.math("inc", B("n"), 1n);
  assert.equal(a.num(B("n")), 2n);
  for (const k of ["x", "y", "z"]) (k === "y" ? a : b).set(B(k), B(k));
  a.get(B("k")); // LRU order now: n, x, y, z, k
  b.set(B("w"), B("w"));
  assert.deepEqual(keyNames(a), ["k", "w", "x", "y", "z"], "n, least recently used, was evicted through b");
  b.set(B("v"), B("v"));
  assert.deepEqual(keyNames(a), ["k", "v", "w", "y", "z"], "then x");
  // Each engine adds its hit/miss counts to the shared region at the end of the tick (as two
  // processes would, each when it yields).
  await new Promise<void>((resolve) => queueMicrotask(resolve));
  assert.deepEqual(a.stats(), b.stats(), "counters live in the shared meta region");
  assert.equal(b.del(B("k")), true);
  assert.equal(a.exists(B("k")), false);
  assert.equal(a.clear(), true);
  assert.deepEqual(b.keys(), []);
});

test("attach refuses memory that was never formatted, or formatted for other options", () => {
  const opts = parseCache2Option("name=s,items=6,blocksize=16");
  const clock = new ManualClock(START_MS);
  const blank = sharedSetup(opts);
  assert.throws(() => engineOver(opts, blank, clock, "attach"), (err) => isUwsgiError(err, "UWSGI_ERR_CACHE_REGION") && /never formatted/.test(err.message));
  const setup = sharedSetup(opts);
  engineOver(opts, setup, clock, "init");
  const other = parseCache2Option("name=s,items=6,blocksize=16,purge_lru=1");
  assert.throws(() => engineOver(other, setup, clock, "attach"), (err) => isUwsgiError(err, "UWSGI_ERR_CACHE_REGION") && /different/.test(err.message));
  const otherSize = parseCache2Option("name=s,items=6,blocksize=8");
  assert.throws(() => engineOver(otherSize, setup, clock, "attach"), (err) => isUwsgiError(err, "UWSGI_ERR_CACHE_REGION"));
});
