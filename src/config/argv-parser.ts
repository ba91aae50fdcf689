/**
 * The command line of `uwsgi-node`, parsed like uWSGI's getopt_long table: `--name value`,
 * `--name=value`, bare flags, short flags (`-p 4`, `-p4`, clustered `-MT`), repeated options,
 * `--` ending the options, config files expanded where they appear (`--ini/--json/--yaml`, and
 * positional `*.ini/*.json/*.yaml/*.yml` files), and any other positional argument returned as
 * is (the application file). Options taking an optional value accept it only as `--name=value`
 * (or `-Xvalue`), as with getopt.
 * @module
 */

import os from "node:os";
import { UwsgiError } from "../errors.js";
import type { ConfigOrigin } from "./config-entry.js";
import { ConfigAssembler } from "./config-assembler.js";
import { configFormatOf } from "./config-file-loader.js";
import type { MagicTable } from "./magic-variables.js";
import { processMagic } from "./magic-variables.js";
import { findShortOption } from "./option-lookup.js";
import type { OptionSet, OptionValue } from "./option-set.js";

/** Options of {@link parseArgv}. */
export interface ParseArgvOptions {
  /** Environment for `$(NAME)` expansion (default `process.env`). */
  env?: NodeJS.ProcessEnv;
  /** Directory relative paths are resolved from (default `process.cwd()`). */
  cwd?: string;
  /** Host name for `%h` (default `os.hostname()`). */
  hostname?: string;
  /**
   * Take values literally: no `$(...)`, `@(...)` or `%(...)` expansion. For rebuilding an
   * {@link OptionSet} from {@link optionSetToArgv} output.
   */
  raw?: boolean;
}

/** Result of {@link parseArgv}. */
export interface ParsedArgv {
  /** Every option in order, canonical names, values expanded and checked. Config-file directives (`ini`, `set`, ...) are resolved away. */
  readonly options: OptionSet;
  /** Positional arguments that are not config files (normally the application file). */
  readonly positional: string[];
  /** Non-fatal notes: ignored uWSGI options, undefined placeholders or variables, unknown magic variables. */
  readonly warnings: string[];
  /** Placeholders defined by `--set NAME=..`, `--set-placeholder` or config-file keys used as `%(NAME)`. */
  readonly placeholders: ReadonlyMap<string, OptionValue>;
  /** Magic variables (`uwsgi.magic_table`): those of the last config file read, or the process ones. */
  readonly magicTable: MagicTable;
  /** Absolute paths of the config files read, in order. */
  readonly configFiles: readonly string[];
}

function missingValue(name: string, origin: ConfigOrigin, detail = "a value is required"): UwsgiError {
  return new UwsgiError("UWSGI_ERR_OPTION_VALUE", name, `${detail} (command line argument ${origin.kind === "argv" ? origin.index + 1 : "?"})`);
}

/**
 * Parses `argv` (without the node binary and script, i.e. `process.argv.slice(2)`).
 * Throws `UWSGI_ERR_OPTION_UNKNOWN` (naming the option, with the closest known name),
 * `UWSGI_ERR_OPTION_VALUE` (missing or bad value, naming the option and where it was given) or
 * `UWSGI_ERR_CONFIG_FILE` (naming the file and line).
 * @example
 * const { options, positional } = parseArgv(["--http", ":8000", "-p", "4", "--master", "app.js"]);
 * options.get("processes"); // "4"
 * positional; // ["app.js"]
 */
export function parseArgv(argv: readonly string[], opts: ParseArgvOptions = {}): ParsedArgv {
  const cwd = opts.cwd ?? process.cwd();
  const asm = new ConfigAssembler(cwd, opts.env ?? process.env, processMagic(cwd, opts.hostname ?? os.hostname()));
  const positional: string[] = [];
  let optionsEnded = false;

  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i]!;
    const origin: ConfigOrigin = { kind: "argv", index: i, arg };
    const next = (name: string): string => {
      if (i + 1 >= argv.length) throw missingValue(name, origin);
      const value = argv[i + 1]!;
      if (value.startsWith("--") && asm.argKind(value.slice(2).split("=")[0]!) !== undefined) {
        throw missingValue(name, origin, `a value is required, found option ${value}`);
      }
      i++;
      return value;
    };

    if (optionsEnded || arg === "-" || !arg.startsWith("-")) {
      const format = configFormatOf(arg);
      if (format) asm.include(format, arg, origin);
      else if (/\.xml(:[^/]*)?$/.test(arg)) throw new UwsgiError("UWSGI_ERR_CONFIG_FILE", arg, "XML config files are not supported (use ini, json or yaml)");
      else positional.push(arg);
      continue;
    }
    if (arg === "--") {
      optionsEnded = true;
      continue;
    }
    if (arg.startsWith("--")) {
      const eq = arg.indexOf("=");
      const name = arg.slice(2, eq < 0 ? undefined : eq);
      const inline = eq < 0 ? undefined : arg.slice(eq + 1);
      const kind = asm.argKind(name);
      if (kind === undefined) {
        asm.add(name, inline ?? true, origin); // throws the unknown-option error
        continue;
      }
      asm.add(name, kind === "required" ? (inline ?? next(name)) : (inline ?? true), origin);
      continue;
    }
    for (let j = 1; j < arg.length; j++) {
      const letter = arg[j]!;
      const def = findShortOption(letter);
      if (!def) {
        throw new UwsgiError("UWSGI_ERR_OPTION_UNKNOWN", `-${letter}${arg.length > 2 ? ` (in ${arg})` : ""}`);
      }
      if (def.arg === "none") {
        asm.add(def.name, true, origin);
        continue;
      }
      const rest = arg.slice(j + 1);
      asm.add(def.name, def.arg === "optional" ? rest || true : rest || next(def.name), origin);
      break;
    }
  }

  const result = asm.finish(opts.raw ?? false);
  return { ...result, positional, warnings: asm.warnings };
}
