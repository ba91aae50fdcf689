/**
 * Locks across nodes are refused with the reason (docs/cluster.md): a lock name given to
 * lock/unlock/is_locked throws UWSGI_ERR_LOCK_CLUSTER and takes no lock.
 */
import { test } from "node:test";
import assert from "node:assert/strict";
import { uwsgi } from "../../../src/index.js";
import { configure, reset } from "../../../src/testing.js";
import { isUwsgiError } from "../../../src/errors.js";

test("lock(name) is refused as a cluster lock, with the reason, and takes no lock", () => {
  configure(["--locks", "1"]);
  try {
    for (const call of [() => uwsgi.lock("jobs" as unknown as number), () => uwsgi.unlock("jobs" as unknown as number), () => uwsgi.is_locked("jobs" as unknown as number)]) {
      assert.throws(call, (e) => isUwsgiError(e, "UWSGI_ERR_LOCK_CLUSTER") && /fencing token/.test(e.message) && /docs\/cluster\.md/.test(e.message));
    }
    assert.equal(uwsgi.is_locked(0), false);
    assert.equal(uwsgi.is_locked(1), false);
  } finally {
    reset();
  }
});
