import { after, test } from "node:test";
import assert from "node:assert/strict";
import { existsSync } from "node:fs";
import { SharedRegion, regionName } from "../../../src/native/shared-region.js";
import { isUwsgiError } from "../../../src/errors.js";

const created: SharedRegion[] = [];
let seq = 0;
/** A name unique to this test process. */
function uniqueName(): string {
  return regionName(`${process.pid}-unit`, `region${++seq}`);
}
function create(size: number): SharedRegion {
  const region = SharedRegion.create(uniqueName(), size);
  created.push(region);
  return region;
}
after(() => {
  for (const region of created) region.unlink();
});

test("shared region: create makes a zero-filled /dev/shm object, unlink removes it", () => {
  const region = SharedRegion.create(uniqueName(), 10_000);
  assert.equal(region.size, 10_000);
  assert.equal(region.buffer.byteLength, 10_000);
  assert.ok(new Uint8Array(region.buffer).every((b) => b === 0));
  assert.ok(existsSync(`/dev/shm${region.name}`));
  assert.equal(region.unlink(), true);
  assert.equal(existsSync(`/dev/shm${region.name}`), false);
  assert.equal(region.unlink(), false, "second unlink reports the name already gone");
  new Uint8Array(region.buffer)[0] = 7; // the mapping outlives the name
  assert.equal(new Uint8Array(region.buffer)[0], 7);
});

test("shared region: two mappings of one name see each other's writes, Atomics included", () => {
  const a = create(4096);
  const b = SharedRegion.attach(a.name);
  assert.equal(b.size, 4096, "attach takes the size from the object");
  assert.notEqual(a.buffer, b.buffer);
  new Uint8Array(a.buffer).set([1, 2, 3], 100);
  assert.deepEqual([...new Uint8Array(b.buffer, 100, 3)], [1, 2, 3]);
  const ia = new Int32Array(a.buffer);
  const ib = new Int32Array(b.buffer);
  for (let i = 0; i < 1000; i++) {
    Atomics.add(ia, 0, 1);
    Atomics.add(ib, 0, 2);
  }
  assert.equal(Atomics.load(ia, 0), 3000);
  assert.equal(Atomics.compareExchange(ib, 1, 0, 42), 0);
  assert.equal(Atomics.load(ia, 1), 42);
});

test("shared region: create refuses an existing name unless replace is set", () => {
  const first = create(4096);
  new Int32Array(first.buffer)[0] = 99;
  assert.throws(() => SharedRegion.create(first.name, 4096), (err) => isUwsgiError(err, "UWSGI_ERR_SHM") && /shmCreate: .*File exists \(EEXIST\)/.test(err.message));
  const second = SharedRegion.create(first.name, 8192, { replace: true });
  created.push(second);
  assert.equal(SharedRegion.attach(first.name).size, 8192);
  assert.equal(new Int32Array(second.buffer)[0], 0, "a fresh object");
  assert.equal(new Int32Array(first.buffer)[0], 99, "the old mapping keeps its bytes");
});

test("shared region: bad names and sizes are coded errors naming the problem", () => {
  for (const name of ["no-slash", "/", "/a/b", `/${"x".repeat(300)}`, ""]) {
    assert.throws(() => SharedRegion.create(name, 4096), (err) => isUwsgiError(err, "UWSGI_ERR_SHM") && /name/.test(err.message), name);
  }
  for (const size of [0, -1, 1.5, Number.NaN, "4096" as unknown as number, 2 ** 60]) {
    assert.throws(() => SharedRegion.create(uniqueName(), size), (err) => isUwsgiError(err, "UWSGI_ERR_SHM") && /size must be/.test(err.message), String(size));
  }
  assert.throws(() => SharedRegion.attach(`/uwsgi-node.${process.pid}-unit.missing`), (err) => isUwsgiError(err, "UWSGI_ERR_SHM") && /ENOENT/.test(err.message));
});

test("shared region: regionName builds /uwsgi-node.<instance>.<what> and validates both parts", () => {
  assert.equal(regionName(4242, "cache.default"), "/uwsgi-node.4242.cache.default");
  assert.equal(regionName("4242-t1", "locks"), "/uwsgi-node.4242-t1.locks");
  assert.equal(regionName("0123456789abcdef", "locks"), "/uwsgi-node.0123456789abcdef.locks");
  for (const bad of ["", "12/3", "12.3", "a b", "x".repeat(65)]) {
    assert.throws(() => regionName(bad, "x"), (err) => isUwsgiError(err, "UWSGI_ERR_INVALID_ARGUMENT") && /instanceId/.test(err.message), bad);
  }
  for (const bad of ["", "a/b", "a b"]) {
    assert.throws(() => regionName(1, bad), (err) => isUwsgiError(err, "UWSGI_ERR_INVALID_ARGUMENT") && /what/.test(err.message), bad);
  }
  assert.throws(() => regionName(1, "x".repeat(260)), (err) => isUwsgiError(err, "UWSGI_ERR_INVALID_ARGUMENT"));
});
