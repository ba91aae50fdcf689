import { after, test } from "node:test";
import assert from "node:assert/strict";
import { SharedRegion, regionName } from "../../../src/native/shared-region.js";
import { RobustMutex } from "../../../src/native/robust-mutex.js";
import { withLock } from "../../../src/core/mutex.js";
import { isUwsgiError } from "../../../src/errors.js";

const region = SharedRegion.create(regionName(`${process.pid}-unit`, "robust-mutex"), 4096, { replace: true });
after(() => region.unlink());

test("robust mutex: a slot is a multiple of 64 bytes (never shares a cache line) and starts free", () => {
  assert.ok(RobustMutex.size >= 8 && RobustMutex.size % 64 === 0, `size ${RobustMutex.size}`);
  RobustMutex.init(region.buffer, 8 * RobustMutex.size, "fresh");
  assert.equal(new Int32Array(region.buffer, 8 * RobustMutex.size, 1)[0], 0, "the lock word of a fresh slot is 0 (free)");
});

test("robust mutex: lock/unlock, ownerPid, and tryLock on a held lock", () => {
  const mutex = RobustMutex.init(region.buffer, 0, "unit");
  assert.equal(mutex.ownerPid(), 0);
  assert.equal(mutex.lock(), false, "nothing to recover");
  assert.equal(mutex.ownerPid(), process.pid);
  assert.equal(mutex.tryLock(), false, "held by us: tryLock does not take it again");
  mutex.unlock();
  assert.equal(mutex.ownerPid(), 0);
  assert.equal(mutex.tryLock(), true);
  mutex.unlock();
  assert.equal(withLock(mutex, () => mutex.ownerPid()), process.pid);
  assert.equal(mutex.ownerPid(), 0);
});

test("robust mutex: a second mapping of the region locks the same mutex", () => {
  RobustMutex.init(region.buffer, 64, "shared");
  const other = SharedRegion.attach(region.name);
  const a = new RobustMutex(region.buffer, 64, "shared");
  const b = new RobustMutex(other.buffer, 64, "shared");
  a.lock();
  assert.equal(b.ownerPid(), process.pid);
  assert.equal(b.tryLock(), false);
  b.unlock(); // same thread: the owner may release it through any mapping (the lock word is shared)
  assert.equal(a.ownerPid(), 0);
});

test("robust mutex: re-locking a held lock throws UWSGI_ERR_LOCK_REENTRANT instead of deadlocking", () => {
  const mutex = RobustMutex.init(region.buffer, 128, "lock 3");
  mutex.lock();
  assert.throws(() => mutex.lock(), (err) => isUwsgiError(err, "UWSGI_ERR_LOCK_REENTRANT") && err.message.includes("lock 3") && err.message.includes(String(process.pid)));
  mutex.unlock();
});

test("robust mutex: unlocking a lock this process does not hold throws UWSGI_ERR_LOCK_NOT_OWNER", () => {
  const mutex = RobustMutex.init(region.buffer, 192, "free");
  assert.throws(() => mutex.unlock(), (err) => isUwsgiError(err, "UWSGI_ERR_LOCK_NOT_OWNER") && err.message.includes("free"));
  mutex.lock();
  mutex.unlock();
  assert.throws(() => mutex.unlock(), (err) => isUwsgiError(err, "UWSGI_ERR_LOCK_NOT_OWNER"));
});

test("robust mutex: uninitialized, misaligned or out-of-bounds slots are coded errors", () => {
  assert.throws(() => new RobustMutex(region.buffer, 1024).lock(), (err) => isUwsgiError(err, "UWSGI_ERR_SHM") && /no initialized mutex at offset 1024/.test(err.message));
  assert.throws(() => RobustMutex.init(region.buffer, 4), (err) => isUwsgiError(err, "UWSGI_ERR_SHM") && /offset 4 is not 8-byte aligned/.test(err.message));
  assert.throws(() => RobustMutex.init(region.buffer, 4096 - 8), (err) => isUwsgiError(err, "UWSGI_ERR_SHM") && /needs \d+ bytes/.test(err.message));
  assert.throws(() => RobustMutex.init(region.buffer, -8), (err) => isUwsgiError(err, "UWSGI_ERR_SHM") && /offset must be/.test(err.message));
});
