import { after, test } from "node:test";
import assert from "node:assert/strict";
import { mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { FileRegion } from "../../../src/native/file-region.js";
import { isUwsgiError } from "../../../src/errors.js";

const dir = mkdtempSync(join(tmpdir(), "uwsgi-node-file-region-"));
after(() => rmSync(dir, { recursive: true, force: true }));

test("file region: creates and sizes a missing file, and writes persist across mappings", () => {
  const path = join(dir, "store.bin");
  const first = FileRegion.open(path, 8192);
  assert.equal(first.size, 8192);
  assert.equal(statSync(path).size, 8192);
  new Uint8Array(first.buffer).set(Buffer.from("hello store"), 4000);
  first.sync();
  first.sync(true);
  assert.equal(readFileSync(path).subarray(4000, 4011).toString(), "hello store", "the file holds the bytes");

  const second = FileRegion.open(path, 8192, { create: false });
  assert.equal(Buffer.from(second.buffer, 4000, 11).toString(), "hello store");
  new Int32Array(second.buffer)[0] = 1234;
  assert.equal(new Int32Array(first.buffer)[0], 1234, "both mappings share the pages");
});

test("file region: an existing file keeps its content", () => {
  const path = join(dir, "existing.bin");
  const content = Buffer.alloc(4096, 0xab);
  writeFileSync(path, content);
  const region = FileRegion.open(path, 4096);
  assert.ok(Buffer.from(region.buffer).equals(content));
});

test("file region: a size mismatch is UWSGI_ERR_SHM_SIZE_MISMATCH and leaves the file alone", () => {
  const path = join(dir, "small.bin");
  writeFileSync(path, Buffer.alloc(100, 1));
  assert.throws(() => FileRegion.open(path, 4096), (err) => isUwsgiError(err, "UWSGI_ERR_SHM_SIZE_MISMATCH") && err.message.includes(path) && /100 bytes but 4096/.test(err.message));
  assert.equal(statSync(path).size, 100);
});

test("file region: missing file without create, a directory, bad sizes are coded errors", () => {
  assert.throws(() => FileRegion.open(join(dir, "absent.bin"), 4096, { create: false }), (err) => isUwsgiError(err, "UWSGI_ERR_SHM") && /ENOENT/.test(err.message));
  assert.throws(() => FileRegion.open(dir, 4096), (err) => isUwsgiError(err, "UWSGI_ERR_SHM") && /EISDIR|not a regular file/.test(err.message));
  assert.throws(() => FileRegion.open(join(dir, "zero.bin"), 0), (err) => isUwsgiError(err, "UWSGI_ERR_SHM") && /size must be/.test(err.message));
  assert.throws(() => FileRegion.open(join(dir, "nodir", "x.bin"), 4096), (err) => isUwsgiError(err, "UWSGI_ERR_SHM") && /ENOENT/.test(err.message));
});
