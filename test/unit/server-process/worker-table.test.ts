import { describe, it } from "node:test";
import assert from "node:assert/strict";
import type { ChildProcess } from "node:child_process";
import { WorkerProcess, WorkerSlot } from "../../../src/server/worker-table.js";

const fakeChild = (pid: number) => ({ pid }) as unknown as ChildProcess;

describe("worker table", () => {
  it("keeps slot totals across respawns while delta_requests is per process", () => {
    const slot = new WorkerSlot(1);
    const first = new WorkerProcess(fakeChild(100), slot, Date.now());
    slot.current = first;
    slot.spawns = 1;
    first.ready = true;
    first.counters = { ...first.counters, requests: 5, tx: 500, exceptions: 1, runningTime: 50 };
    slot.absorb(first);
    const second = new WorkerProcess(fakeChild(101), slot, Date.now());
    slot.current = second;
    slot.spawns = 2;
    second.ready = true;
    second.counters = { ...second.counters, requests: 2, tx: 20, inFlight: 1, accepting: true, avgRt: 70 };
    const row = slot.row("/srv");
    assert.equal(row.pid, 101);
    assert.equal(row.requests, 7);
    assert.equal(row.delta_requests, 2);
    assert.equal(row.tx, 520);
    assert.equal(row.exceptions, 1);
    assert.equal(row.status, "busy");
    assert.equal(row.accepting, 1);
    const stats = slot.stats("/srv");
    assert.equal(stats.respawn_count, 2);
    assert.equal(stats.cores[0]!.in_request, 1);
  });

  it("answers for the old process until its replacement is ready", () => {
    const slot = new WorkerSlot(2);
    const old = new WorkerProcess(fakeChild(200), slot, Date.now());
    old.ready = true;
    const fresh = new WorkerProcess(fakeChild(201), slot, Date.now());
    slot.previous = old;
    slot.current = fresh;
    assert.equal(slot.serving, old);
    fresh.ready = true;
    assert.equal(slot.serving, fresh);
    assert.deepEqual(slot.processes().map((p) => p.pid), [200, 201]);
  });
});
