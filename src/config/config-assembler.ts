/**
 * Assembles the ordered option list the way uWSGI does ("top-bottom, expand asap"): config
 * files named by `--ini/--json/--yaml` are read at the point they appear and their options are
 * inserted there; `--set`, `--set-placeholder` and `--declare-option` act at once. When every
 * source has been added, {@link ConfigAssembler.finish} runs the value expansion passes, checks
 * every value and builds the {@link OptionSet}.
 *
 * Unknown names are errors on the command line. In config files an unknown key is a placeholder
 * (uWSGI's way to define variables: `base = /srv` then `chdir = %(base)`), so it is accepted only
 * if some `%(...)` uses it; otherwise it is reported as an unknown option.
 * @module
 */

import { realpathSync } from "node:fs";
import { isUwsgiError, UwsgiError } from "../errors.js";
import { describeOrigin, type ConfigOrigin } from "./config-entry.js";
import { ConfigFileLoader, type ConfigFormat, type LoadedConfigFile } from "./config-file-loader.js";
import type { MagicTable } from "./magic-variables.js";
import { findOption, suggestOption } from "./option-lookup.js";
import { OptionSet, type OptionEntry, type OptionValue } from "./option-set.js";
import { IGNORED_UWSGI_OPTIONS, type OptionArg } from "./option-table.js";
import { nameEqualsValue } from "./option-validators.js";
import { expandEnv, expandFileReads, PlaceholderResolver } from "./value-expansion.js";

interface Assembled {
  /** Canonical option name, or the placeholder's name. */
  key: string;
  value: OptionValue;
  origin: ConfigOrigin;
  /** `option`: in the table; `placeholder`: from --set/--set-placeholder; `unknown`: undeclared config-file key. */
  kind: "option" | "placeholder" | "unknown";
}

interface CustomOption {
  template: string;
  hasArgs: boolean;
}

/** What {@link ConfigAssembler.finish} returns. */
export interface AssembledConfig {
  readonly options: OptionSet;
  /** Placeholders (from `--set`, `--set-placeholder`, or config-file keys used as `%(name)`), last value per name. */
  readonly placeholders: ReadonlyMap<string, OptionValue>;
  /** Magic variables of the last config file read (process ones if none), for `uwsgi.magic_table`. */
  readonly magicTable: MagicTable;
  /** Absolute paths of the config files read, in order. */
  readonly configFiles: readonly string[];
}

const FORMAT_OF_OPTION: Record<string, ConfigFormat> = { ini: "ini", json: "json", yaml: "yaml" };
const MAX_INCLUDE_DEPTH = 64;

function at(origin: ConfigOrigin): string {
  return describeOrigin(origin);
}

/** Collects options from the command line and config files, in order. */
export class ConfigAssembler {
  readonly warnings: string[] = [];
  readonly #entries: Assembled[] = [];
  readonly #custom = new Map<string, CustomOption>();
  readonly #loader: ConfigFileLoader;
  readonly #includeStack: string[] = [];
  readonly #customStack: string[] = [];
  readonly #files: string[] = [];
  readonly #env: NodeJS.ProcessEnv;
  readonly #cwd: string;

  constructor(cwd: string, env: NodeJS.ProcessEnv, processMagic: MagicTable) {
    this.#cwd = cwd;
    this.#env = env;
    this.#loader = new ConfigFileLoader(cwd, processMagic, (m) => this.warnings.push(m));
  }

  /** How option `name` takes a value (table, custom and ignored options), or `undefined` if unknown. */
  argKind(name: string): OptionArg | undefined {
    const def = findOption(name);
    if (def) return def.arg;
    const custom = this.#custom.get(name);
    if (custom) return custom.hasArgs ? "required" : "none";
    return IGNORED_UWSGI_OPTIONS.get(name);
  }

