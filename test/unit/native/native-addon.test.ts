import { test } from "node:test";
import assert from "node:assert/strict";
import { existsSync } from "node:fs";
import { loadNativeAddon, nativeAddonPath, nativeAvailable } from "../../../src/native/native-addon.js";

test("native addon: node-gyp-build finds a local build or this machine's prebuild under native/ and it loads", () => {
  const path = nativeAddonPath();
  assert.equal(typeof path, "string", `no addon: ${JSON.stringify(path)}`);
  const file = path as string;
  assert.match(file, /\/native\/(build\/Release\/uwsgi_native\.node|prebuilds\/linux-x64\/uwsgi_native\.glibc\.node)$/, file);
  assert.ok(existsSync(file), file);
  assert.equal(nativeAvailable(), true);
  const addon = loadNativeAddon();
  assert.equal(loadNativeAddon(), addon, "loaded once and cached");
  for (const fn of ["shmCreate", "shmAttach", "shmUnlink", "mapFile", "msync", "mutexSize", "mutexInit", "mutexBind", "selfId", "pidAlive", "flockTry"]) {
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

test("native addon: a bound area's slow paths check each index and that the slot was initialized", () => {
  const addon = loadNativeAddon();
  const me = addon.selfId();
  assert.equal(me, process.pid, "the main thread's id is the pid");
  const size = addon.mutexSize();
  const buffer = new ArrayBuffer(size * 3);
  addon.mutexInit(buffer, 0);
  addon.mutexInit(buffer, size);
  const words = new Int32Array(buffer);
  const area = addon.mutexBind(buffer, 0, 3);
  assert.equal(area.lockSlow(1, me), false, "taken, nobody died");
  assert.equal(words[size / 4]! & 0x1fffffff, me, "the lock word records the owner");
  assert.equal(area.tryLockSlow(1, me), -1, "held by this thread: busy, not a deadlock");
  assert.throws(() => area.lockSlow(1, me), { code: "EDEADLK" });
  area.unlockSlow(1, me);
  assert.equal(words[size / 4], 0, "free again");
  assert.throws(() => area.unlockSlow(1, me), { code: "EPERM" });
  assert.equal(area.tryLockSlow(0, me), 0);
  area.unlockSlow(0, me);
  assert.throws(() => area.lockSlow(2, me), { code: "EINVAL", message: /mutexLock: no initialized mutex at offset \d+/ });
  for (const bad of [3, -1, 1.5, "0", undefined]) {
    assert.throws(() => area.lockSlow(bad as number, me), { code: "EINVAL", message: /index must be an integer in \[0, 3\)/ }, String(bad));
  }
  assert.throws(() => area.lockSlow(0, 0), { code: "EINVAL", message: /id must be an integer/ });
});

test("native addon: a lock held by a dead id is taken over (slow paths) and releaseDead marks a dead pid's locks", () => {
  const addon = loadNativeAddon();
  const me = addon.selfId();
  const size = addon.mutexSize();
  const buffer = new ArrayBuffer(size * 2);
  addon.mutexInit(buffer, 0);
  addon.mutexInit(buffer, size);
  const words = new Int32Array(buffer);
  const area = addon.mutexBind(buffer, 0, 2);
  const dead = 2 ** 22 + 5; // above Linux's pid_max limit: no such process
  words[0] = dead;
  assert.equal(area.lockSlow(0, me), true, "recovered from a dead holder");
  area.unlockSlow(0, me);
  words[0] = dead;
  assert.equal(area.tryLockSlow(0, me), 1, "tryLock takes it over too");
  area.unlockSlow(0, me);
  words[size / 4] = dead;
  assert.equal(area.releaseDead(dead), 1);
  assert.notEqual(words[size / 4]! & 0x20000000, 0, "marked owner-died");
  assert.equal(area.releaseDead(dead), 0, "marked once");
  assert.equal(area.releaseDead(me), 0, "a live pid's locks are left alone");
  assert.equal(area.lockSlow(1, me), true);
  area.unlockSlow(1, me);
});

test("native addon: flockTry takes an exclusive lock once per open file description, free again after close", async () => {
  const addon = loadNativeAddon();
  const { closeSync, openSync, rmSync } = await import("node:fs");
  const path = `/dev/shm/uwsgi-node-flock-test-${process.pid}`;
  const a = openSync(path, "w");
  const b = openSync(path, "r");
  try {
    assert.equal(addon.flockTry(a), true);
    assert.equal(addon.flockTry(a), true, "the holder may take it again");
    assert.equal(addon.flockTry(b), false, "another open file description may not");
    closeSync(a);
    assert.equal(addon.flockTry(b), true, "closing the holder's descriptor frees it");
    assert.throws(() => addon.flockTry(-1), { code: "EINVAL" });
    assert.throws(() => addon.flockTry(1 << 20), { code: "EBADF" });
  } finally {
    closeSync(b);
    rmSync(path);
  }
});

test("native addon: pidAlive tells live from dead pids", () => {
  const addon = loadNativeAddon();
  assert.equal(addon.pidAlive(process.pid), true);
  assert.equal(addon.pidAlive(1), true, "pid 1 exists (EPERM counts as alive)");
  assert.equal(addon.pidAlive(2 ** 22 + 1), false, "above Linux's pid_max limit");
});
