import { after, test } from "node:test";
import assert from "node:assert/strict";
import { existsSync, mkdtempSync, readdirSync, rmSync, utimesSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { InstanceOwner } from "../../../src/native/instance-owner.js";
import { CLAIM_PREFIX, cleanupStaleRegions, regionName } from "../../../src/native/shared-region.js";

// a tmpfs directory like /dev/shm (flock works on it), private to this test
const dir = mkdtempSync(join("/dev/shm", "uwsgi-node-stale-test-"));
after(() => rmSync(dir, { recursive: true, force: true }));

test("stale regions: an instance whose owner record nobody locks is removed, owner record last; never judged by pid", () => {
  const live = InstanceOwner.claim(dir);
  const names = {
    // a dead instance: its owner record exists but no process holds its lock
    dead: ["uwsgi-node.0123456789abcdef.cache.0.data", "uwsgi-node.0123456789abcdef.locks"],
    deadOwner: "uwsgi-node.0123456789abcdef.owner",
    live: [`uwsgi-node.${live.id}.cache.0.data`, `uwsgi-node.${live.id}.metrics`],
    // no owner record: not made by an instance (a test's own regions, an older version's): left alone,
    // even when the "pid" in the name is dead or 1
    ownerless: ["uwsgi-node.1.cache.0.data", "uwsgi-node.99999999.locks", `uwsgi-node.${process.pid}-it.x`],
    notOurs: ["other.0123456789abcdef.x", "uwsgi-node-x.0123456789abcdef.y", "uwsgi-node.0123456789abcdef", "xuwsgi-node.1.z", "uwsgi-node.1.a b"],
  };
  for (const name of [...names.dead, names.deadOwner, ...names.live, ...names.ownerless, ...names.notOurs]) writeFileSync(join(dir, name), "x");
  const removed = cleanupStaleRegions(dir);
  assert.deepEqual(removed, [...names.dead.map((n) => `/${n}`), `/${names.deadOwner}`]);
  assert.deepEqual(readdirSync(dir).sort(), [`uwsgi-node.${live.id}.owner`, ...names.live, ...names.ownerless, ...names.notOurs].sort());
  assert.deepEqual(cleanupStaleRegions(dir), [], "a live owner's lock keeps its regions");
  live.release();
  assert.equal(existsSync(join(dir, `uwsgi-node.${live.id}.owner`)), false);
  assert.deepEqual(cleanupStaleRegions(dir), [], "regions without an owner record are never removed");
  for (const name of readdirSync(dir)) rmSync(join(dir, name));
});

test("stale regions: instance ids are random (never the pid), region names reject 'owner'", () => {
  const a = InstanceOwner.claim(dir);
  const b = InstanceOwner.claim(dir);
  try {
    assert.match(a.id, /^[0-9a-f]{16}$/);
    assert.notEqual(a.id, b.id);
    assert.notEqual(a.id, String(process.pid));
    assert.throws(() => regionName(a.id, "owner"), { code: "UWSGI_ERR_INVALID_ARGUMENT" });
    assert.throws(() => regionName("a/b", "x"), { code: "UWSGI_ERR_INVALID_ARGUMENT" });
    assert.equal(regionName(a.id, "locks"), `/uwsgi-node.${a.id}.locks`);
  } finally {
    a.release();
    b.release();
  }
  assert.deepEqual(readdirSync(dir), [], "claims leave nothing behind once released");
});

test("stale regions: a claim abandoned mid-way (old, unlocked) is removed; a fresh one is left to its claimer", () => {
  const old = join(dir, `${CLAIM_PREFIX}aaaa`);
  const fresh = join(dir, `${CLAIM_PREFIX}bbbb`);
  writeFileSync(old, "");
  writeFileSync(fresh, "");
  const aMinuteAgo = new Date(Date.now() - 60_000);
  utimesSync(old, aMinuteAgo, aMinuteAgo);
  assert.deepEqual(cleanupStaleRegions(dir), []);
  assert.equal(existsSync(old), false);
  assert.equal(existsSync(fresh), true);
  rmSync(fresh);
});

test("stale regions: a missing directory yields nothing", () => {
  assert.deepEqual(cleanupStaleRegions(join(dir, "absent")), []);
});
