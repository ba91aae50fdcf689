/**
 * Turning an {@link OptionSet} back into command-line arguments (to run the CLI again with the
 * exact options it was given, e.g. when re-executing). Child processes do not use it: the master
 * hands them the resolved configuration (src/config/config-transfer.ts).
 * @module
 */

import type { OptionSet, OptionValue } from "./option-set.js";

/**
 * One `--name` or `--name=value` per entry, in order, then one `--set-placeholder=NAME=VALUE`
 * per placeholder given (a bare-flag placeholder is written as `1`).
 * `parseArgv(optionSetToArgv(set, placeholders), { raw: true })` gives back the same option
 * entries and placeholders (raw mode, so values are not expanded a second time).
 * @example optionSetToArgv(new OptionSet([{ name: "master", value: true }, { name: "processes", value: "4" }]))
 * // ["--master", "--processes=4"]
 */
export function optionSetToArgv(set: OptionSet, placeholders: ReadonlyMap<string, OptionValue> = new Map()): string[] {
  const argv = set.entries.map((e) => (e.value === true ? `--${e.name}` : `--${e.name}=${e.value}`));
  for (const [name, value] of placeholders) argv.push(`--set-placeholder=${name}=${value === true ? "1" : value}`);
  return argv;
}
