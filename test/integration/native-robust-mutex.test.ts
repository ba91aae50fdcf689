import { after, test } from "node:test";
import assert from "node:assert/strict";
import { performance } from "node:perf_hooks";
import { SharedRegion, regionName } from "../../src/native/shared-region.js";
import { RobustMutex } from "../../src/native/robust-mutex.js";
import { readFileSync } from "node:fs";
import { FixtureProcesses } from "../fixtures/native/spawn-fixture.js";
import { eventually } from "../support/eventually.js";

// Must match test/fixtures/native/layout.mjs.
const MUTEX_AT = 0;
const PLAIN_AT = RobustMutex.size + 64;
const DIRTY_AT = PLAIN_AT + 8;

const fixtures = new FixtureProcesses();
const regions: SharedRegion[] = [];
after(async () => {
  await fixtures.killAll();
  for (const region of regions) region.unlink();
});

/** futex(2)'s syscall number, as /proc/PID/syscall reports it. */
const SYS_FUTEX: Partial<Record<string, number>> = { x64: 202, arm64: 98 };

/**
 * Whether `pid`'s main thread is asleep in the kernel inside futex(2): state S in /proc/PID/stat
 * and futex's number first in /proc/PID/syscall (or, on an architecture not listed above, "futex"
 * in /proc/PID/wchan).
 */
function sleepingInFutex(pid: number): boolean {
  const stat = readFileSync(`/proc/${pid}/stat`, "utf8");
  if (stat.slice(stat.lastIndexOf(")") + 2, stat.lastIndexOf(")") + 3) !== "S") return false;
  const nr = SYS_FUTEX[process.arch];
  if (nr === undefined) return /futex/.test(readFileSync(`/proc/${pid}/wchan`, "utf8"));
  return readFileSync(`/proc/${pid}/syscall`, "utf8").split(" ")[0] === String(nr);
}

/** A region of its own for each test (so one test's stuck lock cannot block the next) with an initialized mutex. */
function lockRegion(what: string): { region: SharedRegion; mutex: RobustMutex } {
  const region = SharedRegion.create(regionName(`${process.pid}-it`, `robust-${what}`), 4096, { replace: true });
  regions.push(region);
  return { region, mutex: RobustMutex.init(region.buffer, MUTEX_AT, what) };
}

test("native: once a lock's holder is SIGKILLed, the next lock() recovers it within 100 ms", async () => {
  const { region, mutex } = lockRegion("killed");
  const plain = new Float64Array(region.buffer, PLAIN_AT, 1);
  const dirty = new Int32Array(region.buffer, DIRTY_AT, 1);
  plain[0] = 10;
  const holder = fixtures.start("lock-holder-child.mjs", [region.name, "hold"]);
  await holder.waitForLine(/^locked \d+$/);
  assert.equal(mutex.ownerPid(), holder.pid, "the child holds it");
  assert.equal(mutex.tryLock(), false, "held by a live process");

  process.kill(holder.pid, "SIGKILL");
  assert.equal(await holder.exited, "SIGKILL");
  // The owner is dead (and reaped): recovery must not wait for any timeout or polling. (Time
  // from the kill to here is the kernel reaping the child and this loop noticing.)
  const lockStarted = performance.now();
  assert.equal(mutex.lock(), true, "lock() reports it recovered a dead owner's lock");
  const elapsed = performance.now() - lockStarted;
  assert.ok(elapsed < 100, `lock() took ${elapsed.toFixed(1)} ms to recover the dead owner's lock`);

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
  const { region, mutex } = lockRegion("trylock");
  const holder = fixtures.start("lock-holder-child.mjs", [region.name, "hold"]);
  await holder.waitForLine(/^locked \d+$/);
  process.kill(holder.pid, "SIGKILL");
  await holder.exited;
  assert.equal(mutex.ownerPid(), 0, "a dead holder is not reported as owner");
  assert.equal(mutex.tryLock(), true);
  assert.equal(mutex.ownerPid(), process.pid);
  mutex.unlock();
});

test("native: a holder that dropped and garbage-collected its mapping still has its lock recovered", async () => {
  // Regression: the ArrayBuffer finalizer unmapped the region while the lock was held, so at exit
  // the kernel could not reach the mutex on the holder's robust list and it stayed locked forever.
  const { region, mutex } = lockRegion("dropped");
  const holder = fixtures.start("lock-holder-child.mjs", [region.name, "hold-dropped"], ["--expose-gc"]);
  await holder.waitForLine(/^locked \d+$/);
  process.kill(holder.pid, "SIGKILL");
  await holder.exited;
  assert.equal(mutex.lock(), true);
  mutex.unlock();
});

test("native: unlock wakes a process sleeping in lock() (futex wake across processes, no polling)", async () => {
  const { region, mutex } = lockRegion("wake");
  mutex.lock();
  // The waiter re-checks its holder only once a minute: getting the lock within the wait below
  // proves the unlock woke it.
  const waiter = fixtures.start("futex-waiter-child.mjs", [region.name]);
  await waiter.waitForLine(/^waiting$/);
  // The waiter flags itself on the lock word, then goes to sleep in the kernel: both observed
  // before the unlock, so the wake below is the futex wake and not the waiter arriving late.
  const word = new Int32Array(region.buffer, MUTEX_AT, 1);
  await eventually(() => (word[0]! & 0x40000000) !== 0 && sleepingInFutex(waiter.pid), 10_000, "the waiter asleep in futex(2) with the waiters bit set", 10);
  mutex.unlock();
  assert.equal(await waiter.waitForLine(/^locked/, 30_000), "locked false", "the waiter got the lock, nothing to recover");
  assert.equal(await waiter.exited, 0);
  assert.equal(mutex.ownerPid(), 0);
});

test("native: another process cannot unlock a lock this process holds (UWSGI_ERR_LOCK_NOT_OWNER)", async () => {
  const { region, mutex } = lockRegion("foreign");
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
