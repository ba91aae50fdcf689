import { after, test } from "node:test";
import assert from "node:assert/strict";
import { spawn, spawnSync } from "node:child_process";
import { existsSync, mkdtempSync, readdirSync, rmSync, utimesSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { cleanupStaleRegions, pidAlive } from "../../../src/native/shared-region.js";

const dir = mkdtempSync(join(tmpdir(), "uwsgi-node-stale-"));
after(() => rmSync(dir, { recursive: true, force: true }));

/** A pid that belonged to a process which has already exited. */
function deadPid(): number {
  const done = spawnSync(process.execPath, ["-e", "process.stdout.write(String(process.pid))"], { encoding: "utf8" });
  const pid = Number(done.stdout);
  assert.ok(pid > 0 && !pidAlive(pid));
  return pid;
}

test("stale regions: removes only uwsgi-node.<dead pid>.* entries and reports them", () => {
  const dead = deadPid();
  const names = {
    deadPlain: `uwsgi-node.${dead}.cache.default`,
    deadTagged: `uwsgi-node.${dead}-t1.locks`,
    alive: `uwsgi-node.${process.pid}.cache.default`,
    notOurs: [`other.${dead}.x`, `uwsgi-node-x.${dead}.y`, `uwsgi-node.${dead}`, `uwsgi-node.abc.x`, `xuwsgi-node.${dead}.z`, `uwsgi-node.${dead}.a b`],
  };
  for (const name of [names.deadPlain, names.deadTagged, names.alive, ...names.notOurs]) writeFileSync(join(dir, name), "x");
  const removed = cleanupStaleRegions(dir).sort();
  assert.deepEqual(removed, [`/${names.deadPlain}`, `/${names.deadTagged}`].sort());
  assert.deepEqual(readdirSync(dir).sort(), [names.alive, ...names.notOurs].sort());
  assert.deepEqual(cleanupStaleRegions(dir), [], "nothing left to remove");
  for (const name of readdirSync(dir)) rmSync(join(dir, name));
});

test("stale regions: a region older than the live process now holding its pid is stale (pid reuse)", async () => {
  const sleeper = spawn(process.execPath, ["-e", "setInterval(() => {}, 60000)"], { stdio: "ignore" });
  try {
    const pid = sleeper.pid!;
    const old = join(dir, `uwsgi-node.${pid}.cache`);
    writeFileSync(old, "x");
    const anHourAgo = new Date(Date.now() - 3600_000);
    utimesSync(old, anHourAgo, anHourAgo); // created long before this process started
    const fresh = join(dir, `uwsgi-node.${process.pid}.cache`);
    writeFileSync(fresh, "x"); // created after its (live) owner started
    assert.deepEqual(cleanupStaleRegions(dir), [`/uwsgi-node.${pid}.cache`]);
    assert.equal(existsSync(old), false);
    assert.equal(existsSync(fresh), true);
    rmSync(fresh);
  } finally {
    process.kill(sleeper.pid!, "SIGKILL");
    await new Promise((resolve) => sleeper.once("exit", resolve));
  }
});

test("stale regions: a missing directory yields nothing", () => {
  assert.deepEqual(cleanupStaleRegions(join(dir, "absent")), []);
});
