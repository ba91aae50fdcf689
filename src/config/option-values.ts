/**
 * Typed reads of parsed options for the code that builds the instance configuration. Names may be
 * canonical names or aliases; a name that is not in the option table is a programming error and
 * throws `UWSGI_ERR_OPTION_UNKNOWN`. Bad values throw `UWSGI_ERR_OPTION_VALUE` naming the option
 * and where it was given. Single-valued reads use the last occurrence (uWSGI: last one wins).
 * @module
 */

import { UwsgiError } from "../errors.js";
import { findOption } from "./option-lookup.js";
import type { OptionEntry, OptionSet, OptionValue } from "./option-set.js";
import { FALSE_WORDS, parseNonNegativeInt, TRUE_WORDS } from "./option-validators.js";

function canonical(name: string): string {
  const def = findOption(name);
  if (!def) throw new UwsgiError("UWSGI_ERR_OPTION_UNKNOWN", `${name} (not in the option table)`);
  return def.name;
}

function last(set: OptionSet, name: string): OptionEntry | undefined {
  const n = canonical(name);
  for (let i = set.entries.length - 1; i >= 0; i--) if (set.entries[i]!.name === n) return set.entries[i];
  return undefined;
}

function where(e: OptionEntry): string {
  return e.origin ? ` (${e.origin})` : "";
}

/**
 * One value of option `name` as an integer >= `min` (a bare flag counts as 1, uWSGI's rule for a
 * missing value). The one integer reader of the configuration: every integer option goes through it.
 * @throws UwsgiError UWSGI_ERR_OPTION_VALUE naming the option.
 * @example intValueOf("processes", "4", 1) // 4
 */
export function intValueOf(name: string, value: OptionValue, min = 0, origin?: string): number {
  const n = value === true ? 1 : parseNonNegativeInt(value, name, origin);
  if (n < min) {
    throw new UwsgiError("UWSGI_ERR_OPTION_VALUE", name, `expected a whole number >= ${min}, got ${n}${origin ? ` (${origin})` : ""}`);
  }
  return n;
}

/**
 * The option as an integer >= `min` (default 0), or `fallback` when absent. A bare flag counts
 * as 1 (uWSGI's rule for a missing value).
 * @example optionInt(options, "processes", 1, 1)
 */
export function optionInt(set: OptionSet, name: string, fallback: number, min = 0): number {
  const e = last(set, name);
  if (!e) return fallback;
  return intValueOf(e.name, e.value, min, e.origin);
}

/**
 * The option as a flag: present and not `false/off/no/0` (any case) means true; absent gives
 * `fallback`.
 * @example optionBool(options, "master") // true for `--master`, `master = true`, `"master": true`
 */
export function optionBool(set: OptionSet, name: string, fallback = false): boolean {
  const e = last(set, name);
  if (!e) return fallback;
  if (e.value === true) return true;
  const v = e.value.trim().toLowerCase();
  if (FALSE_WORDS.includes(v)) return false;
  if (TRUE_WORDS.includes(v)) return true;
  throw new UwsgiError("UWSGI_ERR_OPTION_VALUE", e.name, `expected a flag, got ${JSON.stringify(e.value)}${where(e)}`);
}

/** The option's last value as text (a bare flag gives `"1"`), or `fallback`. */
export function optionString(set: OptionSet, name: string): string | undefined;
export function optionString(set: OptionSet, name: string, fallback: string): string;
export function optionString(set: OptionSet, name: string, fallback?: string): string | undefined {
  const e = last(set, name);
  if (!e) return fallback;
  return e.value === true ? "1" : e.value;
}

/** Every value of a repeatable option, in order (bare flags give `"1"`). */
export function optionStrings(set: OptionSet, name: string): string[] {
  const n = canonical(name);
  return set.entries.filter((e) => e.name === n).map((e) => (e.value === true ? "1" : e.value));
}

/**
 * `--chmod-socket` as a file mode: `null` when absent, 0o666 for a bare flag or `1`, otherwise
 * the three octal digits given.
 */
export function optionSocketMode(set: OptionSet): number | null {
  const e = last(set, "chmod-socket");
  if (!e) return null;
  if (e.value === true || e.value === "1") return 0o666;
  const v = e.value.trim();
  if (!/^[0-7]{3}$/.test(v)) throw new UwsgiError("UWSGI_ERR_OPTION_VALUE", "chmod-socket", `expected three octal digits, got ${JSON.stringify(e.value)}${where(e)}`);
  return parseInt(v, 8);
}

/** Names of the options present that turn the master on (uWSGI's `UWSGI_OPT_MASTER`), each once, in order. */
export function optionsImplyingMaster(set: OptionSet): string[] {
  return [...new Set(set.entries.filter((e) => findOption(e.name)?.impliesMaster).map((e) => e.name))];
}

/** Whether the instance runs a master: `--master` (as a true flag) or any option implying it. */
export function masterEnabled(set: OptionSet): boolean {
  return optionBool(set, "master") || optionsImplyingMaster(set).length > 0;
}

/** Whether metrics are on: `--enable-metrics` (as a true flag) or any option implying it (`--metric`, `--metrics-dir`...). */
export function metricsEnabled(set: OptionSet): boolean {
  return optionBool(set, "enable-metrics") || set.entries.some((e) => findOption(e.name)?.impliesMetrics);
}
