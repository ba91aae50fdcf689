import { after, before, test } from "node:test";
import assert from "node:assert/strict";
import { performance } from "node:perf_hooks";
import { SharedRegion, regionName } from "../../src/native/shared-region.js";
import { RobustMutex } from "../../src/native/robust-mutex.js";
import { FixtureProcesses } from "../fixtures/native/spawn-fixture.js";

// Must match test/fixtures/native/layout.mjs.
const MUTEX_AT = 0;
const PLAIN_AT = RobustMutex.size + 64;
const DIRTY_AT = PLAIN_AT + 8;

const fixtures = new FixtureProcesses();
let region: SharedRegion;
let mutex: RobustMutex;
before(() => {
  region = SharedRegion.create(regionName(`${process.pid}-it`, "robust"), 4096, { replace: true });
  mutex = RobustMutex.init(region.buffer, MUTEX_AT, "robust");
});
after(async () => {
  await fixtures.killAll();
  region.unlink();
});

test("native: a lock whose holder is SIGKILLed is recovered by the next lock() within 100 ms", async () => {
  const plain = new Float64Array(region.buffer, PLAIN_AT, 1);
  const dirty = new Int32Array(region.buffer, DIRTY_AT, 1);
  plain[0] = 10;
  const holder = fixtures.start("lock-holder-child.mjs", [region.name, "hold"]);
  await holder.waitForLine(/^locked \d+$/);
  assert.equal(mutex.ownerPid(), holder.pid, "the child holds it");
  assert.equal(mutex.tryLock(), false, "held by a live process");

  const killedAt = performance.now();
  process.kill(holder.pid, "SIGKILL");
  assert.equal(await holder.exited, "SIGKILL");
  assert.equal(mutex.lock(), true, "lock() reports it recovered a dead owner's lock");
  const elapsed = performance.now() - killedAt;
  assert.ok(elapsed < 100, `recovered ${elapsed.toFixed(1)} ms after the kill`);

  // The guarded data is still there (marked half-written by the dead holder) and usable.
  assert.equal(mutex.ownerPid(), process.pid);
  assert.equal(dirty[0], 1);
  assert.equal(plain[0], 11);
  dirty[0] = 0;
  plain[0] += 1;
  mutex.unlock();
  assert.equal(mutex.lock(), false, "consistent again: nothing more to recover");
  assert.equal(plain[0], 12);
  mutex.unlock();
});

test("native: tryLock takes a lock whose holder died", async () => {
  const holder = fixtures.start("lock-holder-child.mjs", [region.name, "hold"]);
  await holder.waitForLine(/^locked \d+$/);
  process.kill(holder.pid, "SIGKILL");
  await holder.exited;
  assert.equal(mutex.ownerPid(), 0, "a dead holder is not reported as owner");
  assert.equal(mutex.tryLock(), true);
  assert.equal(mutex.ownerPid(), process.pid);
  mutex.unlock();
});

test("native: another process cannot unlock a lock this process holds (UWSGI_ERR_LOCK_NOT_OWNER)", async () => {
  mutex.lock();
  try {
    const intruder = fixtures.start("lock-holder-child.mjs", [region.name, "unlock-foreign"]);
    assert.equal(await intruder.waitForLine(/^(error|unlocked)/), "error UWSGI_ERR_LOCK_NOT_OWNER");
    assert.equal(await intruder.exited, 0);
    assert.equal(mutex.ownerPid(), process.pid, "still ours");
  } finally {
    mutex.unlock();
  }
});
