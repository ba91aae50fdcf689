/**
 * uWSGI's cron rules (`uwsgi_cron_task_needs_execution`): five integer fields matched against
 * local time, where -1 means "any" and -N means "every N" (the field's value modulo N is 0).
 * @module
 */
import { UwsgiError } from "../../errors.js";

/** The five time fields of a cron entry. */
export interface CronFields {
  /** 0..59, -1 any, -N every N minutes. */
  readonly minute: number;
  /** 0..23, -1 any, -N every N hours. */
  readonly hour: number;
  /** Day of the month 1..31, -1 any, -N days whose number is a multiple of N. */
  readonly day: number;
  /** 1..12, -1 any, -N months whose number is a multiple of N. */
  readonly month: number;
  /** 0..6 with Sunday 0 (7 is Sunday too), -1 any, -N every N. */
  readonly weekday: number;
}

/** Valid range of each field's non-negative values; -1..-max are "every N". */
const RANGES: Record<keyof CronFields, readonly [number, number]> = {
  minute: [0, 59],
  hour: [0, 23],
  day: [1, 31],
  month: [1, 12],
  weekday: [0, 7],
};

/** The first problem with `fields` as `[field, message]`, or null when they are valid. */
export function cronFieldsProblem(fields: CronFields): [keyof CronFields, string] | null {
  for (const key of Object.keys(RANGES) as (keyof CronFields)[]) {
    const v = (fields as unknown as Record<string, unknown>)[key];
    const [min, max] = RANGES[key];
    if (typeof v !== "number" || !Number.isInteger(v) || v > max || (v >= 0 && v < min) || v < -max) {
      return [key, `${key} ${String(v)} is out of range (${min}..${max}, -1 = any, -N = every N with N <= ${max})`];
    }
  }
  return null;
}

/**
 * Checks the fields of an `add_cron` call.
 * @throws UwsgiError `UWSGI_ERR_CRON_ADD` naming the bad field.
 * @example
 * validateCronFields({ minute: 0, hour: 3, day: -1, month: -1, weekday: -1 });
 */
export function validateCronFields(fields: CronFields): void {
  const problem = cronFieldsProblem(fields);
  if (problem) throw new UwsgiError("UWSGI_ERR_CRON_ADD", problem[1]);
}

/**
 * Whether `date` (read in local time) matches the fields. Day and weekday are OR-ed when both
 * are >= 0 (as crontab does); otherwise every field must match.
 * @example
 * cronMatches({ minute: -15, hour: -1, day: -1, month: -1, weekday: -1 }, new Date(2024, 0, 1, 9, 30)); // true
 */
export function cronMatches(fields: CronFields, date: Date): boolean {
  const field = (spec: number, value: number): boolean => (spec < 0 ? value % -spec === 0 : spec === value);
  const weekday = fields.weekday === 7 ? 0 : fields.weekday;
  const timeOk = field(fields.minute, date.getMinutes()) && field(fields.hour, date.getHours()) && field(fields.month, date.getMonth() + 1);
  if (!timeOk) return false;
  const dayOk = field(fields.day, date.getDate());
  const weekdayOk = field(weekday, date.getDay());
  return fields.day >= 0 && fields.weekday >= 0 ? dayOk || weekdayOk : dayOk && weekdayOk;
}
