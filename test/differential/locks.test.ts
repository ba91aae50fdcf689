/**
 * Differential: user locks in a real uWSGI 2.0.21 worker vs our stub. uWSGI's lock() is not
 * re-entrant (a second lock() deadlocks the worker), so no scenario locks a held lock there.
 */
import assert from "node:assert/strict";
import { test } from "node:test";
import { both, pairWithUwsgi, sideBySide } from "./compare.js";
import { type Op, isRaised, table } from "./scenario-ops.js";

const OPTIONS = ["--locks", "2"];

const uwsgiInstance = pairWithUwsgi(OPTIONS);

test("locks: --locks 2 gives locks 0..2; 3 and -1 are invalid for lock, unlock and is_locked", async () => {
  const { theirs } = await both(uwsgiInstance(), [
    ["is_locked", 0],
    ["is_locked", 2],
    ["is_locked"],
    ["is_locked", 3],
    ["lock", 3],
    ["unlock", 3],
    ["is_locked", -1],
    ["lock", -1],
  ]);
  assert.deepEqual(theirs.slice(0, 3), [false, false, false]);
  for (const r of theirs.slice(3)) {
    assert.ok(isRaised(r) && r.error === "ValueError" && r.message === "Invalid lock number", String(r));
  }
});

test("locks: is_locked follows lock/unlock in the same process", async () => {
  const { theirs } = await both(uwsgiInstance(), [
    ["lock", 1],
    ["is_locked", 1],
    ["is_locked", 2],
    ["unlock", 1],
    ["is_locked", 1],
    ["lock"],
    ["is_locked", 0],
    ["unlock", 0],
    ["is_locked"],
    ["lock", 2],
    ["is_locked", 2],
    ["unlock", 2],
    ["is_locked", 2],
  ]);
  assert.deepEqual(theirs.slice(0, 5), [null, true, false, null, false]);
});

// ---------------------------------------------------------------- deliberate differences -----

test("locks: unlocking a lock nobody holds throws (uWSGI: pthread refuses, the call returns None)", async () => {
  const ops: Op[] = [
    ["unlock", 2],
    ["is_locked", 2],
  ];
  const { theirs, ours } = await sideBySide(uwsgiInstance(), ops);
  const why = table(ops, theirs, ours);
  assert.deepEqual(theirs, [null, false], why);
  assert.ok(isRaised(ours[0]) && ours[0].error === "UWSGI_ERR_LOCK_NOT_OWNER", why);
  assert.equal(ours[1], false, why);
});
