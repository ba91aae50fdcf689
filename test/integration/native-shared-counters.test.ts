import { after, test } from "node:test";
import assert from "node:assert/strict";
import { SharedRegion, regionName } from "../../src/native/shared-region.js";
import { RobustMutex } from "../../src/native/robust-mutex.js";
import { FixtureProcesses } from "../fixtures/native/spawn-fixture.js";
import { eventually } from "../support/eventually.js";

const CHILDREN = 4;
const ITERATIONS = 20_000;
// Must match test/fixtures/native/layout.mjs.
const MUTEX_AT = 0;
const ATOMIC_AT = RobustMutex.size;
const PLAIN_AT = ATOMIC_AT + 64;

const fixtures = new FixtureProcesses();
const region = SharedRegion.create(regionName(`${process.pid}-it`, "counters"), 4096, { replace: true });
after(async () => {
  await fixtures.killAll();
  region.unlink();
});

test("native: N processes x M Atomics.add and M locked plain increments give exact totals", async () => {
  RobustMutex.init(region.buffer, MUTEX_AT, "counter");
  const ints = new Int32Array(region.buffer, ATOMIC_AT, 3); // [atomic, ready, go]
  const plain = new Float64Array(region.buffer, PLAIN_AT, 1);

  const children = Array.from({ length: CHILDREN }, () => fixtures.start("counter-child.mjs", [region.name, String(ITERATIONS)]));
  await eventually(() => Atomics.load(ints, 1) === CHILDREN, 10_000, `all ${CHILDREN} children attached`, 5);
  Atomics.store(ints, 2, 1); // go: all children hammer the counters at once
  await Promise.all(children.map((child) => child.waitForLine(/^done$/, 60_000)));
  assert.deepEqual(await Promise.all(children.map((child) => child.exited)), children.map(() => 0));

  assert.equal(Atomics.load(ints, 0), CHILDREN * ITERATIONS, "atomic counter");
  assert.equal(plain[0], CHILDREN * ITERATIONS, "plain counter guarded by the robust mutex");
  assert.equal(new RobustMutex(region.buffer, MUTEX_AT).ownerPid(), 0, "the lock ends free");
});
