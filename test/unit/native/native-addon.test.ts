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
  for (const fn of ["shmCreate", "shmAttach", "shmUnlink", "mapFile", "msync", "mutexSize", "mutexInit", "mutexLock", "mutexTryLock", "mutexUnlock", "mutexOwner", "pidAlive"]) {
    assert.equal(typeof (addon as unknown as Record<string, unknown>)[fn], "function", fn);
  }
});

test("native addon: raw errors carry the errno name and the call", () => {
  const addon = loadNativeAddon();
  assert.throws(() => addon.shmAttach(`/uwsgi-node-test-missing.${process.pid}`), { code: "ENOENT", message: /^shmAttach: .*No such file/ });
  assert.throws(() => addon.mutexLock(new ArrayBuffer(8), 0), { code: "EINVAL", message: /mutexLock: a mutex at offset 0 needs \d+ bytes/ });
  assert.throws(() => addon.mutexLock("nope" as unknown as ArrayBuffer, 0), { code: "EINVAL", message: /buffer must be an ArrayBuffer/ });
  assert.throws(() => addon.pidAlive(0), { code: "EINVAL", message: /pid must be an integer/ });
});

test("native addon: pidAlive tells live from dead pids", () => {
  const addon = loadNativeAddon();
  assert.equal(addon.pidAlive(process.pid), true);
  assert.equal(addon.pidAlive(1), true, "pid 1 exists (EPERM counts as alive)");
  assert.equal(addon.pidAlive(2 ** 22 + 1), false, "above Linux's pid_max limit");
});
