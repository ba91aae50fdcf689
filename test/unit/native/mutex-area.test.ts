import { after, test } from "node:test";
import assert from "node:assert/strict";
import { SharedRegion, regionName } from "../../../src/native/shared-region.js";
import { MutexArea } from "../../../src/native/mutex-area.js";
import { RobustMutex } from "../../../src/native/robust-mutex.js";
import { isUwsgiError } from "../../../src/errors.js";

const region = SharedRegion.create(regionName(`${process.pid}-unit`, "mutex-area"), 4096, { replace: true });
after(() => region.unlink());

test("mutex area: lays out N independent mutexes back to back after an offset", () => {
  const area = MutexArea.init(region.buffer, 64, 5, "lock ");
  assert.equal(MutexArea.bytesFor(5), 5 * RobustMutex.size);
  assert.equal(area.end, 64 + 5 * RobustMutex.size);
  assert.deepEqual([0, 1, 2, 3, 4].map((i) => area.get(i).offset), [0, 1, 2, 3, 4].map((i) => 64 + i * RobustMutex.size));
  area.get(0).lock();
  area.get(4).lock();
  assert.equal(area.get(1).tryLock(), true, "other slots stay free");
  assert.throws(() => area.get(4).lock(), (err) => isUwsgiError(err, "UWSGI_ERR_LOCK_REENTRANT") && err.message.includes("lock 4"));
  for (const i of [0, 1, 4]) area.get(i).unlock();

  const attached = new MutexArea(SharedRegion.attach(region.name).buffer, 64, 5);
  assert.equal(attached.get(2).tryLock(), true, "another mapping binds to the same initialized slots");
  assert.equal(area.get(2).ownerPid(), process.pid);
  attached.get(2).unlock();
});

test("mutex area: out-of-range index is UWSGI_ERR_LOCK_INVALID; bad geometry is rejected", () => {
  const area = MutexArea.init(region.buffer, 0, 2);
  for (const bad of [2, -1, 0.5]) assert.throws(() => area.get(bad), (err) => isUwsgiError(err, "UWSGI_ERR_LOCK_INVALID"), String(bad));
  assert.throws(() => new MutexArea(region.buffer, 0, 1000), (err) => isUwsgiError(err, "UWSGI_ERR_INVALID_ARGUMENT") && /1000 mutexes/.test(err.message));
  assert.throws(() => new MutexArea(region.buffer, 4, 1), (err) => isUwsgiError(err, "UWSGI_ERR_INVALID_ARGUMENT") && /offset/.test(err.message));
  assert.throws(() => new MutexArea(region.buffer, 0, -1), (err) => isUwsgiError(err, "UWSGI_ERR_INVALID_ARGUMENT") && /count/.test(err.message));
});
