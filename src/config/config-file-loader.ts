/**
 * Loading one config file named by `--ini/--json/--yaml FILE[:SECTION]`: splitting off the
 * section, resolving the path (relative to the working directory, as uWSGI does; use `%d` in a
 * file to point next to it), reading it, substituting magic variables and handing the text to
 * the format's reader.
 * @module
 */

import { readFileSync } from "node:fs";
import { UwsgiError } from "../errors.js";
import type { ConfigFileEntry } from "./config-entry.js";
import { parseIni } from "./ini-reader.js";
import { parseJsonConfig } from "./json-reader.js";
import { configAbsolutePath, fileMagic, substituteMagic, type MagicTable } from "./magic-variables.js";
import { parseYamlConfig } from "./yaml-reader.js";

/** Config file formats. */
export type ConfigFormat = "ini" | "json" | "yaml";

/** Default section (ini) / top-level key (json, yaml). */
export const DEFAULT_SECTION = "uwsgi";

/** A config file that was read. */
export interface LoadedConfigFile {
  /** Absolute path (`%p`). */
  readonly path: string;
  readonly section: string;
  readonly entries: ConfigFileEntry[];
  /** The magic variables of this file. */
  readonly magic: MagicTable;
}

const READERS: Record<ConfigFormat, (text: string, file: string, section: string) => ConfigFileEntry[]> = {
  ini: parseIni,
  json: parseJsonConfig,
  yaml: parseYamlConfig,
};

/**
 * The format a file name implies (`.ini`, `.json`, `.yaml`/`.yml`), ignoring a `:section`
 * suffix, or `undefined`. `.js` is deliberately not JSON here: a `.js` positional is an app.
 */
export function configFormatOf(spec: string): ConfigFormat | undefined {
  const m = /\.(ini|json|ya?ml)(:[^/]*)?$/.exec(spec);
  if (!m) return undefined;
  return m[1] === "ini" ? "ini" : m[1] === "json" ? "json" : "yaml";
}

/** Splits `FILE[:SECTION]` at its last colon; an empty SECTION means the default. */
export function splitConfigSpec(spec: string): { file: string; section: string; sectionGiven: boolean } {
  const colon = spec.lastIndexOf(":");
  if (colon < 0) return { file: spec, section: DEFAULT_SECTION, sectionGiven: false };
  const section = spec.slice(colon + 1);
  return { file: spec.slice(0, colon), section: section || DEFAULT_SECTION, sectionGiven: section !== "" };
}

/** Reads config files for one parse, remembering what the magic variables and `:section` need. */
export class ConfigFileLoader {
  readonly #cwd: string;
  readonly #base: MagicTable;
  readonly #warn: (message: string) => void;
  readonly #lastFile = new Map<ConfigFormat, string>();
  #first: MagicTable | undefined;
  /** Magic table of the most recently loaded file (the process table before any). */
  lastMagic: MagicTable;

  constructor(cwd: string, processMagic: MagicTable, warn: (message: string) => void) {
    this.#cwd = cwd;
    this.#base = processMagic;
    this.#warn = warn;
    this.lastMagic = processMagic;
  }

  /**
   * Loads `spec` (`FILE[:SECTION]`; `:SECTION` alone rereads the last file of the same format).
   * Throws `UWSGI_ERR_CONFIG_FILE` naming the file when it cannot be read or parsed.
   */
  load(format: ConfigFormat, spec: string): LoadedConfigFile {
    const { file: named, section, sectionGiven } = splitConfigSpec(spec);
    let file = named;
    if (file === "") {
      const last = this.#lastFile.get(format);
      if (last === undefined) throw new UwsgiError("UWSGI_ERR_CONFIG_FILE", spec, `no ${format} file was loaded before to take section "${section}" from`);
      file = last;
    }
    const abs = configAbsolutePath(file, this.#cwd);
    let text: string;
    try {
      text = readFileSync(abs, "utf8");
    } catch (err) {
      const e = err as NodeJS.ErrnoException;
      throw new UwsgiError("UWSGI_ERR_CONFIG_FILE", abs, e.code === "ENOENT" ? "no such file" : e.code === "EISDIR" ? "is a directory" : e.message);
    }
    this.#lastFile.set(format, abs);
    const magic = fileMagic(spec, abs, sectionGiven ? section : "", this.#base, this.#first);
    this.#first ??= magic;
    this.lastMagic = magic;
    const unknown = new Set<string>();
    const substituted = substituteMagic(text, magic, (c) => unknown.add(c));
    for (const c of unknown) this.#warn(`${abs}: unknown magic variable %${c} replaced by nothing`);
    return { path: abs, section, entries: READERS[format](substituted, abs, section), magic };
  }
}
