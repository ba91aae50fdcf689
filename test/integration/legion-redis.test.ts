/**
 * The Redis lease legion: two uwsgi-node instances elect the higher valor through a lease in a
 * real redis-server; the Lord's SIGKILL hands the lease to the other once it expires; a Redis
 * restart (data lost) makes the Lord step down and, after one lease time, the best node takes it
 * again; no sample ever shows two Lords; Redis unreachable is logged with a code.
 */
import { test } from "node:test";
import assert from "node:assert/strict";
import { eventually } from "../support/eventually.js";
import { freeTcpPort } from "../support/free-port.js";
import { killRedis as kill, startRedis } from "../support/redis-server.js";
import { fixtureApp, readUntilClose, startServer, type TestServer } from "./server-harness.js";

const TOLERANCE = 3;

async function lordOf(statsPort: number): Promise<{ lord: boolean; valor: number }> {
  const doc = JSON.parse(await readUntilClose(statsPort)) as { legions: Array<{ i_am_the_lord: number; lord_valor: number }> };
  return { lord: doc.legions[0]!.i_am_the_lord > 0, valor: doc.legions[0]!.lord_valor };
}

test("legion over a Redis lease: one Lord, failover on SIGKILL, a Redis restart never yields two Lords", { timeout: 120_000 }, async () => {
  const redisPort = await freeTcpPort();
  let redis = await startRedis(redisPort);
  const servers: TestServer[] = [];
  const statsPorts: number[] = [];
  const start = async (valor: number) => {
    const stats = await freeTcpPort();
    statsPorts.push(stats);
    const s = await startServer([
      "--http", "127.0.0.1:0", "--processes", "1", "--stats", `127.0.0.1:${stats}`,
      "--legion-redis", `lr redis://127.0.0.1:${redisPort} ${valor}`, "--legion-scroll", `lr v${valor}`,
      "--legion-freq", "1", "--legion-tolerance", String(TOLERANCE), fixtureApp("legion-app"),
    ]);
    servers.push(s);
    return s;
  };
  const lords = async (indexes: number[]) => (await Promise.all(indexes.map((i) => lordOf(statsPorts[i]!)))).map((l) => l.lord);
  try {
    const a = await start(10);
    await start(20);
    await eventually(async () => {
      const l = await lords([0, 1]);
      assert.ok(l.filter(Boolean).length <= 1, "never two Lords");
      return !l[0] && l[1];
    }, 20_000, "valor 20 to hold the lease");

    process.kill(servers[1]!.pid, "SIGKILL");
    await eventually(async () => (await lordOf(statsPorts[0]!)).lord, 20_000, "valor 10 to take the lease after it expired");

    // a lower valor joins; then Redis restarts empty
    await start(5);
    const mark = a.log().length;
    await kill(redis);
    await a.waitForLog(/UWSGI_ERR_LEGION_REDIS/, 10_000, mark);
    await eventually(async () => !(await lordOf(statsPorts[0]!)).lord, 10_000, "the Lord to step down once its lease may have expired");
    redis = await startRedis(redisPort);
    await eventually(async () => {
      const l = await lords([0, 2]);
      assert.ok(l.filter(Boolean).length <= 1, "never two Lords across the restart");
      return l[0] && !l[1];
    }, 30_000, "valor 10 to hold the lease again after the restart");
  } finally {
    for (const s of servers) await s.stop("SIGKILL");
    await kill(redis);
  }
});
