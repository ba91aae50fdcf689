/**
 * The stub's user locks through the public facade (§6.1): numbering, ownership, the spooler
 * refusal, and the coded errors that replace uWSGI's deadlocks.
 */
import { after, beforeEach, describe, test } from "node:test";
import assert from "node:assert/strict";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { uwsgi } from "../../../src/index.js";
import { configure, runAs, runSpooler } from "../../../src/testing.js";
import { isUwsgiError, type ErrorCode } from "../../../src/errors.js";

const code = (c: ErrorCode) => (e: unknown) => isUwsgiError(e, c);

beforeEach(() => {
  configure(["--locks", "2"]);
});

describe("stub locks", () => {
  test("lock/is_locked/unlock round trip; the default lock is 0", () => {
    assert.equal(uwsgi.is_locked(), false);
    uwsgi.lock();
    assert.equal(uwsgi.is_locked(), true);
    assert.equal(uwsgi.is_locked(0), true);
    assert.equal(uwsgi.is_locked(1), false, "other locks are independent");
    uwsgi.unlock();
    assert.equal(uwsgi.is_locked(0), false);
  });

  test("--locks N gives locks 0..N; N+1 and negatives are invalid", () => {
    for (const n of [0, 1, 2]) {
      uwsgi.lock(n);
      assert.equal(uwsgi.is_locked(n), true, `lock ${n}`);
      uwsgi.unlock(n);
    }
    for (const n of [3, -1, 1.5]) {
      assert.throws(() => uwsgi.lock(n), code("UWSGI_ERR_LOCK_INVALID"), `lock(${n})`);
      assert.throws(() => uwsgi.unlock(n), code("UWSGI_ERR_LOCK_INVALID"), `unlock(${n})`);
      assert.throws(() => uwsgi.is_locked(n), code("UWSGI_ERR_LOCK_INVALID"), `is_locked(${n})`);
    }
  });

  test("without --locks only lock 0 exists", () => {
    configure([]);
    uwsgi.lock(0);
    uwsgi.unlock(0);
    assert.throws(() => uwsgi.lock(1), code("UWSGI_ERR_LOCK_INVALID"));
  });

  test("locks: locking a held lock again throws instead of deadlocking (uWSGI self-deadlock bug)", () => {
    uwsgi.lock(1);
    assert.throws(() => uwsgi.lock(1), code("UWSGI_ERR_LOCK_REENTRANT"));
    assert.equal(uwsgi.is_locked(1), true, "still held after the refused relock");
    uwsgi.unlock(1);
    assert.equal(uwsgi.is_locked(1), false);
  });

  test("locks: unlocking a lock nobody holds throws and changes nothing (uWSGI non-owner unlock bug)", () => {
    assert.throws(() => uwsgi.unlock(2), code("UWSGI_ERR_LOCK_NOT_OWNER"));
    assert.equal(uwsgi.is_locked(2), false);
    uwsgi.lock(2);
    uwsgi.unlock(2);
    assert.throws(() => uwsgi.unlock(2), code("UWSGI_ERR_LOCK_NOT_OWNER"), "a second unlock");
  });

  test("a worker may lock", () => {
    runAs({ kind: "worker", id: 1 }, () => {
      uwsgi.lock(1);
      assert.equal(uwsgi.is_locked(1), true);
      uwsgi.unlock(1);
    });
  });

  test("the spooler may not lock, unlock or check locks", () => {
    runAs({ kind: "spooler", id: 1 }, () => {
      assert.throws(() => uwsgi.lock(), code("UWSGI_ERR_LOCK_IN_SPOOLER"));
      assert.throws(() => uwsgi.unlock(), code("UWSGI_ERR_LOCK_IN_SPOOLER"));
      assert.throws(() => uwsgi.is_locked(), code("UWSGI_ERR_LOCK_IN_SPOOLER"));
      assert.throws(() => uwsgi.lock(99), code("UWSGI_ERR_LOCK_IN_SPOOLER"), "the role is checked first");
    });
    assert.equal(uwsgi.is_locked(), false, "nothing was taken");
    uwsgi.lock();
    uwsgi.unlock();
  });

  test("the spooler callable is refused too, and the task is kept for retry", async () => {
    const spool = mkdtempSync(join(tmpdir(), "uwsgi-node-stub-locks-"));
    after(() => rmSync(spool, { recursive: true, force: true }));
    configure(["--locks", "2", "--spooler", spool]);
    const seen: unknown[] = [];
    uwsgi.spooler = () => {
      try {
        uwsgi.lock(1);
      } catch (err) {
        seen.push(err);
        throw err;
      }
      return uwsgi.SPOOL_OK;
    };
    uwsgi.spool({ job: "x" });
    const [outcome] = await runSpooler();
    assert.equal(seen.length, 1);
    assert.ok(isUwsgiError(seen[0], "UWSGI_ERR_LOCK_IN_SPOOLER"));
    assert.equal(outcome?.status, "failed");
    assert.equal(uwsgi.is_locked(1), false);
    assert.equal(uwsgi.spooler_jobs().length, 1);
  });

  test("configure releases held locks", () => {
    uwsgi.lock(1);
    configure(["--locks", "2"]);
    assert.equal(uwsgi.is_locked(1), false);
  });
});
