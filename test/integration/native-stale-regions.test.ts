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

test("native: regions of a SIGKILLed instance are removed by cleanupStaleRegions, live ones kept", async () => {
  const instance = fixtures.start("instance-child.mjs", ["stale-test"]);
  const name = (await instance.waitForLine(/^created /)).slice("created ".length);
  leftovers.push(name);
  assert.equal(name, regionName(instance.pid, "stale-test"));
  assert.equal(new Int32Array(SharedRegion.attach(name).buffer)[0], instance.pid);

  assert.ok(!cleanupStaleRegions().includes(name), "kept while the instance runs");
  process.kill(instance.pid, "SIGKILL");
  await instance.exited;
  assert.ok(existsSync(`/dev/shm${name}`), "SIGKILL leaves the region behind");

  const removed = cleanupStaleRegions();
  assert.ok(removed.includes(name), `removed: ${removed.join(", ")}`);
  assert.equal(existsSync(`/dev/shm${name}`), false);
  assert.ok(!removed.includes(ours.name));
  assert.ok(existsSync(`/dev/shm${ours.name}`), "this live process's region survives");
});
