/**
 * A Redis-backed cache shared by two uwsgi-node instances (2 workers each, each with a near cache)
 * through a real redis-server: set on one, get on the other; a write on one invalidates the
 * other's near copy; cache_inc from all 4 workers exact; Redis killed
 * gives coded errors in the workers, restarted the same calls work again; an option the backend
 * cannot honour stops the server with the reason.
 */
import { test } from "node:test";
import assert from "node:assert/strict";
import { freeTcpPort } from "../support/free-port.js";
import { killRedis, startRedis } from "../support/redis-server.js";
import { NEAR_STALE_MS } from "../../src/cluster/near-cache.js";
import { eventually, fixtureApp, httpRequest, readUntilClose, runCli, startServer, type TestServer } from "./server-harness.js";

interface Answer {
  worker: number;
  result?: unknown;
  code?: string | null;
}

async function call(server: TestServer, path: string): Promise<Answer & { status: number }> {
  const r = await httpRequest(server.port, path);
  return { status: r.status, ...(JSON.parse(r.body) as Answer) };
}

test("two instances share a Redis-backed cache; cache_inc from 4 workers is exact; Redis down gives coded errors, back it recovers", { timeout: 90_000 }, async () => {
  const redisPort = await freeTcpPort();
  let redis = await startRedis(redisPort);
  const servers: TestServer[] = [];
  try {
    for (let i = 0; i < 2; i++) {
      servers.push(await startServer([
        "--http", "127.0.0.1:0", "--processes", "2", "--stats", "127.0.0.1:0",
        "--cache2", `name=shared,items=100,blocksize=64,near=50,backend=redis://127.0.0.1:${redisPort}/0`,
        fixtureApp("redis-cache-app"),
      ]));
    }
    const [a, b] = servers as [TestServer, TestServer];
    for (const s of servers) await s.waitForLog(/near cache of "shared" on/);

    assert.equal((await call(a, "/set?key=greeting&value=hello")).result, true);
    assert.equal((await call(b, "/get?key=greeting")).result, "hello", "set on one instance, read on the other");
    assert.equal((await call(b, "/set?key=greeting&value=other")).result, false, "cache_set never overwrites, across nodes too");
    assert.equal((await call(b, "/update?key=greeting&value=bye")).result, true);
    assert.equal((await call(a, "/get?key=greeting")).result, "bye");

    // near cache: A reads (filling its copy), B writes, A sees B's value within the staleness bound
    for (let i = 0; i < 3; i++) assert.equal((await call(a, "/get?key=greeting")).result, "bye");
    const written = Date.now();
    assert.equal((await call(b, "/update?key=greeting&value=from-b")).result, true);
    await eventually(async () => (await call(a, "/get?key=greeting")).result === "from-b", NEAR_STALE_MS, "A's near copy to be invalidated by B's write", 5);
    assert.ok(Date.now() - written < NEAR_STALE_MS);

    // the stats document lists the cache: what the master knows, and its near copy holding "greeting"
    const statsPort = Number((await a.waitForLog(/Stats server enabled on 127\.0\.0\.1:(\d+)/))[1]);
    const listed = await eventually(async () => {
      const doc = JSON.parse(await readUntilClose(statsPort)) as { caches?: Array<Record<string, unknown>> };
      const entry = doc.caches?.find((c) => c.name === "shared");
      return entry && (entry.near_items as number) >= 1 ? entry : null;
    }, 10_000, "the Redis-backed cache in the stats document");
    assert.deepEqual(Object.keys(listed), ["name", "backend", "keysize", "max_items", "blocks", "blocksize", "near_max_items", "near_items", "near_hits", "near_miss"]);
    assert.equal(listed.backend, `redis://127.0.0.1:${redisPort}/0`);
    assert.equal(listed.max_items, 100);
    assert.equal(listed.blocksize, 64);
    assert.equal(listed.near_max_items, 50);
    assert.ok((listed.near_hits as number) >= 1, "A's repeated reads hit its near copy");

    // Concurrent increments until each of the 4 workers (2 per instance) has done some.
    const N = 25;
    const seen = new Set<string>();
    let expected = 0;
    for (let round = 0; round < 10 && seen.size < 4; round++) {
      const answers = await Promise.all(servers.flatMap((s, i) => Array.from({ length: 4 }, async () => ({ i, ...(await call(s, `/inc?key=hits&n=${N}`)) }))));
      for (const ans of answers) {
        assert.equal(ans.result, N, "every cache_inc returned true");
        seen.add(`${ans.i}/${ans.worker}`);
        expected += N;
      }
    }
    assert.equal(seen.size, 4, `workers that incremented: ${[...seen].join(", ")}`);
    assert.equal((await call(a, "/num?key=hits")).result, expected);
    assert.equal((await call(b, "/num?key=hits")).result, expected);

    await killRedis(redis);
    for (const s of servers) {
      const r = await call(s, "/get?key=never-read");
      assert.equal(r.status, 500);
      assert.equal(r.code, "UWSGI_ERR_CACHE_REDIS");
    }
    await a.waitForLog(/UWSGI_ERR_CACHE_REDIS/);
    redis = await startRedis(redisPort);
    // a restarted Redis without persistence is empty: the workers reconnect and use it
    // each worker has its own connection and reconnects on its own: wait until both workers of
    // each instance have written again (one answer per instance left the other worker racing)
    for (const s of servers) {
      const working = new Set<number>();
      await eventually(async () => {
        const r = await call(s, "/update?key=k&value=again");
        if (r.result === true) working.add(r.worker);
        return working.size === 2;
      }, 15_000, "both workers' connections to work again");
    }
    for (let i = 0; i < 4; i++) assert.equal((await call(servers[i % 2]!, "/get?key=k")).result, "again");
  } finally {
    for (const s of servers) await s.stop("SIGKILL");
    await killRedis(redis);
  }
});

test("--cache2 backend=redis with a key it cannot honour stops the server with the reason", async () => {
  const r = await runCli(["--http", "127.0.0.1:0", "--cache2", "name=s,items=10,purge_lru=1,backend=redis://127.0.0.1:1/0", fixtureApp("redis-cache-app")]);
  assert.notEqual(r.code, 0);
  assert.match(r.stdout + r.stderr, /UWSGI_ERR_CACHE_OPTION|invalid cache option purge_lru: not available with backend=redis/);
});
