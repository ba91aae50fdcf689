import { describe, it } from "node:test";
import assert from "node:assert/strict";
import { FAST_DEATH_MS, RespawnBackoff } from "../../../src/server/respawn-backoff.js";

describe("respawn backoff", () => {
  it("respawns a worker that lived long at once", () => {
    const b = new RespawnBackoff();
    assert.equal(b.onDeath(FAST_DEATH_MS + 1, true), 0);
    assert.equal(b.onDeath(60_000, true), 0);
  });

  it("doubles the wait for consecutive fast deaths, up to a cap, and forgets after a healthy run", () => {
    const b = new RespawnBackoff();
    const waits = Array.from({ length: 8 }, () => b.onDeath(100, true));
    assert.deepEqual(waits, [0, 250, 500, 1000, 2000, 4000, 8000, 8000]);
    assert.equal(b.onDeath(10_000, true), 0);
    assert.equal(b.onDeath(100, false), 0);
    assert.equal(b.onDeath(100, false), 250);
  });

  it("counts a worker that never became ready as a fast death however long it took", () => {
    const b = new RespawnBackoff();
    b.onDeath(30_000, false);
    assert.equal(b.onDeath(30_000, false), 250);
  });
});
