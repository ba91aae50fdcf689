import { test } from "node:test";
import assert from "node:assert/strict";
import { cronMatches, validateCronFields, type CronFields } from "../../../src/engines/cron/cron-matcher.js";
import { isUwsgiError } from "../../../src/errors.js";

const f = (minute: number, hour: number, day: number, month: number, weekday: number): CronFields => ({ minute, hour, day, month, weekday });
// Local-time dates far from DST changes. 2024-01-07 is a Sunday, 2024-01-10 a Wednesday.
const at = (month: number, day: number, hour: number, minute: number) => new Date(2024, month - 1, day, hour, minute, 30);

test("cron: all -1 matches every minute", () => {
  assert.equal(cronMatches(f(-1, -1, -1, -1, -1), at(1, 10, 13, 37)), true);
});

test("cron: exact fields must all match", () => {
  const fields = f(0, 3, 10, 1, -1);
  assert.equal(cronMatches(fields, at(1, 10, 3, 0)), true);
  assert.equal(cronMatches(fields, at(1, 10, 3, 1)), false);
  assert.equal(cronMatches(fields, at(1, 10, 4, 0)), false);
  assert.equal(cronMatches(fields, at(1, 11, 3, 0)), false);
  assert.equal(cronMatches(fields, at(2, 10, 3, 0)), false);
});

test("cron: -N matches when the value is a multiple of N", () => {
  const every15 = f(-15, -1, -1, -1, -1);
  assert.deepEqual([0, 15, 30, 45].map((m) => cronMatches(every15, at(1, 10, 9, m))), [true, true, true, true]);
  assert.equal(cronMatches(every15, at(1, 10, 9, 20)), false);
  assert.equal(cronMatches(f(0, -6, -1, -1, -1), at(1, 10, 18, 0)), true);
  assert.equal(cronMatches(f(0, -6, -1, -1, -1), at(1, 10, 19, 0)), false);
  // day and month use their 1-based numbers: -2 = even days, even months.
  assert.equal(cronMatches(f(-1, -1, -2, -1, -1), at(1, 10, 0, 0)), true);
  assert.equal(cronMatches(f(-1, -1, -2, -1, -1), at(1, 11, 0, 0)), false);
  assert.equal(cronMatches(f(-1, -1, -1, -2, -1), at(2, 10, 0, 0)), true);
  assert.equal(cronMatches(f(-1, -1, -1, -2, -1), at(1, 10, 0, 0)), false);
});

test("cron: day and weekday are OR-ed when both are set", () => {
  const fields = f(0, 12, 15, -1, 0); // the 15th, or any Sunday
  assert.equal(cronMatches(fields, at(1, 15, 12, 0)), true, "the 15th (a Monday)");
  assert.equal(cronMatches(fields, at(1, 7, 12, 0)), true, "a Sunday");
  assert.equal(cronMatches(fields, at(1, 10, 12, 0)), false, "neither");
});

test("cron: day and weekday are AND-ed when one is -N or -1", () => {
  assert.equal(cronMatches(f(0, 12, -1, -1, 3), at(1, 10, 12, 0)), true, "any day that is a Wednesday");
  assert.equal(cronMatches(f(0, 12, -1, -1, 3), at(1, 11, 12, 0)), false);
  assert.equal(cronMatches(f(0, 12, -2, -1, 3), at(1, 10, 12, 0)), true, "even day and Wednesday");
  assert.equal(cronMatches(f(0, 12, 11, -1, -1), at(1, 10, 12, 0)), false);
});

test("cron: weekday 7 is Sunday too", () => {
  assert.equal(cronMatches(f(-1, -1, -1, -1, 7), at(1, 7, 8, 0)), true);
  assert.equal(cronMatches(f(-1, -1, -1, -1, 7), at(1, 8, 8, 0)), false);
  assert.equal(cronMatches(f(-1, -1, 20, -1, 7), at(1, 7, 8, 0)), true, "OR-ed with the day as 0 would be");
});

test("cron: field validation names the field", () => {
  validateCronFields(f(59, 23, 31, 12, 7));
  validateCronFields(f(-59, -23, -31, -12, -7));
  const cases: Array<[CronFields, string]> = [
    [f(60, -1, -1, -1, -1), "minute"],
    [f(-1, 24, -1, -1, -1), "hour"],
    [f(-1, -1, 0, -1, -1), "day"],
    [f(-1, -1, 32, -1, -1), "day"],
    [f(-1, -1, -1, 13, -1), "month"],
    [f(-1, -1, -1, 0, -1), "month"],
    [f(-1, -1, -1, -1, 8), "weekday"],
    [f(1.5, -1, -1, -1, -1), "minute"],
    [f(-60, -1, -1, -1, -1), "minute"],
    [{ ...f(-1, -1, -1, -1, -1), hour: "3" as unknown as number }, "hour"],
  ];
  for (const [fields, name] of cases) {
    assert.throws(() => validateCronFields(fields), (e: unknown) => isUwsgiError(e, "UWSGI_ERR_CRON_ADD") && e.message.includes(name), name);
  }
});
