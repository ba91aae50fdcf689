/** BusyInterval: ticks only between arm() and a tick that finds no work left. */
import { test } from "node:test";
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { BusyInterval } from "../../../src/core/busy-interval.js";

/**
 * Node 20's mock timers keep firing an interval cleared from inside its own callback (real timers
 * do not; Node 22 and 24's mocks do not): the "no tick after it disarmed itself" checks run there.
 */
const MOCK_HONOURS_CLEAR_IN_CALLBACK = Number(process.versions.node.split(".")[0]) >= 22;

test("BusyInterval: no timer until armed; ticks every period while busy; the tick that leaves no work disarms it; armed again on the next item", (t) => {
  t.mock.timers.enable({ apis: ["setInterval"] });
  let work = 0;
  let ticks = 0;
  const interval = new BusyInterval(100, () => {
    ticks++;
    if (work > 0) work--;
  }, () => work > 0);
  t.mock.timers.tick(1000);
  assert.equal(ticks, 0, "never armed: never ticks");
  assert.equal(interval.armed, false);

  work = 3;
  interval.arm();
  interval.arm(); // a second arm while running starts no second timer
  assert.equal(interval.armed, true);
  t.mock.timers.tick(99);
  assert.equal(ticks, 0);
  t.mock.timers.tick(1);
  assert.equal(ticks, 1);
  t.mock.timers.tick(200);
  assert.equal(ticks, 3, "one tick per period (a doubled timer would tick twice)");
  assert.equal(interval.armed, false, "the tick that used up the work disarmed it");
  if (MOCK_HONOURS_CLEAR_IN_CALLBACK) {
    t.mock.timers.tick(1000);
    assert.equal(ticks, 3);
  }

  work = 1;
  interval.arm();
  assert.equal(interval.armed, true, "armed again on the next item");
  if (MOCK_HONOURS_CLEAR_IN_CALLBACK) {
    t.mock.timers.tick(100);
    assert.equal(ticks, 4);
    assert.equal(interval.armed, false);
  }
});

test("BusyInterval: disarm() stops it at once and is harmless when not armed", (t) => {
  t.mock.timers.enable({ apis: ["setInterval"] });
  let ticks = 0;
  const interval = new BusyInterval(50, () => void ticks++, () => true);
  interval.disarm();
  interval.arm();
  t.mock.timers.tick(100);
  assert.equal(ticks, 2);
  interval.disarm();
  assert.equal(interval.armed, false);
  t.mock.timers.tick(500);
  assert.equal(ticks, 2);
});

test("BusyInterval: an armed interval does not keep the process alive (unref'd)", () => {
  const module = new URL("../../../src/core/busy-interval.js", import.meta.url).href;
  const child = spawnSync(process.execPath, ["--input-type=module", "-e", `const { BusyInterval } = await import(${JSON.stringify(module)}); new BusyInterval(60000, () => {}, () => true).arm();`], { timeout: 30_000 });
  assert.equal(child.error, undefined, "the process exited by itself");
  assert.equal(child.status, 0, String(child.stderr));
});
