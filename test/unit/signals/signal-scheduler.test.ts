import { test } from "node:test";
import assert from "node:assert/strict";
import { MAX_CATCH_UP_FIRES, MAX_CRONS, MAX_RB_TIMERS, MAX_TIMERS, SignalScheduler } from "../../../src/engines/signals/signal-scheduler.js";
import { ManualClock } from "../../../src/core/clock.js";
import { isUwsgiError } from "../../../src/errors.js";

const code = (c: Parameters<typeof isUwsgiError>[1]) => (e: unknown) => isUwsgiError(e, c);
// 2024-01-10 12:00:30 local (a Wednesday).
const start = () => new ManualClock(new Date(2024, 0, 10, 12, 0, 30).getTime());

test("scheduler: a timer fires once per elapsed period, first after one period", () => {
  const clock = start();
  const s = new SignalScheduler(clock);
  s.addTimer(17, 10);
  assert.deepEqual(s.due(), []);
  clock.advance(9_999);
  assert.deepEqual(s.due(), []);
  clock.advance(1);
  assert.deepEqual(s.due(), [17]);
  assert.deepEqual(s.due(), [], "nothing twice");
  clock.advance(25_000);
  assert.deepEqual(s.due(), [17, 17]);
  clock.advance(5_000);
  assert.deepEqual(s.due(), [17], "stays on its period grid");
});

test("scheduler: a 0-second timer never fires (as in uWSGI) but takes a slot", () => {
  const clock = start();
  const s = new SignalScheduler(clock);
  s.addTimer(1, 0);
  clock.advance(3_600_000);
  assert.deepEqual(s.due(), []);
  assert.equal(s.nextDueMs(), null);
  assert.equal(s.counts().timers, 1);
});

test("scheduler: bad timer periods are refused", () => {
  const s = new SignalScheduler(start());
  for (const bad of [-1, 1.5, Number.NaN, 2 ** 40]) assert.throws(() => s.addTimer(1, bad), code("UWSGI_ERR_TIMER_ADD"), String(bad));
  assert.throws(() => s.addMsTimer(1, -5), code("UWSGI_ERR_TIMER_ADD"));
  assert.throws(() => s.addRbTimer(1, 0), code("UWSGI_ERR_TIMER_ADD"));
  assert.throws(() => s.addRbTimer(1, 5, -1), code("UWSGI_ERR_TIMER_ADD"));
  assert.throws(() => s.addRbTimer(1, 5, 0.5), code("UWSGI_ERR_TIMER_ADD"));
  assert.throws(() => s.addTimer(256, 1), code("UWSGI_ERR_SIGNAL_INVALID"));
  assert.throws(() => s.addCron(-1), code("UWSGI_ERR_SIGNAL_INVALID"));
  assert.deepEqual(s.counts(), { timers: 0, rbTimers: 0, crons: 0 });
});

test("scheduler: an ms timer", () => {
  const clock = start();
  const s = new SignalScheduler(clock);
  s.addMsTimer(3, 250);
  clock.advance(1_000);
  assert.deepEqual(s.due(), [3, 3, 3, 3]);
  clock.advance(100);
  assert.deepEqual(s.due(), []);
  assert.equal(s.nextDueMs(), clock.nowMs() + 150);
});

test("scheduler: an rb timer stops after its repeat count (probe: 3 -> exactly 3)", () => {
  const clock = start();
  const s = new SignalScheduler(clock);
  s.addRbTimer(8, 2, 3);
  const fired: number[] = [];
  for (let i = 0; i < 20; i++) {
    clock.advance(1_000);
    fired.push(...s.due());
  }
  assert.deepEqual(fired, [8, 8, 8]);
  assert.equal(s.nextDueMs(), null);
  assert.equal(s.counts().rbTimers, 1, "a finished rb timer keeps its slot, as in uWSGI");
});

test("scheduler: a catch-up after a large clock jump is capped, then the timer continues on its grid", () => {
  const clock = start();
  const s = new SignalScheduler(clock);
  s.addRbTimer(4, 1, 0);
  s.addRbTimer(5, 1, 3);
  clock.advance(1_000_000);
  const fired = s.due();
  assert.equal(fired.filter((n) => n === 4).length, MAX_CATCH_UP_FIRES);
  assert.equal(fired.filter((n) => n === 5).length, 3);
  clock.advance(1_000);
  assert.deepEqual(s.due(), [4]);
});

