/**
 * Finished task files reused for new tasks: the spooler zeroes and parks them, the writer takes
 * them instead of creating a file, and nothing planted in the folder is written through.
 */
import assert from "node:assert/strict";
import { existsSync, linkSync, mkdirSync, mkdtempSync, readFileSync, readdirSync, rmSync, statSync, symlinkSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { after, test } from "node:test";
import { scanSpoolDir } from "../../../src/engines/spooler/spool-scan.js";
import { runSpoolTask, SPOOL_OK, SPOOL_RETRY } from "../../../src/engines/spooler/spool-task-runner.js";
import { decodeSpoolFile, isSpoolFileName } from "../../../src/protocol/spool-file.js";
import { writeSpoolFileSync } from "../../../src/protocol/spool-file-io.js";
import { RECYCLE_DIR, RECYCLE_SLOTS, SpoolFileRecycler, isInMemoryFileSystem } from "../../../src/protocol/spool-file-recycling.js";
import { recyclingClaimer } from "../../../src/server/spooler/task-claim.js";
import { scratchDirs } from "../../support/scratch-dirs.js";

const { fresh: freshDir } = scratchDirs("spool-recycling");
const quiet = () => undefined;
// parking asked for whatever file system the scratch directory is on (a tmpfs TMPDIR would
// otherwise turn it off, see the last test)
const parkingClaimer = (dir: string) => recyclingClaimer(dir, new SpoolFileRecycler(dir, RECYCLE_SLOTS, true));
const pooled = (dir: string) => readdirSync(join(dir, RECYCLE_DIR)).map((name) => join(dir, RECYCLE_DIR, name));
const vars = (path: string) => Object.fromEntries(decodeSpoolFile(readFileSync(path)).vars.map(([k, v]) => [k.toString(), v.toString()]));

test("a finished task's file is zeroed, parked out of the spooler's sight, and reused by the next write", async () => {
  const dir = freshDir();
  const claim = parkingClaimer(dir);
  const first = writeSpoolFileSync(dir, { secret: "a long value that the next task does not overwrite" });
  const inode = statSync(first).ino;
  const r = await runSpoolTask(first, () => SPOOL_OK, quiet, { claim, root: dir });
  assert.equal(r.status, "done");
  assert.equal(existsSync(first), false, "the task is gone under its name");
  assert.deepEqual(readdirSync(dir), [RECYCLE_DIR]);
  assert.deepEqual(scanSpoolDir(dir, Date.now() + 1000).due, [], "the folder is not scanned");
  const [parked] = pooled(dir);
  assert.ok(readFileSync(parked!).every((b) => b === 0), "no byte of the finished task is kept");

  const second = writeSpoolFileSync(dir, { k: "v" });
  assert.equal(statSync(second).ino, inode, "the parked file was reused");
  assert.deepEqual(vars(second), { k: "v" }, "the new task alone, cut to its length");
  assert.equal(statSync(second).mode & 0o777, 0o600);
  assert.deepEqual(pooled(dir), []);
  assert.deepEqual(readdirSync(dir).filter(isSpoolFileName), [second.slice(dir.length + 1)]);
});

test("a task that is not done keeps its file (nothing is recycled), and priority subdirectories reuse the folder", async () => {
  const dir = freshDir();
  const claim = parkingClaimer(dir);
  const kept = writeSpoolFileSync(dir, { k: "v" }, null, { priority: "3" });
  assert.equal((await runSpoolTask(kept, () => SPOOL_RETRY, quiet, { claim, root: dir })).status, "retry");
  assert.ok(existsSync(kept));
  assert.equal(existsSync(join(dir, RECYCLE_DIR)), false);
  assert.equal((await runSpoolTask(kept, () => SPOOL_OK, quiet, { claim, root: dir })).status, "done");
  const inode = statSync(pooled(dir)[0]!).ino;
  const again = writeSpoolFileSync(dir, { k: "w" }, null, { priority: "3" });
  assert.equal(statSync(again).ino, inode);
  assert.deepEqual(vars(again), { k: "w" });
});

test("the folder holds at most its slots of files: past them a finished file is unlinked (never renamed over a parked one)", () => {
  const dir = freshDir();
  const slots = 64;
  const recycler = new SpoolFileRecycler(dir, slots, true);
  for (let i = 0; i < slots + 5; i++) {
    const p = join(dir, `uwsgi_spoolfile_on_h_1_${i}_0_0_0`);
    writeFileSync(p, "x");
    recycler.retire(p, -1, 0);
    assert.equal(existsSync(p), false);
  }
  assert.equal(readdirSync(join(dir, RECYCLE_DIR)).length, slots);
  assert.ok(pooled(dir).every((p) => statSync(p).nlink === 1));
});

test("a symlink or a hard link planted in the folder is not written through, and the write still succeeds", () => {
  const dir = freshDir();
  const pool = join(dir, RECYCLE_DIR);
  mkdirSync(pool);
  const victim = join(freshDir(), "victim");
  writeFileSync(victim, "untouched");
  symlinkSync(victim, join(pool, "f0"));
  linkSync(victim, join(pool, "f1"));
  const path = writeSpoolFileSync(dir, { k: "v" });
  assert.equal(readFileSync(victim, "utf8"), "untouched");
  assert.deepEqual(vars(path), { k: "v" });
  assert.deepEqual(readdirSync(pool), [], "the planted links are removed");
  assert.equal(statSync(victim).nlink, 1);
  assert.deepEqual(readdirSync(dir).filter((name) => name !== RECYCLE_DIR), [path.slice(dir.length + 1)], "no temporary file left behind");
});

// /dev/shm is a tmpfs on Linux systems with glibc; where it is not, there is nothing to test here
const shm = existsSync("/dev/shm") && isInMemoryFileSystem("/dev/shm") ? mkdtempSync(join("/dev/shm", "uwsgi-node-recycling-")) : null;
after(() => {
  if (shm) rmSync(shm, { recursive: true, force: true });
});

test("on a file system in memory a finished task's file is only unlinked (creating one there costs less than parking it)", { skip: shm ? false : "/dev/shm is not a tmpfs here" }, async () => {
  const dir = mkdtempSync(join(shm!, "d-"));
  const claim = recyclingClaimer(dir);
  const first = writeSpoolFileSync(dir, { k: "v" });
  assert.equal((await runSpoolTask(first, () => SPOOL_OK, quiet, { claim, root: dir })).status, "done");
  assert.deepEqual(readdirSync(dir), [], "the task is gone and nothing is parked");
  const second = writeSpoolFileSync(dir, { k: "w" });
  assert.deepEqual(vars(second), { k: "w" });
  assert.deepEqual(readdirSync(dir), [second.slice(dir.length + 1)]);
  // parking asked for whatever the file system: it parks
  assert.equal(new SpoolFileRecycler(dir, 16, true).parks(), true);
  assert.equal(new SpoolFileRecycler(dir).parks(), false);
  assert.equal(new SpoolFileRecycler(freshDir()).parks(), !isInMemoryFileSystem(freshDir()));
});
