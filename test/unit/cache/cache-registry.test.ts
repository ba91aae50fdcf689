import { test } from "node:test";
import assert from "node:assert/strict";
import { ManualClock } from "../../../src/core/clock.js";
import { CacheRegistry, createLocalCache } from "../../../src/engines/cache/cache-registry.js";
import { legacyCacheOptions, parseCache2Option } from "../../../src/engines/cache/cache-options.js";
import { B, START_MS } from "./make-cache.js";

test("registry: null, undefined and empty names mean the first cache; names match exactly", () => {
  const clock = new ManualClock(START_MS);
  const legacy = createLocalCache(legacyCacheOptions(5, { blocksize: 64 }), clock);
  const other = createLocalCache(parseCache2Option("name=Other,items=5,blocksize=64"), clock);
  const registry = new CacheRegistry([legacy, other]);
  assert.equal(registry.default, legacy);
  assert.equal(registry.byName(), legacy);
  assert.equal(registry.byName(null), legacy);
  assert.equal(registry.byName(""), legacy);
  assert.equal(registry.byName("default"), legacy);
  assert.equal(registry.byName("Other"), other);
  assert.equal(registry.byName("other"), null);
  assert.equal(registry.byName("missing"), null);
  assert.deepEqual(registry.names(), ["default", "Other"]);
  assert.deepEqual(registry.all(), [legacy, other]);
  registry.all().pop();
  assert.equal(registry.all().length, 2, "all() returns a copy");
});

test("registry: an empty registry has no default", () => {
  const registry = new CacheRegistry([]);
  assert.equal(registry.default, null);
  assert.equal(registry.byName(null), null);
  assert.deepEqual(registry.names(), []);
});

test("createLocalCache: private caches are independent", () => {
  const clock = new ManualClock(START_MS);
  const a = createLocalCache(parseCache2Option("name=a,items=5,blocksize=64"), clock);
  const b = createLocalCache(parseCache2Option("name=b,items=5,blocksize=64"), clock);
  a.set(B("k"), B("a"));
  assert.equal(b.get(B("k")), null);
});
