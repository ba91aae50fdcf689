// Regression: CacheSlots once defined `constructor` on a Uint8Array to make slice() return a
// Buffer. That invalidates V8's TypedArraySpeciesLookupChain protector for the whole process, so
// every slice/subarray in it (Node's HTTP and stream code included) took the slow path and
// cache_get itself ran ~40% slower.
import { test } from "node:test";
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { join } from "node:path";

const probe = join(import.meta.dirname, "..", "..", "..", "..", "test", "fixtures", "cache", "species-probe.mjs");

test("cache use leaves V8's typed-array species protector intact", () => {
  const r = spawnSync(process.execPath, ["--trace-protector-invalidation", probe], { encoding: "utf8", env: { ...process.env, UWSGICONF_FORCE_STUB: "1" } });
  assert.equal(r.status, 0, r.stderr);
  assert.match(r.stdout, /done/);
  const invalidated = (r.stdout + r.stderr).split("\n").filter((l) => /Invalidating protector cell/.test(l));
  assert.deepEqual(invalidated.filter((l) => /Species/.test(l)), [], "no species protector invalidated");
});
