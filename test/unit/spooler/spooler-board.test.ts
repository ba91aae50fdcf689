/**
 * The spooler's running board in shared memory: what the spooler writes, the master reads (the
 * running task, since when, the tasks handled), from another mapping of the same region.
 */
import assert from "node:assert/strict";
import { randomBytes } from "node:crypto";
import { test } from "node:test";
import { SpoolerBoard } from "../../../src/server/spooler/spooler-board.js";

test("the master reads what the spooler wrote on its board: running path and since, then idle with the task count", (t) => {
  const master = SpoolerBoard.create(`t${randomBytes(6).toString("hex")}`, 1, 1);
  assert.ok(master, "shared memory is available");
  t.after(() => master.region.unlink());
  const spooler = SpoolerBoard.attach(master.region.name);
  assert.ok(spooler);
  assert.deepEqual(master.read(), { running: null, tasks: 0 });
  const path = "/var/spool/app/3/uwsgi_spoolfile_on_h\u00e9te_1_2_3_4_5";
  spooler.running(path, 1_700_000_000_123, 7);
  assert.deepEqual(master.read(), { running: { path, since: 1_700_000_000_123 }, tasks: 7 });
  spooler.running("/short", 5, 8);
  assert.deepEqual(master.read(), { running: { path: "/short", since: 5 }, tasks: 8 }, "a shorter path is not mixed with the longer one");
  spooler.idle(9);
  assert.deepEqual(master.read(), { running: null, tasks: 9 });
});

test("a board whose spooler died in the middle of a write is still read (bounded), not waited on forever", (t) => {
  const board = SpoolerBoard.create(`t${randomBytes(6).toString("hex")}`, 2, 1);
  assert.ok(board);
  t.after(() => board.region.unlink());
  board.running("/spool/task", 42, 1);
  Atomics.add(new Int32Array(board.region.buffer, 0, 1), 0, 1); // the sequence left odd, as by a SIGKILL mid-write
  assert.deepEqual(board.read(), { running: { path: "/spool/task", since: 42 }, tasks: 1 });
});

test("SpoolerBoard.attach of a missing region gives null (the spooler then reports over IPC)", () => {
  assert.equal(SpoolerBoard.attach(`/uwsgi-node.t${randomBytes(6).toString("hex")}.spooler.1.1.board`), null);
});