  /** The closest known option name to `name`, custom options included. */
  suggest(name: string): string | undefined {
    return suggestOption(name, this.#custom.keys());
  }

  /**
   * Adds one `name = value` from `origin`. Includes, `set`, `set-placeholder` and
   * `declare-option` take effect immediately; custom options expand in place.
   */
  add(name: string, value: OptionValue, origin: ConfigOrigin): void {
    const def = findOption(name);
    if (def) {
      if (def.arg === "required" && (value === true || value === "")) {
        throw new UwsgiError("UWSGI_ERR_OPTION_VALUE", def.name, `a value is required (${at(origin)})`);
      }
      const v: OptionValue = def.arg !== "required" && value === "" ? true : value;
      const format = FORMAT_OF_OPTION[def.name];
      if (format) return this.include(format, v as string, origin);
      if (def.name === "set" || def.name === "set-placeholder" || def.name === "declare-option") {
        this.#check(nameEqualsValue, v, def.name, origin);
        const text = v as string;
        const eq = text.indexOf("=");
        const [key, rest] = [text.slice(0, eq).trim(), text.slice(eq + 1)];
        if (def.name === "declare-option") return this.#declare(key, rest, origin);
        if (def.name === "set" && this.argKind(key) !== undefined) return this.add(key, rest, origin);
        if (this.argKind(key) !== undefined) {
          throw new UwsgiError("UWSGI_ERR_OPTION_VALUE", def.name, `${key} is an option and cannot be a placeholder (${at(origin)})`);
        }
        this.#entries.push({ key, value: rest, origin, kind: "placeholder" });
        return;
      }
      this.#entries.push({ key: def.name, value: v, origin, kind: "option" });
      if (def.noEffect) this.warnings.push(`option ${def.name} (${at(origin)}) has no effect in uwsgi-node: ${def.noEffect}`);
      return;
    }
    const custom = this.#custom.get(name);
    if (custom) return this.#expandCustom(name, custom, value, origin);
    if (IGNORED_UWSGI_OPTIONS.has(name)) {
      this.warnings.push(`option ${name} (${at(origin)}) is a uWSGI option uwsgi-node does not implement: ignored`);
      return;
    }
    if (origin.kind === "argv") throw this.#unknown(name, origin);
    this.#entries.push({ key: name, value, origin, kind: "unknown" });
  }

  /** Reads config file `spec` (`FILE[:SECTION]`) and adds its options here. */
  include(format: ConfigFormat, spec: string, origin: ConfigOrigin): void {
    let file: LoadedConfigFile;
    try {
      file = this.#loader.load(format, spec);
    } catch (err) {
      if (isUwsgiError(err) && origin.kind === "file") err.message += ` (included from ${at(origin)})`;
      throw err;
    }
    let real = file.path;
    try {
      real = realpathSync(file.path);
    } catch {
      // keep the path as reported
    }
    const id = `${real}:${file.section}`;
    if (this.#includeStack.includes(id) || this.#includeStack.length >= MAX_INCLUDE_DEPTH) {
      const chain = [...this.#includeStack, id].join(" -> ");
      throw new UwsgiError("UWSGI_ERR_CONFIG_FILE", file.path, `include loop ${chain} (${at(origin)})`);
    }
    this.#files.push(file.path);
    this.#includeStack.push(id);
    try {
      for (const e of file.entries) this.add(e.key, e.value, { kind: "file", file: file.path, line: e.line });
    } finally {
      this.#includeStack.pop();
    }
  }

  #declare(name: string, template: string, origin: ConfigOrigin): void {
    if (this.argKind(name) !== undefined) {
      throw new UwsgiError("UWSGI_ERR_OPTION_VALUE", "declare-option", `${name} is already an option (${at(origin)})`);
    }
    this.#custom.set(name, { template, hasArgs: /\$[123]/.test(template) });
  }

  #expandCustom(name: string, custom: CustomOption, value: OptionValue, origin: ConfigOrigin): void {
    if (this.#customStack.includes(name)) {
      throw new UwsgiError("UWSGI_ERR_OPTION_VALUE", name, `custom option expands to itself (${at(origin)})`);
    }
    const args = value === true ? [] : value.split(" ").filter(Boolean);
    const fill = (text: string): string => args.reduce((t, arg, i) => t.split(`$${i + 1}`).join(arg), text);
    this.#customStack.push(name);
    try {
      for (const part of custom.template.split(";").filter(Boolean)) {
        const eq = part.indexOf("=");
        if (eq < 0) break;
        this.add(fill(part.slice(0, eq)).trim(), fill(part.slice(eq + 1)), origin);
      }
    } finally {
      this.#customStack.pop();
    }
  }

  #unknown(name: string, origin: ConfigOrigin): UwsgiError {
    const hint = this.suggest(name);
    const dashes = origin.kind === "argv" ? (origin.arg.startsWith("--") ? "--" : "-") : "";
    const where = origin.kind === "argv" ? `${dashes}${name}` : `${name} (${at(origin)})`;
    return new UwsgiError("UWSGI_ERR_OPTION_UNKNOWN", hint ? `${where}: did you mean ${dashes}${hint}?` : where);
  }

  #check(validate: (v: OptionValue, n: string) => void, value: OptionValue, name: string, origin: ConfigOrigin): void {
    try {
      validate(value, name);
    } catch (err) {
      if (isUwsgiError(err)) err.message += ` (${at(origin)})`;
      throw err;
    }
  }

  /**
   * Expands values (unless `raw`), rejects config-file keys that are neither options nor used
   * placeholders, validates every option value and returns the result.
   */
  finish(raw = false): AssembledConfig {
    const entries = this.#entries;
    if (!raw) {
      for (const e of entries) {
        if (e.value === true) continue;
        e.value = expandEnv(e.value, this.#env, (v) => this.warnings.push(`environment variable ${v} is not set: $(${v}) left as is (${at(e.origin)})`));
        try {
          e.value = expandFileReads(e.value, this.#cwd);
        } catch (err) {
          if (isUwsgiError(err)) err.message += ` (${at(e.origin)})`;
          throw err;
        }
      }
      const resolver = new PlaceholderResolver(entries, (n) => findOption(n)?.name ?? n, (name, i) =>
        this.warnings.push(`placeholder %(${name}) is not defined: left as is (${at(entries[i]!.origin)})`),
      );
      const expanded = entries.map((_, i) => {
        try {
          return resolver.valueOf(i);
        } catch (err) {
          if (isUwsgiError(err)) err.message += ` (${at(entries[i]!.origin)})`;
          throw err;
        }
      });
      expanded.forEach((v, i) => (entries[i]!.value = v));
      const stray = entries.find((e) => e.kind === "unknown" && !resolver.referenced.has(e.key));
      if (stray) throw this.#unknown(stray.key, stray.origin);
    } else {
      const stray = entries.find((e) => e.kind === "unknown");
      if (stray) throw this.#unknown(stray.key, stray.origin);
    }
    const options: OptionEntry[] = [];
    const placeholders = new Map<string, OptionValue>();
    for (const e of entries) {
      if (e.kind !== "option") {
        placeholders.set(e.key, e.value);
        continue;
      }
      const def = findOption(e.key)!;
      if (def.validate) this.#check(def.validate, e.value, def.name, e.origin);
      options.push({ name: e.key, value: e.value, origin: at(e.origin) });
    }
    return { options: new OptionSet(options), placeholders, magicTable: this.#loader.lastMagic, configFiles: [...this.#files] };
  }
}
