/** Redis-backed caches in the stats document: listed after the shared-memory ones, with what the master knows. */
import { test } from "node:test";
import assert from "node:assert/strict";
import { parseRedisCache2 } from "../../../src/cluster/redis-cache-options.js";
import { redisCacheStats } from "../../../src/server/stats/redis-cache-stats.js";
import { renderStatsJson } from "../../../src/server/stats/stats-document.js";
import type { StatsSnapshot } from "../../../src/server/stats/stats-snapshot.js";

function snapshot(caches: StatsSnapshot["caches"]): StatsSnapshot {
  return { version: "2.0.21-uwsgi-node", listen_queue: 0, listen_queue_errors: 0, signal_queue: 0, load: 0, pid: 1, uid: 0, gid: 0, cwd: "/", locks: [], caches, sockets: [], workers: [] };
}

test("stats: a Redis-backed cache is listed by name with its geometry and backend (password masked), without the counters only Redis and the workers know", () => {
  const o = parseRedisCache2("name=sessions,items=1000,keysize=64,blocksize=4096,blocks=2000,backend=redis://user:secret@127.0.0.1:6379/2");
  const shared = { name: "local", hash: "djb33x", hashsize: 65536, keysize: 2048, max_items: 10, blocks: 10, blocksize: 65536, items: 1, hits: 2, miss: 3, full: 0, last_modified_at: 0 };
  const doc = JSON.parse(renderStatsJson(snapshot([shared, redisCacheStats(o, null)]))) as { caches: Array<Record<string, unknown>> };
  assert.equal(doc.caches[0]!.name, "local");
  assert.deepEqual(doc.caches[1], { name: "sessions", backend: "redis://user:***@127.0.0.1:6379/2", keysize: 64, max_items: 1000, blocks: 2000, blocksize: 4096 });
});

test("stats: a Redis-backed cache with a near copy shows the near copy's size and counters", () => {
  const o = parseRedisCache2("name=s,items=100,blocksize=64,near=50,backend=redis://127.0.0.1:6379");
  const near = { name: "s", hash: "djb33x", hashsize: 65536, keysize: 2048, max_items: 51, blocks: 51, blocksize: 64, items: 7, hits: 11, miss: 4, full: 0, last_modified_at: 0 };
  const doc = JSON.parse(renderStatsJson(snapshot([redisCacheStats(o, near)]), { minified: true })) as { caches: Array<Record<string, unknown>> };
  assert.deepEqual(doc.caches[0], { name: "s", backend: "redis://127.0.0.1:6379", keysize: o.keysize, max_items: 100, blocks: o.blocks, blocksize: 64, near_max_items: 50, near_items: 7, near_hits: 11, near_miss: 4 });
});