test("scheduler: events come out in time order", () => {
  const clock = start();
  const s = new SignalScheduler(clock);
  s.addTimer(1, 3);
  s.addMsTimer(2, 2_000);
  clock.advance(6_000);
  // signal 2 at 2 s, 4 s, 6 s; signal 1 at 3 s, 6 s (timers before ms timers added later on ties).
  assert.deepEqual(s.due(), [2, 1, 2, 1, 2]);
});

test("scheduler: an every-minute cron fires in each calendar minute, the first one at once", () => {
  const clock = start(); // 12:00:30
  const s = new SignalScheduler(clock);
  assert.equal(s.addCron(30, -1, -1, -1, -1, -1), true);
  assert.deepEqual(s.due(), [30], "the all -1 cron fires in the minute it is added, like uWSGI");
  clock.advance(29_000); // 12:00:59
  assert.deepEqual(s.due(), []);
  clock.advance(1_000); // 12:01:00 (uWSGI would wait until 12:01:30)
  assert.deepEqual(s.due(), [30]);
  clock.advance(59_000);
  assert.deepEqual(s.due(), []);
  clock.advance(3 * 60_000); // 12:04:59: minutes 2, 3 and 4
  assert.deepEqual(s.due(), [30, 30, 30]);
});

test("scheduler: cron -N, day-or-weekday and weekday 7", () => {
  const clock = start(); // Wednesday 2024-01-10 12:00:30
  const s = new SignalScheduler(clock);
  s.addCron(1, -15); // every 15 minutes
  s.addCron(2, 0, 9, 14, -1, 5); // 09:00 on the 14th or on Fridays
  s.addCron(3, 30, 8, -1, -1, 7); // 08:30 on Sundays
  const byDay = new Map<string, number[]>();
  for (let i = 0; i < 6 * 24 * 60; i++) {
    clock.advance(60_000);
    for (const n of s.due()) {
      const d = new Date(clock.nowMs());
      const key = `${n}@${d.getDate()} ${d.getHours()}:${String(d.getMinutes()).padStart(2, "0")}`;
      byDay.set(key, [...(byDay.get(key) ?? []), n]);
    }
  }
  const keys = [...byDay.keys()];
  assert.equal(keys.filter((k) => k.startsWith("1@")).length, 6 * 24 * 4 + 1, "four times an hour, 12:00 of the first and last day included");
  assert.deepEqual(keys.filter((k) => k.startsWith("2@")), ["2@12 9:00", "2@14 9:00"], "Friday the 12th and Sunday the 14th");
  assert.deepEqual(keys.filter((k) => k.startsWith("3@")), ["3@14 8:30"]);
});

test("scheduler: nextDueMs is the earliest timer or the next cron minute", () => {
  const clock = start();
  const s = new SignalScheduler(clock);
  assert.equal(s.nextDueMs(), null);
  s.addTimer(1, 300);
  assert.equal(s.nextDueMs(), clock.nowMs() + 300_000);
  s.addCron(2, 0, 0, 1, 1, -1);
  s.due();
  assert.equal(s.nextDueMs(), new Date(2024, 0, 10, 12, 1).getTime());
});

test("scheduler: at most 64 timers, 64 rb timers and 64 crons", () => {
  const s = new SignalScheduler(start());
  for (let i = 0; i < MAX_TIMERS; i++) (i % 2 ? s.addTimer(1, 1) : s.addMsTimer(1, 1));
  assert.throws(() => s.addTimer(1, 1), code("UWSGI_ERR_TIMER_ADD"));
  assert.throws(() => s.addMsTimer(1, 1), code("UWSGI_ERR_TIMER_ADD"));
  for (let i = 0; i < MAX_RB_TIMERS; i++) s.addRbTimer(1, 1);
  assert.throws(() => s.addRbTimer(1, 1), code("UWSGI_ERR_TIMER_ADD"));
  for (let i = 0; i < MAX_CRONS; i++) s.addCron(1);
  assert.throws(() => s.addCron(1), code("UWSGI_ERR_CRON_ADD"));
  assert.deepEqual(s.counts(), { timers: 64, rbTimers: 64, crons: 64 });
});

test("scheduler: bad cron fields are refused naming the field", () => {
  const s = new SignalScheduler(start());
  assert.throws(() => s.addCron(1, 0, 25), (e: unknown) => isUwsgiError(e, "UWSGI_ERR_CRON_ADD") && e.message.includes("hour"));
});
