import assert from "node:assert/strict";
import { readFileSync, readdirSync, statSync, writeFileSync } from "node:fs";
import { hostname } from "node:os";
import { join } from "node:path";
import { after, test } from "node:test";
import { Worker } from "node:worker_threads";
import { ManualClock } from "../../../src/core/clock.js";
import { readSpoolFile, readSpoolFileSync, writeSpoolFile, writeSpoolFileSync } from "../../../src/protocol/spool-file-io.js";
import { SPOOL_FILE_PRIORITY_ACTION, rejectsCode, throwsCode } from "./wire-vectors.js";
import { scratchDirs } from "../../support/scratch-dirs.js";

const { fresh: freshDir } = scratchDirs("spool-io");

const text = (pairs: Array<[Buffer, Buffer]>) => pairs.map(([k, v]) => [k.toString("latin1"), v.toString("latin1")]);
const escapeRe = (s: string) => s.replace(/[.*+?^${}()|[\]\\]/g, "\\$&");

test("writeSpoolFile: uWSGI's name pattern, mode 0600, the encoded content, nothing else left in the dir", async () => {
  const dir = freshDir();
  const path = await writeSpoolFile(dir, [["priority", "5"], ["action", "ok"]]);
  const pattern = new RegExp(`^${escapeRe(dir)}/uwsgi_spoolfile_on_${escapeRe(hostname())}_${process.pid}_(\\d+)_(\\d+)_(\\d+)_(\\d+)$`);
  const match = pattern.exec(path);
  assert.ok(match, `unexpected path ${path}`);
  assert.ok(Math.abs(Number(match[3]) - Date.now() / 1000) < 600, "sec part is the current time");
  assert.ok(Number(match[4]) < 1_000_000, "usec part");
  assert.equal(statSync(path).mode & 0o777, 0o600);
  assert.deepEqual(readFileSync(path), SPOOL_FILE_PRIORITY_ACTION);
  assert.deepEqual(readdirSync(dir), [path.slice(dir.length + 1)]);
  const second = writeSpoolFileSync(dir, { a: "1" });
  assert.equal(Number(pattern.exec(second)?.[1]), Number(match[1]) + 1, "the per-process counter grows on every spool");
  assert.equal(readdirSync(dir).length, 2);
});

test("writeSpoolFileSync: injected hostname, pid, random and clock give an exact name", () => {
  const dir = freshDir();
  const path = writeSpoolFileSync(dir, { a: "1" }, Buffer.from("BODY"), { hostname: "node7", pid: 99, random: () => 12345, clock: new ManualClock(1700000000250) });
  assert.match(path, new RegExp(`^${escapeRe(dir)}/uwsgi_spoolfile_on_node7_99_\\d+_12345_1700000000_250000$`));
  const task = readSpoolFileSync(path);
  assert.deepEqual(text(task!.vars), [["a", "1"]]);
  assert.equal(task!.body?.toString(), "BODY");
});

test("at sets mtime and atime (fraction ignored) before the file appears", async () => {
  const dir = freshDir();
  const at = Math.floor(Date.now() / 1000) + 3600;
  for (const path of [await writeSpoolFile(dir, { a: "1" }, null, { at: at + 0.7 }), writeSpoolFileSync(dir, { a: "1" }, null, { at })]) {
    const st = statSync(path);
    assert.equal(st.mtimeMs, at * 1000);
    assert.equal(st.atimeMs, at * 1000);
  }
  await rejectsCode(writeSpoolFile(dir, { a: "1" }, null, { at: -5 }), "UWSGI_ERR_SPOOL_ARGUMENT", /at must be a unix timestamp/);
});

test("priority puts the file in <dir>/<priority>/, creating it when missing", async () => {
  const dir = freshDir();
  const first = await writeSpoolFile(dir, { a: "1" }, null, { priority: "5" });
  assert.match(first, new RegExp(`^${escapeRe(dir)}/5/uwsgi_spoolfile_on_`));
  assert.ok(statSync(join(dir, "5")).isDirectory());
  const second = writeSpoolFileSync(dir, { a: "2" }, null, { priority: "5" });
  assert.equal(readdirSync(join(dir, "5")).length, 2);
  assert.deepEqual(text(readSpoolFileSync(second)!.vars), [["a", "2"]]);
});

test("a priority that is not a single path component is rejected and nothing is written", async () => {
  const dir = freshDir();
  for (const priority of ["../x", "a/b", "", ".", "..", "a\0b"]) {
    throwsCode(() => writeSpoolFileSync(dir, { a: "1" }, null, { priority }), "UWSGI_ERR_SPOOL_ARGUMENT", /priority .* is not a single path component/);
    await rejectsCode(writeSpoolFile(dir, { a: "1" }, null, { priority }), "UWSGI_ERR_SPOOL_ARGUMENT", /priority/);
  }
  assert.deepEqual(readdirSync(dir), []);
});

