import { test } from "node:test";
import assert from "node:assert/strict";
import { CRON_CATCH_UP_MINUTES, CronTracker } from "../../../src/engines/cron/cron-tracker.js";

const any = { minute: -1, hour: -1, day: -1, month: -1, weekday: -1 };
const t0 = new Date(2024, 0, 10, 12, 0, 30).getTime(); // 12:00:30 local

test("cron tracker: fires once per matching calendar minute, not 60 s after the last fire (uWSGI every-60s rule)", () => {
  const t = new CronTracker(any, t0);
  assert.deepEqual(t.due(t0), [t0], "the minute it was added in counts");
  assert.deepEqual(t.due(t0 + 20_000), [], "once per minute");
  // uWSGI would wait until 12:01:30; the calendar minute 12:01 starts at 12:01:00.
  assert.deepEqual(t.due(t0 + 30_000), [new Date(2024, 0, 10, 12, 1).getTime()]);
  assert.deepEqual(t.due(t0 + 59_000), []);
});

test("cron tracker: minutes skipped between evaluations are caught up, oldest first", () => {
  const t = new CronTracker({ ...any, minute: -5 }, new Date(2024, 0, 10, 12, 1).getTime());
  const fired = t.due(new Date(2024, 0, 10, 12, 31).getTime());
  assert.deepEqual(fired.map((ms) => new Date(ms).getMinutes()), [5, 10, 15, 20, 25, 30]);
});

test("cron tracker: catch-up is bounded to the last day", () => {
  const t = new CronTracker(any, t0);
  const fired = t.due(t0 + 3 * 24 * 3600_000);
  assert.equal(fired.length, CRON_CATCH_UP_MINUTES);
});

test("cron tracker: a clock going backwards never fires a minute twice", () => {
  const t = new CronTracker(any, t0);
  assert.equal(t.due(t0 + 120_000).length, 3);
  assert.deepEqual(t.due(t0 - 60_000), []);
  assert.deepEqual(t.due(t0 + 120_000), []);
  assert.equal(t.due(t0 + 180_000).length, 1);
});

test("cron tracker: nextCheckMs is the start of the next unevaluated minute", () => {
  const t = new CronTracker(any, t0);
  assert.equal(t.nextCheckMs(), new Date(2024, 0, 10, 12, 0).getTime());
  t.due(t0);
  assert.equal(t.nextCheckMs(), new Date(2024, 0, 10, 12, 1).getTime());
});
