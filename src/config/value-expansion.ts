/**
 * The expansion passes uWSGI applies to option values once every option is collected
 * (uwsgi.c `uwsgi_apply_config_pass`): first `$(NAME)` environment variables, then `@(FILE)`
 * file contents, then `%(NAME)` references to options and placeholders, including uWSGI's
 * left-to-right placeholder arithmetic `%(a + b * 2)`. A reference that cannot be resolved is
 * left as written (uWSGI does the same), with a warning.
 * @module
 */

import { readFileSync } from "node:fs";
import path from "node:path";
import { UwsgiError } from "../errors.js";

/**
 * Replaces every `SYMBOL(inner)` in `value` (parentheses may nest inside) by `fn(inner)`; where
 * `fn` returns `undefined` the text stays as written. Replaced text is not scanned again.
 */
export function replaceTagged(value: string, symbol: string, fn: (inner: string) => string | undefined): string {
  let out = "";
  let i = 0;
  while (i < value.length) {
    const start = value.indexOf(`${symbol}(`, i);
    if (start < 0) break;
    let depth = 0;
    let end = -1;
    for (let j = start + 2; j < value.length; j++) {
      if (value[j] === "(") depth++;
      else if (value[j] === ")") {
        if (depth === 0) {
          end = j;
          break;
        }
        depth--;
      }
    }
    if (end < 0) break;
    const replaced = fn(value.slice(start + 2, end));
    out += value.slice(i, start) + (replaced ?? value.slice(start, end + 1));
    i = end + 1;
  }
  return out + value.slice(i);
}

/**
 * Expands `$(NAME)` from `env`. Also accepts the fallbacks of current uWSGI documentation:
 * `$(NAME:-DEFAULT)` (used when NAME is unset or empty) and `$(NAME-DEFAULT)` (when unset).
 * An unset variable without fallback is left as written and reported through `onMissing`.
 * @example expandEnv("$(HOME)/app", { HOME: "/root" }) // "/root/app"
 */
export function expandEnv(value: string, env: NodeJS.ProcessEnv, onMissing?: (name: string) => void): string {
  return replaceTagged(value, "$", (inner) => {
    const m = /^([A-Za-z_][A-Za-z0-9_]*)(?:(:-|-)([\s\S]*))?$/.exec(inner);
    const name = m?.[1] ?? inner;
    const v = env[name];
    if (m?.[2] === ":-" && (v === undefined || v === "")) return m[3];
    if (m?.[2] === "-" && v === undefined) return m[3];
    if (v === undefined) onMissing?.(name);
    return v;
  });
}

/**
 * Expands `@(FILE)` to the file's content without its final line break (relative paths are
 * taken from `cwd`). Throws `UWSGI_ERR_CONFIG_FILE` naming the file if it cannot be read.
 */
export function expandFileReads(value: string, cwd: string): string {
  return replaceTagged(value, "@", (inner) => {
    const file = path.resolve(cwd, inner);
    let text: string;
    try {
      text = readFileSync(file, "utf8");
    } catch (err) {
      throw new UwsgiError("UWSGI_ERR_CONFIG_FILE", file, `cannot read it for @(${inner}): ${(err as NodeJS.ErrnoException).code ?? (err as Error).message}`);
    }
    return text.replace(/[\r\n]$/, "");
  });
}

/** An option or placeholder as the resolver sees it: its canonical key and raw value. */
export interface ResolvableEntry {
  readonly key: string;
  readonly value: string | true;
}

function leadingInt(text: string): number {
  const m = /^\s*[+-]?\d+/.exec(text);
  return m ? Number(m[0]) : 0;
}

/**
 * Resolves `%(NAME)` references among an ordered list of entries. A reference means the nearest
 * entry named NAME *before* the referring one (so `path = %(path):/more` extends the previous
 * value), or, if there is none, the first one after it (so an included template may use names
 * its includer sets later). Referenced values are expanded first; a loop throws
 * `UWSGI_ERR_OPTION_VALUE` naming the chain. A bare flag reads as `1`.
 */
export class PlaceholderResolver {
  /** Keys that some `%(...)` referred to. */
  readonly referenced = new Set<string>();
  readonly #entries: readonly ResolvableEntry[];
  readonly #canonical: (name: string) => string;
  readonly #onMissing: (name: string, at: number) => void;
  readonly #done = new Map<number, string | true>();

  /**
   * @param canonical maps a name as written (possibly an option alias) to the entries' key
   * @param onMissing told about each name that no entry defines (the text is left as written)
   */
  constructor(entries: readonly ResolvableEntry[], canonical: (name: string) => string = (n) => n, onMissing: (name: string, at: number) => void = () => {}) {
    this.#entries = entries;
    this.#canonical = canonical;
    this.#onMissing = onMissing;
  }

  /** The expanded value of entry `index`. */
  valueOf(index: number): string | true {
    return this.#resolve(index, []);
  }

  #resolve(index: number, chain: number[]): string | true {
    const done = this.#done.get(index);
    if (done !== undefined) return done;
    if (chain.includes(index)) {
      const names = [...chain, index].map((i) => this.#entries[i]!.key);
      throw new UwsgiError("UWSGI_ERR_OPTION_VALUE", names[0], `placeholder loop ${names.join(" -> ")}`);
    }
    const raw = this.#entries[index]!.value;
    const next = [...chain, index];
    const result = raw === true ? true : replaceTagged(raw, "%", (inner) => (inner.includes(" ") ? this.#math(inner, index, next) : this.#lookup(inner, index, next)));
    this.#done.set(index, result);
    return result;
  }

  #find(name: string, at: number): number | undefined {
    const key = this.#canonical(name);
    for (let i = at - 1; i >= 0; i--) if (this.#entries[i]!.key === key) return i;
    for (let i = at + 1; i < this.#entries.length; i++) if (this.#entries[i]!.key === key) return i;
    return undefined;
  }

  #lookup(name: string, at: number, chain: number[]): string | undefined {
    const found = this.#find(name, at);
    if (found === undefined) {
      this.#onMissing(name, at);
      return undefined;
    }
    this.referenced.add(this.#entries[found]!.key);
    const v = this.#resolve(found, chain);
    return v === true ? "1" : v;
  }

  /** uWSGI's pipeline: numbers and names are operands; + - * / apply to the next; ++/-- step; no operator concatenates. */
  #math(expr: string, at: number, chain: number[]): string {
    let current: string | undefined;
    let op: "" | "+" | "-" | "*" | "/" = "";
    for (const token of expr.split(" ").filter(Boolean)) {
      if (token === "+" || token === "-" || token === "*" || token === "/") {
        op = token;
        continue;
      }
      if (token === "++" || token === "--") {
        if (current !== undefined) current = String(leadingInt(current) + (token === "++" ? 1 : -1));
        op = "";
        continue;
      }
      const operand = /^\d+$/.test(token) ? token : (this.#lookup(token, at, chain) ?? "");
      const a = leadingInt(current ?? "");
      const b = leadingInt(operand);
      if (op === "") current = (current ?? "") + operand;
      else if (op === "+") current = String(a + b);
      else if (op === "-") current = String(a - b);
      else if (op === "*") current = String(a * b);
      else current = String(b === 0 ? 0 : Math.trunc(a / b));
      op = "";
    }
    return current ?? "";
  }
}
