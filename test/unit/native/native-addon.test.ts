import { test } from "node:test";
import assert from "node:assert/strict";
import { existsSync } from "node:fs";
import { loadNativeAddon, nativeAddonPath, nativeAvailable } from "../../../src/native/native-addon.js";

test("native addon: found under native/build/Release of the package root and loads", () => {
  const path = nativeAddonPath();
  assert.ok(path?.endsWith("/native/build/Release/uwsgi_native.node"), `unexpected path ${path}`);
  assert.ok(existsSync(path!), `${path} is missing: build it with \`npm install\` (needs a C compiler, make, python3)`);
  assert.equal(nativeAvailable(), true);
  const addon = loadNativeAddon();
  assert.equal(loadNativeAddon(), addon, "loaded once and cached");
  for (const fn of ["shmCreate", "shmAttach", "shmUnlink", "mapFile", "msync", "mutexSize", "mutexInit", "mutexBind", "pidAlive"]) {
    assert.equal(typeof (addon as unknown as Record<string, unknown>)[fn], "function", fn);
  }
});

test("native addon: raw errors carry the errno name and the call", () => {
  const addon = loadNativeAddon();
  assert.throws(() => addon.shmAttach(`/uwsgi-node-test-missing.${process.pid}`), { code: "ENOENT", message: /^shmAttach: .*No such file/ });
  assert.throws(() => addon.mutexBind(new ArrayBuffer(8), 0, 1), { code: "EINVAL", message: /mutexBind: 1 mutex\(es\) at offset 0 needs \d+ bytes/ });
  assert.throws(() => addon.mutexBind("nope" as unknown as ArrayBuffer, 0, 1), { code: "EINVAL", message: /buffer must be an ArrayBuffer/ });
  assert.throws(() => addon.mutexBind(new ArrayBuffer(4096), 0, 0), { code: "EINVAL", message: /count must be an integer/ });
  assert.throws(() => addon.pidAlive(0), { code: "EINVAL", message: /pid must be an integer/ });
});

test("native addon: a bound area checks each index and that the slot was initialized", () => {
  const addon = loadNativeAddon();
  const size = addon.mutexSize();
  const buffer = new ArrayBuffer(size * 3);
  addon.mutexInit(buffer, 0);
  addon.mutexInit(buffer, size);
  const area = addon.mutexBind(buffer, 0, 3);
  assert.equal(area.lock(1), false, "taken, nobody died");
  assert.equal(area.owner(1), process.pid);
  assert.equal(area.tryLock(1), -1, "held by this thread: busy, not a deadlock");
  assert.throws(() => area.lock(1), { code: "EDEADLK" });
  area.unlock(1);
  assert.equal(area.owner(1), 0);
  assert.throws(() => area.unlock(1), { code: "EPERM" });
  assert.equal(area.tryLock(0), 0);
  area.unlock(0);
  assert.throws(() => area.lock(2), { code: "EINVAL", message: /mutexLock: no initialized mutex at offset \d+/ });
  for (const bad of [3, -1, 1.5, "0", undefined]) {
    assert.throws(() => area.lock(bad as number), { code: "EINVAL", message: /index must be an integer in \[0, 3\)/ }, String(bad));
  }
});

test("native addon: pidAlive tells live from dead pids", () => {
  const addon = loadNativeAddon();
  assert.equal(addon.pidAlive(process.pid), true);
  assert.equal(addon.pidAlive(1), true, "pid 1 exists (EPERM counts as alive)");
  assert.equal(addon.pidAlive(2 ** 22 + 1), false, "above Linux's pid_max limit");
});
