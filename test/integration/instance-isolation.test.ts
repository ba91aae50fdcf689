/**
 * Two instances in their own PID namespaces (`unshare --pid --fork`: both masters are pid 1)
 * sharing one /dev/shm. Regression for "shared memory crosses instances": region names carried the
 * master's pid and stale-region cleanup judged liveness by pid, so the second instance deleted
 * the first one's live regions and a respawned worker attached to the other instance's cache.
 */
import { after, test } from "node:test";
import assert from "node:assert/strict";
import { readFileSync, readdirSync } from "node:fs";
import { eventually, fixtureApp, httpRequest, startServer, type TestServer } from "./server-harness.js";

const UNSHARE = ["unshare", "--pid", "--fork", "--kill-child=SIGKILL"];
const started: TestServer[] = [];
after(async () => {
  for (const s of started) await s.stop("SIGKILL");
});

/** Host pids of the children of `pid` (the wrapper's child is the master; the master's are its workers). */
function childrenOf(pid: number): number[] {
  try {
    return readFileSync(`/proc/${pid}/task/${pid}/children`, "utf8").trim().split(/\s+/).filter(Boolean).map(Number);
  } catch {
    return [];
  }
}

async function startInNamespace(): Promise<{ server: TestServer; id: string; master: number; regions: () => string[] }> {
  const server = await startServer(
    ["--http", "127.0.0.1:0", "--processes", "1", "--cache2", "name=default,items=20", "--locks", "1", fixtureApp("remote-ops-app")],
    { wrap: UNSHARE },
  );
  started.push(server);
  const id = (await server.waitForLog(/\(instance id ([0-9a-f]{16})\)/))[1]!;
  const master = childrenOf(server.pid)[0]!;
  assert.ok(master > 0, "the master runs under unshare");
  assert.match(server.log(), /spawned uWSGI master process \(pid: 1\)/, "the master is pid 1 in its namespace");
  const regions = () => readdirSync("/dev/shm").filter((n) => n.startsWith(`uwsgi-node.${id}.`)).sort();
  return { server, id, master, regions };
}

test("regression: two instances in separate PID namespaces on one /dev/shm neither see nor delete each other's regions", async () => {
  const a = await startInNamespace();
  assert.equal((await httpRequest(a.server.port, "/set?key=owner&value=instance-a")).body, "true");
  const aRegions = a.regions();
  assert.ok(aRegions.includes(`uwsgi-node.${a.id}.owner`) && aRegions.some((n) => n.includes(".cache.")), aRegions.join(" "));

  const b = await startInNamespace();
  assert.notEqual(a.id, b.id);
  assert.doesNotMatch(b.server.log(), /removed shared memory region/, "b's start removed nothing of a's");
  assert.deepEqual(a.regions(), aRegions, "a's regions are all still there");
  assert.equal((await httpRequest(b.server.port, "/get?key=owner")).body, "(none)", "b does not see a's cache");
  assert.equal((await httpRequest(b.server.port, "/set?key=owner&value=instance-b")).body, "true");

  // a's worker, killed and respawned, attaches to a's regions again (not b's)
  const worker = childrenOf(a.master)[0]!;
  const from = a.server.log().length;
  process.kill(worker, "SIGKILL");
  await a.server.waitForLog(/Respawned uWSGI worker 1/, 10000, from);
  await eventually(async () => (await httpRequest(a.server.port, "/get?key=owner")).body === "instance-a", 10000, "a's respawned worker to read a's cache");
  assert.equal((await httpRequest(b.server.port, "/get?key=owner")).body, "instance-b");

  // b stops cleanly: only its own regions go
  process.kill(b.master, "SIGTERM");
  await b.server.exited;
  await eventually(() => b.regions().length === 0, 5000, "b's regions removed");
  assert.deepEqual(a.regions(), aRegions, "a's regions survive b's stop");

  // a dies without cleaning up: its lock goes with it, so the next cleanup (the harness runs one
  // when a server exits, as the next start would) removes its regions
  process.kill(a.master, "SIGKILL");
  await a.server.exited;
  await eventually(() => a.regions().length === 0, 5000, "a's regions removed once its master is dead");
});
