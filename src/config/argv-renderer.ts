/**
 * Turning an {@link OptionSet} back into command-line arguments, so child processes can rebuild
 * the master's exact options (`UWSGI_NODE_ARGV`) without rereading config files.
 * @module
 */

import type { OptionSet } from "./option-set.js";

/**
 * One `--name` or `--name=value` per entry, in order. `parseArgv(optionSetToArgv(set), { raw: true })`
 * gives back the same names and values (raw mode, so values are not expanded a second time).
 * @example optionSetToArgv(new OptionSet([{ name: "master", value: true }, { name: "processes", value: "4" }]))
 * // ["--master", "--processes=4"]
 */
export function optionSetToArgv(set: OptionSet): string[] {
  return set.entries.map((e) => (e.value === true ? `--${e.name}` : `--${e.name}=${e.value}`));
}
