/**
 * The addon's one-call spool file steps: `spoolWrite` (a task file's create, write, time, close
 * and rename) and `spoolClaim` (a spooler's open, record lock, stat and read), against the file
 * system and against a Python process holding or probing the same fcntl lock uWSGI takes.
 */
import assert from "node:assert/strict";
import { spawn } from "node:child_process";
import { closeSync, existsSync, mkdtempSync, readFileSync, readdirSync, rmSync, statSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, test } from "node:test";
import { pythonLockHolder } from "../../support/python-lock-holder.js";
import { SPOOL_CLAIM, loadNativeAddon } from "../../../src/native/native-addon.js";

const dir = mkdtempSync(join(tmpdir(), "uwsgi-node-spool-calls-"));
after(() => rmSync(dir, { recursive: true, force: true }));
const addon = loadNativeAddon();
const spoolWrite = addon.spoolWrite!;
const spoolClaim = addon.spoolClaim!;

function errno(code: string, syscall: string): (e: unknown) => boolean {
  return (e: unknown) => (e as NodeJS.ErrnoException).code === code && (e as NodeJS.ErrnoException).syscall === syscall;
}

/** "busy" when another process holds the record lock on `path`, else "free" (Python lockf LOCK_NB). */
function probe(path: string): Promise<string> {
  return new Promise((resolve) => {
    const code = "import fcntl,sys\nf=open(sys.argv[1],'r+')\ntry:\n  fcntl.lockf(f,fcntl.LOCK_EX|fcntl.LOCK_NB)\n  print('free')\nexcept OSError:\n  print('busy')\n";
    const child = spawn("python3", ["-c", code, path], { stdio: ["ignore", "pipe", "inherit"] });
    let out = "";
    child.stdout.on("data", (c: Buffer) => (out += c.toString()));
    child.on("exit", () => resolve(out.trim()));
  });
}

test("spoolWrite: the content lands under the final name, mode 0600, the temporary name gone", () => {
  const tmp = join(dir, ".tmp_a");
  const final = join(dir, "uwsgi_spoolfile_on_a");
  spoolWrite(tmp, final, Buffer.from("hello task"), 0);
  assert.equal(readFileSync(final, "utf8"), "hello task");
  assert.equal(statSync(final).mode & 0o777, 0o600);
  assert.equal(existsSync(tmp), false);
});

test("spoolWrite: at > 0 sets the file's mtime and atime to it", () => {
  const final = join(dir, "uwsgi_spoolfile_on_at");
  spoolWrite(join(dir, ".tmp_at"), final, Buffer.from("x"), 2_000_000_000);
  const st = statSync(final);
  assert.equal(st.mtimeMs, 2_000_000_000_000);
  assert.equal(st.atimeMs, 2_000_000_000_000);
});

test("spoolWrite: an existing temporary name is EEXIST from open, and is left as it was", () => {
  const tmp = join(dir, ".tmp_exists");
  const final = join(dir, "uwsgi_spoolfile_on_exists");
  writeFileSync(tmp, "someone else's");
  assert.throws(() => spoolWrite(tmp, final, Buffer.from("mine"), 0), errno("EEXIST", "open"));
  assert.equal(readFileSync(tmp, "utf8"), "someone else's");
  assert.equal(existsSync(final), false);
});

test("spoolWrite: a missing directory is ENOENT from open, nothing created", () => {
  const missing = join(dir, "no-such-dir");
  assert.throws(() => spoolWrite(join(missing, ".tmp_b"), join(missing, "b"), Buffer.from("x"), 0), errno("ENOENT", "open"));
  assert.equal(existsSync(missing), false);
});

test("spoolWrite: a failed rename unlinks the written temporary file", () => {
  const sub = mkdtempSync(join(dir, "rename-"));
  const tmp = join(sub, ".tmp_c");
  assert.throws(() => spoolWrite(tmp, join(dir, "no-such-dir", "c"), Buffer.from("x"), 0), errno("ENOENT", "rename"));
  assert.deepEqual(readdirSync(sub), []);
});

test("spoolWrite: bad arguments are EINVAL", () => {
  assert.throws(() => spoolWrite(join(dir, ".tmp_d"), join(dir, "d"), "text" as unknown as Buffer, 0), { code: "EINVAL" });
  assert.throws(() => spoolWrite(join(dir, ".tmp_d"), join(dir, "d"), Buffer.from("x"), -1), { code: "EINVAL" });
  assert.equal(existsSync(join(dir, ".tmp_d")), false);
});

test("spoolClaim: reads the whole file under the record lock and keeps the descriptor open and locked", async () => {
  const path = join(dir, "uwsgi_spoolfile_on_claim");
  const content = Buffer.alloc(100_000, 7);
  writeFileSync(path, content);
  const out = new Float64Array(2);
  const got = spoolClaim(path, 4, out);
  assert.ok(Buffer.isBuffer(got));
  assert.deepEqual(got, content);
  assert.equal(out[1], statSync(path).mtimeMs);
  const fd = out[0]!;
  assert.ok(Number.isInteger(fd) && fd > 2);
  assert.equal(await probe(path), "busy", "another process cannot take the task while we hold it");
  closeSync(fd);
  assert.equal(await probe(path), "free", "closing the descriptor lets it go");
});

test("spoolClaim: busy while another process holds the lock, and the file is not read", async () => {
  const path = join(dir, "uwsgi_spoolfile_on_busy");
  writeFileSync(path, "0123456789");
  const holder = await pythonLockHolder(path);
  after(() => holder.release());
  assert.equal(spoolClaim(path, 4, new Float64Array(2)), SPOOL_CLAIM.busy);
  await holder.release();
  const out = new Float64Array(2);
  const got = spoolClaim(path, 4, out);
  assert.equal(Buffer.isBuffer(got) && got.toString(), "0123456789");
  closeSync(out[0]!);
});

test("spoolClaim: gone for a missing name and for a file shorter than minSize", () => {
  assert.equal(spoolClaim(join(dir, "no-such-task"), 4, new Float64Array(2)), SPOOL_CLAIM.gone);
  const short = join(dir, "uwsgi_spoolfile_on_short");
  writeFileSync(short, "abc");
  assert.equal(spoolClaim(short, 4, new Float64Array(2)), SPOOL_CLAIM.gone);
  assert.equal(spoolClaim(join(dir, "no-such-dir", "t"), 4, new Float64Array(2)), SPOOL_CLAIM.gone);
});

test("spoolClaim: out must be a Float64Array of 2", () => {
  const path = join(dir, "uwsgi_spoolfile_on_out");
  writeFileSync(path, "0123");
  assert.throws(() => spoolClaim(path, 4, new Float64Array(1)), { code: "EINVAL" });
});
