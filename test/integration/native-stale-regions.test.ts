import { after, test } from "node:test";
import assert from "node:assert/strict";
import { existsSync } from "node:fs";
import { SharedRegion, cleanupStaleRegions, regionName } from "../../src/native/shared-region.js";
import { FixtureProcesses } from "../fixtures/native/spawn-fixture.js";

const fixtures = new FixtureProcesses();
const ours = SharedRegion.create(regionName(`${process.pid}-it`, "stale-survivor"), 4096, { replace: true });
const leftovers: string[] = [];
after(async () => {
  await fixtures.killAll();
  ours.unlink();
  for (const name of leftovers) if (existsSync(`/dev/shm${name}`)) SharedRegion.attach(name).unlink();
});

test("native: regions of a SIGKILLed instance are removed by cleanupStaleRegions (its owner lock is free), live ones kept", async () => {
  const instance = fixtures.start("instance-child.mjs", ["stale-test"]);
  const name = (await instance.waitForLine(/^created /)).slice("created ".length);
  const id = /^\/uwsgi-node\.([0-9a-f]{16})\.stale-test$/.exec(name)?.[1];
  assert.ok(id, `a random instance id, not the pid: ${name}`);
  leftovers.push(name);
  assert.equal(new Int32Array(SharedRegion.attach(name).buffer)[0], instance.pid);
  assert.ok(existsSync(`/dev/shm/uwsgi-node.${id}.owner`));

  assert.ok(!cleanupStaleRegions().includes(name), "kept while the instance runs");
  process.kill(instance.pid, "SIGKILL");
  await instance.exited;
  assert.ok(existsSync(`/dev/shm${name}`), "SIGKILL leaves the region behind");

  const removed = cleanupStaleRegions();
  assert.ok(removed.includes(name), `removed: ${removed.join(", ")}`);
  assert.ok(removed.includes(`/uwsgi-node.${id}.owner`), "the owner record goes last");
  assert.equal(existsSync(`/dev/shm${name}`), false);
  assert.ok(!removed.includes(ours.name));
  assert.ok(existsSync(`/dev/shm${ours.name}`), "this live process's region survives");
});
