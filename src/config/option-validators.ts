/**
 * Value checks used by the option table. Each check throws `UWSGI_ERR_OPTION_VALUE` naming the
 * option; the parser adds where the value came from (file and line, or command line).
 * Checks run after placeholder and environment expansion, on the final value.
 * @module
 */

import { UwsgiError } from "../errors.js";
import type { OptionValue } from "./option-set.js";

/** A value check: throws `UWSGI_ERR_OPTION_VALUE` naming `name` when `value` is not acceptable. */
export type OptionValidator = (value: OptionValue, name: string) => void;

/** Spellings uWSGI accepts as "off" for a flag (`uwsgi_opt_true`); compared case-insensitively. */
export const FALSE_WORDS: readonly string[] = ["false", "off", "no", "0"];
/** Spellings accepted as "on" for a flag; an empty value (bare ini key) is also "on". */
export const TRUE_WORDS: readonly string[] = ["true", "on", "yes", "1", ""];

function fail(name: string, reason: string): never {
  throw new UwsgiError("UWSGI_ERR_OPTION_VALUE", name, reason);
}

/**
 * Parses a non-negative decimal integer (uWSGI takes `atoi`, which silently reads `"4x"` as 4;
 * we reject anything but digits). Surrounding blanks are allowed.
 */
export function parseNonNegativeInt(text: string, name: string, origin?: string): number {
  const t = text.trim();
  if (!/^\+?[0-9]+$/.test(t)) fail(name, `expected a non-negative integer, got ${JSON.stringify(text)}${origin ? ` (${origin})` : ""}`);
  const n = Number(t);
  if (!Number.isSafeInteger(n)) fail(name, `${t} is too large`);
  return n;
}

/** A flag: `true`, or one of {@link TRUE_WORDS} / {@link FALSE_WORDS}. */
export const flagValue: OptionValidator = (value, name) => {
  if (value === true) return;
  const v = value.trim().toLowerCase();
  if (!TRUE_WORDS.includes(v) && !FALSE_WORDS.includes(v)) {
    fail(name, `expected a flag (true/false, yes/no, on/off, 1/0), got ${JSON.stringify(value)}`);
  }
};

/** A non-negative integer. A bare flag (`true`, only possible for optional-value options) is allowed. */
export const nonNegativeInt: OptionValidator = (value, name) => {
  if (value !== true) parseNonNegativeInt(value, name);
};

/** A non-negative integer not above `max`. */
export function intAtMost(max: number): OptionValidator {
  return (value, name) => {
    if (value === true) return;
    if (parseNonNegativeInt(value, name) > max) fail(name, `${value.trim()} is above the maximum ${max}`);
  };
}

/** `NAME=VALUE` with a non-empty name (`--set`, `--set-placeholder`, `--declare-option`). */
export const nameEqualsValue: OptionValidator = (value, name) => {
  if (value === true || value.indexOf("=") <= 0) fail(name, `expected NAME=VALUE, got ${JSON.stringify(value === true ? "" : value)}`);
};

/** `--chmod-socket`: bare, `1` (meaning 666) or exactly three octal digits, as uWSGI requires. */
export const socketMode: OptionValidator = (value, name) => {
  if (value === true || value === "1") return;
  if (!/^[0-7]{3}$/.test(value.trim())) fail(name, `expected three octal digits such as 660, got ${JSON.stringify(value)}`);
};

/** `SIGNAL SECONDS` (`--timer`, `--rbtimer`): signal 0..255, seconds a non-negative integer. */
export const signalAndSeconds: OptionValidator = (value, name) => {
  const m = value === true ? null : /^\s*([0-9]+)\s+([0-9]+)\s*$/.exec(value);
  if (!m) fail(name, `expected "<signal> <seconds>", got ${JSON.stringify(value === true ? "" : value)}`);
  if (Number(m[1]) > 255) fail(name, `signal ${m[1]} is out of range 0..255`);
};

/** `PATH SIGNAL` (`--touch-signal`, `--fs-signal`): a path, a space, signal 0..255. */
export const pathAndSignal: OptionValidator = (value, name) => {
  const m = value === true ? null : /^\s*(\S+)\s+([0-9]+)\s*$/.exec(value);
  if (!m) fail(name, `expected "<path> <signal>", got ${JSON.stringify(value === true ? "" : value)}`);
  if (Number(m[2]) > 255) fail(name, `signal ${m[2]} is out of range 0..255`);
};

/** `--farm NAME:ID[,ID...]` with positive mule ids. */
export const farmSpec: OptionValidator = (value, name) => {
  if (value === true || !/^[^:]+:\s*[0-9]+(\s*,\s*[0-9]+)*\s*$/.test(value)) {
    fail(name, `expected NAME:MULE_ID[,MULE_ID...], got ${JSON.stringify(value === true ? "" : value)}`);
  }
};
