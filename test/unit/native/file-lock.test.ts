/**
 * The spool task lock is the POSIX record lock uWSGI uses (fcntl F_SETLK, whole-file F_WRLCK):
 * checked against Python's fcntl.lockf, which makes the same call, in another process.
 */
import assert from "node:assert/strict";
import { spawn } from "node:child_process";
import { closeSync, mkdtempSync, openSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, test } from "node:test";
import { pythonLockHolder } from "../../support/python-lock-holder.js";
import { fileLockHolder, lockFile, tryLockFile } from "../../../src/native/file-lock.js";
import { isUwsgiError } from "../../../src/errors.js";

const dir = mkdtempSync(join(tmpdir(), "uwsgi-node-file-lock-"));
after(() => rmSync(dir, { recursive: true, force: true }));

test("tryLockFile: false while another process holds the record lock, true once it is gone", async () => {
  const path = join(dir, "task");
  writeFileSync(path, "x");
  const holder = await pythonLockHolder(path);
  const fd = openSync(path, "r+");
  after(() => holder.release());
  try {
    assert.equal(fileLockHolder(fd, path), holder.pid, "F_GETLK names the holder");
    assert.equal(tryLockFile(fd, path), false);
    await holder.release();
    assert.equal(fileLockHolder(fd, path), 0);
    assert.equal(tryLockFile(fd, path), true);
    assert.equal(tryLockFile(fd, path), true, "a process never conflicts with itself");
    lockFile(fd, path);
  } finally {
    closeSync(fd);
  }
});

test("a lock we hold keeps a Python lockf(LOCK_NB) out until the descriptor closes", async () => {
  const path = join(dir, "task2");
  writeFileSync(path, "x");
  const fd = openSync(path, "r+");
  const probe = (): Promise<string> =>
    new Promise((resolve) => {
      const code = "import fcntl,sys\nf=open(sys.argv[1],'r+')\ntry:\n  fcntl.lockf(f,fcntl.LOCK_EX|fcntl.LOCK_NB)\n  print('free')\nexcept OSError:\n  print('busy')\n";
      const child = spawn("python3", ["-c", code, path], { stdio: ["ignore", "pipe", "inherit"] });
      let out = "";
      child.stdout.on("data", (c: Buffer) => (out += c.toString()));
      child.on("exit", () => resolve(out.trim()));
    });
  assert.equal(tryLockFile(fd, path), true);
  assert.equal(await probe(), "busy");
  closeSync(fd);
  assert.equal(await probe(), "free");
});

test("a bad descriptor is UWSGI_ERR_SPOOL_LOCK naming the file", () => {
  assert.throws(() => tryLockFile(987654, "/no/such"), (e: unknown) => isUwsgiError(e, "UWSGI_ERR_SPOOL_LOCK") && /\/no\/such/.test((e as Error).message));
});
