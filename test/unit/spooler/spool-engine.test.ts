/**
 * The spooler engine: scan order (uWSGI's versionsort), attempt records, retry backoff and the
 * failed folder, the locked claim.
 */
import assert from "node:assert/strict";
import { existsSync, mkdirSync, readdirSync, statSync, utimesSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { after, test } from "node:test";
import { compareSpoolNames, scanSpoolDir } from "../../../src/engines/spooler/spool-scan.js";
import { readAttempts, retryPolicy, attemptsPath } from "../../../src/engines/spooler/spool-attempts.js";
import { runSpoolTask, SPOOL_OK, SPOOL_RETRY } from "../../../src/engines/spooler/spool-task-runner.js";
import { encodeSpoolFile } from "../../../src/protocol/spool-file.js";
import { claimLocked } from "../../../src/server/spooler/task-claim.js";
import { scratchDirs } from "../../support/scratch-dirs.js";

const { fresh: freshDir } = scratchDirs("spool-engine");
const task = (dir: string, name: string, vars: Record<string, string> = { k: "v" }, mtimeS?: number) => {
  const p = join(dir, name);
  writeFileSync(p, encodeSpoolFile(Object.entries(vars)), { mode: 0o600 });
  if (mtimeS !== undefined) utimesSync(p, mtimeS, mtimeS);
  return p;
};
const quiet = () => undefined;

test("names sort as versionsort does: numbers by value, digit runs inside names by value", () => {
  const names = ["uwsgi_spoolfile_on_h_7_10_5_1_2", "uwsgi_spoolfile_on_h_7_9_5_1_2", "10", "2", "uwsgi_spoolfile_on_h_12_1_1_1_1", "uwsgi_spoolfile_on_h_7_9_5_1_10"];
  assert.deepEqual([...names].sort(compareSpoolNames), [
    "2",
    "10",
    "uwsgi_spoolfile_on_h_7_9_5_1_2",
    "uwsgi_spoolfile_on_h_7_9_5_1_10",
    "uwsgi_spoolfile_on_h_7_10_5_1_2",
    "uwsgi_spoolfile_on_h_12_1_1_1_1",
  ]);
});

test("scan: priority directories first (2 before 10), then tasks in spool order; later tasks give nextDueMs; other names are ignored", () => {
  const dir = freshDir();
  const now = Date.now();
  mkdirSync(join(dir, "10"));
  mkdirSync(join(dir, "2"));
  mkdirSync(join(dir, "failed"));
  const a = task(join(dir, "10"), "uwsgi_spoolfile_on_h_1_1_0_0_0");
  const b = task(join(dir, "2"), "uwsgi_spoolfile_on_h_1_2_0_0_0");
  const c = task(dir, "uwsgi_spoolfile_on_h_1_10_0_0_0");
  const d = task(dir, "uwsgi_spoolfile_on_h_1_9_0_0_0");
  task(dir, "uwsgi_spoolfile_on_h_1_11_0_0_0", {}, Math.floor(now / 1000) + 100);
  task(join(dir, "failed"), "uwsgi_spoolfile_on_h_1_12_0_0_0");
  task(dir, ".tmp_uwsgi_spoolfile_on_h_1_13_0_0_0");
  writeFileSync(join(dir, ".attempts_uwsgi_spoolfile_on_h_1_10_0_0_0"), "2\n");
  const scan = scanSpoolDir(dir, now + 2000);
  assert.deepEqual(scan.due, [b, a, d, c]);
  assert.equal(scan.nextDueMs, (Math.floor(now / 1000) + 100) * 1000);
  assert.deepEqual([...scan.attempted], [c]);
});

test("a scan without times lists every task file; the claim reads the time under the lock and leaves a task not due as it is (waiting, its due time given)", async () => {
  const dir = freshDir();
  const now = Date.now();
  const later = Math.floor(now / 1000) + 100;
  const due = task(dir, "uwsgi_spoolfile_on_h_1_1_0_0_0");
  const notDue = task(dir, "uwsgi_spoolfile_on_h_1_2_0_0_0", { k: "later" });
  const scan = scanSpoolDir(dir, now + 2000, { checkTimes: false });
  assert.deepEqual(scan.due, [due, notDue]);
  assert.equal(scan.nextDueMs, null);
  // its `at` arrives after the scan (a uWSGI writer sets it under its lock, before closing)
  utimesSync(notDue, later, later);
  const ran: string[] = [];
  const hook = (t: { k?: Buffer }) => {
    ran.push(String(t.k));
    return SPOOL_OK;
  };
  const first = await runSpoolTask(due, hook, quiet, { claim: claimLocked, dueBy: now + 2000 });
  const second = await runSpoolTask(notDue, hook, quiet, { claim: claimLocked, dueBy: now + 2000 });
  assert.equal(first.status, "done");
  assert.deepEqual({ status: second.status, dueAtMs: second.dueAtMs }, { status: "waiting", dueAtMs: later * 1000 });
  assert.deepEqual(ran, ["v"], "the task not due did not run");
  assert.equal(statSync(notDue).mtimeMs, later * 1000, "and is kept as it was");
  const whenDue = await runSpoolTask(notDue, hook, quiet, { claim: claimLocked, dueBy: later * 1000 });
  assert.equal(whenDue.status, "done");
  assert.deepEqual(ran, ["v", "later"]);
});

test("a failing task backs off (frequency, then doubling) and past --spooler-max-retries moves to DIR/failed", async () => {
  const dir = freshDir();
  const p = task(dir, "uwsgi_spoolfile_on_h_1_1_0_0_0");
  const policy = retryPolicy(2, 5);
  let now = 1_700_000_000_000;
  const run = () => runSpoolTask(p, () => SPOOL_RETRY, quiet, { retry: policy, root: dir, nowMs: () => now, claim: claimLocked });
  const first = await run();
  assert.equal(first.status, "retry");
  assert.equal(first.attempts, 1);
  assert.equal(first.retryAtMs, now + 5000);
  assert.equal(statSync(p).mtimeMs, now + 5000, "the file time is the retry time (uWSGI's spooler honours it too)");
  assert.equal(readAttempts(p), 1);
  now += 5000;
  const second = await run();
  assert.equal(second.retryAtMs, now + 10_000);
  now += 10_000;
  const third = await runSpoolTask(p, () => {
    throw new Error("still broken");
  }, quiet, { retry: policy, root: dir, nowMs: () => now, claim: claimLocked });
  assert.equal(third.status, "failed");
  assert.equal(third.movedTo, join(dir, "failed", "uwsgi_spoolfile_on_h_1_1_0_0_0"));
  assert.ok(existsSync(third.movedTo!));
  assert.equal(existsSync(p), false);
  assert.equal(existsSync(attemptsPath(p)), false, "the attempt record goes with it");
  assert.deepEqual(scanSpoolDir(dir, Infinity).due, [], "a failed task never runs again");
});

test("success after failures removes the task and its attempt record; maxRetries 0 keeps uWSGI's retry-forever", async () => {
  const dir = freshDir();
  const p = task(dir, "uwsgi_spoolfile_on_h_1_1_0_0_0");
  await runSpoolTask(p, () => SPOOL_RETRY, quiet, { retry: retryPolicy(3, 1), root: dir });
  assert.equal(readAttempts(p), 1);
  const ok = await runSpoolTask(p, () => SPOOL_OK, quiet, { retry: retryPolicy(3, 1), root: dir });
  assert.equal(ok.status, "done");
  assert.deepEqual(readdirSync(dir), []);
  const q = task(dir, "uwsgi_spoolfile_on_h_1_2_0_0_0", {}, 1000);
  for (let i = 0; i < 5; i++) {
    const r = await runSpoolTask(q, () => SPOOL_RETRY, quiet, { retry: retryPolicy(0, 1), root: dir });
    assert.equal(r.status, "retry");
  }
  assert.equal(statSync(q).mtimeMs, 1_000_000, "no backoff");
  assert.deepEqual(readdirSync(dir), ["uwsgi_spoolfile_on_h_1_2_0_0_0"]);
});

test("a task recorded past the limit (its spooler died running it) moves to failed without running", async () => {
  const dir = freshDir();
  const p = task(dir, "uwsgi_spoolfile_on_h_1_1_0_0_0");
  writeFileSync(attemptsPath(p), "3\n");
  let ran = false;
  const r = await runSpoolTask(p, () => ((ran = true), SPOOL_OK), quiet, { retry: retryPolicy(2, 1), root: dir });
  assert.equal(ran, false);
  assert.equal(r.status, "failed");
  assert.ok(existsSync(join(dir, "failed", "uwsgi_spoolfile_on_h_1_1_0_0_0")));
});

test("claimLocked skips a file shorter than a header (a uWSGI writer before its lock) and a vanished one", async () => {
  const dir = freshDir();
  const p = join(dir, "uwsgi_spoolfile_on_h_1_1_0_0_0");
  writeFileSync(p, Buffer.alloc(0));
  let ran = false;
  const r = await runSpoolTask(p, () => ((ran = true), SPOOL_OK), quiet, { claim: claimLocked });
  assert.equal(r.status, "skipped");
  assert.equal(ran, false);
  assert.ok(existsSync(p), "not set aside as malformed: its writer is still at work");
  assert.equal((await runSpoolTask(join(dir, "gone"), () => SPOOL_OK, quiet, { claim: claimLocked })).status, "skipped");
});
