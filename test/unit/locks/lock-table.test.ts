import { test } from "node:test";
import assert from "node:assert/strict";
import { LockTable, parseLocksOption } from "../../../src/engines/locks/lock-table.js";
import { LocalMutex, type Mutex } from "../../../src/core/mutex.js";
import { isUwsgiError, UwsgiError } from "../../../src/errors.js";

/** A mutex held by another process (pid 4242), or by a process that died holding it. */
class ForeignMutex implements Mutex {
  owner: number;
  recovered = false;
  constructor(owner = 4242, private readonly ownerDead = false) {
    this.owner = owner;
  }
  lock(): boolean {
    if (this.owner === process.pid) throw new UwsgiError("UWSGI_ERR_LOCK_REENTRANT", "foreign", process.pid);
    if (this.owner !== 0 && !this.ownerDead) throw new Error("would block forever in this test");
    this.recovered = this.owner !== 0;
    this.owner = process.pid;
    return this.recovered;
  }
  unlock(): void {
    if (this.owner !== process.pid) throw new UwsgiError("UWSGI_ERR_LOCK_NOT_OWNER", "foreign");
    this.owner = 0;
  }
  tryLock(): boolean {
    throw new Error("isLocked must not try the lock");
  }
  ownerPid(): number {
    return this.owner;
  }
}

const table = (n: number, isSpooler = false) =>
  new LockTable(Array.from({ length: n + 1 }, (_, i) => new LocalMutex(`user ${i}`)), { isSpooler });
const code = (c: Parameters<typeof isUwsgiError>[1]) => (e: unknown) => isUwsgiError(e, c);

test("locks option: N gives locks 0..N; absent gives lock 0 only", () => {
  assert.equal(parseLocksOption(undefined), 0);
  assert.equal(parseLocksOption("2"), 2);
  assert.equal(parseLocksOption(" 0 "), 0);
  for (const bad of ["-1", "1.5", "x", "", "70000"]) {
    assert.throws(() => parseLocksOption(bad), (e: unknown) => isUwsgiError(e, "UWSGI_ERR_OPTION_VALUE") && e.message.includes("locks"));
  }
});

test("locks: lock/unlock/isLocked with the default lock 0", () => {
  const t = table(2);
  assert.equal(t.count, 3);
  assert.equal(t.isLocked(), false);
  assert.equal(t.lock(), false);
  assert.equal(t.isLocked(), true);
  assert.equal(t.isLocked(0), true);
  assert.equal(t.isLocked(1), false);
  t.unlock();
  assert.equal(t.isLocked(), false);
  t.lock(2);
  assert.deepEqual(t.owners(), [
    { name: "user 0", pid: 0 },
    { name: "user 1", pid: 0 },
    { name: "user 2", pid: process.pid },
  ]);
});

test("locks: invalid numbers are rejected", () => {
  const t = table(2);
  for (const bad of [-1, 3, 1.5, Number.NaN, "1" as unknown as number]) {
    assert.throws(() => t.lock(bad), code("UWSGI_ERR_LOCK_INVALID"));
    assert.throws(() => t.unlock(bad), code("UWSGI_ERR_LOCK_INVALID"));
    assert.throws(() => t.isLocked(bad), code("UWSGI_ERR_LOCK_INVALID"));
  }
});

test("locks: a spooler may not use locks", () => {
  const t = table(1, true);
  assert.throws(() => t.lock(), code("UWSGI_ERR_LOCK_IN_SPOOLER"));
  assert.throws(() => t.unlock(), code("UWSGI_ERR_LOCK_IN_SPOOLER"));
  assert.throws(() => t.isLocked(), code("UWSGI_ERR_LOCK_IN_SPOOLER"));
  assert.throws(() => t.lock(99), code("UWSGI_ERR_LOCK_IN_SPOOLER"), "the spooler check comes first, as in uWSGI");
});

test("locks: locking a lock this process holds is an error (uWSGI self-deadlock bug)", () => {
  const t = table(0);
  t.lock();
  assert.throws(() => t.lock(), code("UWSGI_ERR_LOCK_REENTRANT"));
  assert.equal(t.isLocked(), true, "still held after the refused re-lock");
  t.unlock();
});

test("locks: a mutex's own reentrancy error surfaces through the table", () => {
  // A mutex that does not report this process as owner but refuses anyway.
  const m: Mutex = {
    lock: () => {
      throw new UwsgiError("UWSGI_ERR_LOCK_REENTRANT", "x", process.pid);
    },
    unlock: () => undefined,
    tryLock: () => false,
    ownerPid: () => 0,
  };
  assert.throws(() => new LockTable([m], { isSpooler: false }).lock(), code("UWSGI_ERR_LOCK_REENTRANT"));
});

test("locks: unlocking a lock held by another process fails and it stays held (uWSGI owner-clearing bug)", () => {
  const foreign = new ForeignMutex(4242);
  const t = new LockTable([foreign], { isSpooler: false });
  assert.equal(t.isLocked(), true);
  assert.throws(() => t.unlock(), code("UWSGI_ERR_LOCK_NOT_OWNER"));
  assert.equal(t.isLocked(), true);
  assert.equal(foreign.ownerPid(), 4242);
  assert.deepEqual(t.owners(), [{ name: "user 0", pid: 4242 }]);
});

test("locks: unlocking a free lock fails", () => {
  assert.throws(() => table(0).unlock(), code("UWSGI_ERR_LOCK_NOT_OWNER"));
});

test("locks: a dead owner's lock reads as held until lock() recovers it", () => {
  const dead = new ForeignMutex(999_999, true);
  const t = new LockTable([dead], { isSpooler: false });
  assert.equal(t.isLocked(), true, "isLocked never takes the lock");
  assert.equal(t.lock(), true, "lock() reports the recovery");
  assert.equal(dead.ownerPid(), process.pid);
  t.unlock();
  assert.equal(t.isLocked(), false);
});

test("locks: at least lock 0 must exist", () => {
  assert.throws(() => new LockTable([], { isSpooler: false }), code("UWSGI_ERR_INVALID_ARGUMENT"));
});