test("write failures are UWSGI_ERR_SPOOL_FAILED and leave no file behind, not even the temporary one", async () => {
  const dir = freshDir();
  writeFileSync(join(dir, "7"), "a file where the priority directory should be");
  throwsCode(() => writeSpoolFileSync(dir, { a: "1" }, null, { priority: "7" }), "UWSGI_ERR_SPOOL_FAILED", /^unable to spool job: cannot write .*\/7\/uwsgi_spoolfile_on_.*: ENOTDIR/);
  await rejectsCode(writeSpoolFile(join(dir, "missing"), { a: "1" }), "UWSGI_ERR_SPOOL_FAILED", /ENOENT/);
  // the OS refuses this time after the temporary file exists: it must be removed again
  throwsCode(() => writeSpoolFileSync(dir, { a: "1" }, null, { at: 1e20 }), "UWSGI_ERR_SPOOL_FAILED", /EINVAL/);
  await rejectsCode(writeSpoolFile(dir, { a: "1" }, null, { at: 1e20 }), "UWSGI_ERR_SPOOL_FAILED", /EINVAL/);
  assert.deepEqual(readdirSync(dir), ["7"]);
  throwsCode(() => writeSpoolFileSync(dir, { big: Buffer.alloc(70000) }), "UWSGI_ERR_SPOOL_ARGUMENT", /70000 bytes/);
});

test("a reader polling the directory never sees a partial file under a uwsgi_spoolfile_on_ name", async () => {
  const dir = freshDir();
  const body = Buffer.alloc(8 * 1024 * 1024, 0x5a);
  const expectedSize = 4 + 12 + body.length;
  const control = new Int32Array(new SharedArrayBuffer(4));
  const worker = new Worker(
    `const { workerData, parentPort } = require("node:worker_threads");
     const fs = require("node:fs");
     const { dir, control, expectedSize } = workerData;
     const bad = []; let scans = 0; let tempsSeen = 0;
     while (Atomics.load(control, 0) === 0) {
       scans++;
       for (const name of fs.readdirSync(dir)) {
         let size;
         try { size = fs.statSync(dir + "/" + name).size; } catch { continue; }
         if (name.startsWith("uwsgi_spoolfile_on_")) { if (size !== expectedSize) bad.push(name + ": " + size); }
         else tempsSeen++;
       }
     }
     parentPort.postMessage({ bad, scans, tempsSeen });`,
    { eval: true, workerData: { dir, control, expectedSize } },
  );
  const report = new Promise<{ bad: string[]; scans: number }>((resolve, reject) => {
    worker.once("message", resolve);
    worker.once("error", reject);
  });
  await new Promise((resolve) => worker.once("online", resolve));
  const written: string[] = [];
  for (let i = 0; i < 6; i++) {
    written.push(writeSpoolFileSync(dir, { action: "ok" }, body));
    written.push(await writeSpoolFile(dir, { action: "ok" }, body));
  }
  Atomics.store(control, 0, 1);
  const { bad, scans } = await report;
  await worker.terminate();
  assert.ok(scans > 0);
  assert.deepEqual(bad, []);
  for (const path of written) assert.equal(statSync(path).size, expectedSize);
  assert.equal(readdirSync(dir).length, written.length);
});

test("readSpoolFile: null for a missing file, coded error for a malformed one", async () => {
  const dir = freshDir();
  assert.equal(await readSpoolFile(join(dir, "uwsgi_spoolfile_on_gone")), null);
  assert.equal(readSpoolFileSync(join(dir, "uwsgi_spoolfile_on_gone")), null);
  const broken = join(dir, "uwsgi_spoolfile_on_broken");
  writeFileSync(broken, SPOOL_FILE_PRIORITY_ACTION.subarray(0, 10));
  await rejectsCode(readSpoolFile(broken), "UWSGI_ERR_SPOOL_FILE_MALFORMED", /uwsgi_spoolfile_on_broken: dictionary of 25 bytes runs past the end/);
  throwsCode(() => readSpoolFileSync(broken), "UWSGI_ERR_SPOOL_FILE_MALFORMED", /broken/);
  const good = await writeSpoolFile(dir, { k: "v" }, Buffer.from("xyz"), { fsync: true });
  const task = await readSpoolFile(good);
  assert.deepEqual(text(task!.vars), [["k", "v"]]);
  assert.equal(task!.body?.toString(), "xyz");
  assert.equal(writeSpoolFileSync(dir, { k: "v" }, null, { fsync: true }).startsWith(dir), true);
});

test("writeSpoolFileSync returns the path join() makes of the directory as given (slashes, '.', trailing '/'), for each directory in turn", () => {
  const a = freshDir();
  const b = freshDir();
  for (const [given, normal] of [[`${a}//./`, a], [b, b], [`${a}/x/..`, a], [`${b}/`, b]] as const) {
    const path = writeSpoolFileSync(given, [["k", "v"]]);
    const name = path.slice(path.lastIndexOf("/") + 1);
    assert.equal(path, join(normal, name));
    assert.equal(path, join(given, name));
    assert.deepEqual(text(readSpoolFileSync(path)!.vars), [["k", "v"]]);
  }
  assert.equal(readdirSync(a).filter((n) => n.startsWith(".tmp_")).length, 0, "no temporary file left");
});
