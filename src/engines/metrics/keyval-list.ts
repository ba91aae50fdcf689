/**
 * uWSGI's `key=value,key=value` option syntax (`uwsgi_kvlist_parse`), shared by `--metric` and
 * `--cron2`. A backslash escapes the next character (so `\,` and `\=` are literal).
 * @module
 */
import { UwsgiError } from "../../errors.js";

/**
 * Splits `text` at unescaped `,` into items and each item at its first unescaped `=`.
 * Unlike uWSGI, which silently ignores them, unknown keys and items without `=` are errors.
 *
 * @param option option name used in error messages (`metric`, `cron2`).
 * @param keys the accepted keys.
 * @returns the values by key; when a key repeats the last value wins (as in uWSGI).
 * @throws UwsgiError `UWSGI_ERR_OPTION_VALUE` naming the option and the bad item.
 * @example
 * parseKeyValList("name=a\\,b,type=gauge", "metric", ["name", "type"]); // Map { name => "a,b", type => "gauge" }
 */
export function parseKeyValList(text: string, option: string, keys: readonly string[]): Map<string, string> {
  const out = new Map<string, string>();
  for (const item of splitUnescaped(text, ",")) {
    if (item.raw === "") continue;
    const eq = item.separators[0];
    if (eq === undefined) {
      throw new UwsgiError("UWSGI_ERR_OPTION_VALUE", option, `item ${JSON.stringify(item.raw)} is not key=value`);
    }
    const key = item.text.slice(0, eq);
    if (!keys.includes(key)) {
      throw new UwsgiError("UWSGI_ERR_OPTION_VALUE", option, `unknown key ${JSON.stringify(key)} (known: ${keys.join(", ")})`);
    }
    out.set(key, item.text.slice(eq + 1));
  }
  return out;
}

interface Piece {
  /** The item as written (escapes kept). */
  raw: string;
  /** The item with escapes resolved. */
  text: string;
  /** Offsets in `text` of unescaped `=`. */
  separators: number[];
}

function splitUnescaped(text: string, separator: string): Piece[] {
  const pieces: Piece[] = [];
  let current: Piece = { raw: "", text: "", separators: [] };
  for (let i = 0; i < text.length; i++) {
    const ch = text[i]!;
    if (ch === "\\" && i + 1 < text.length) {
      current.raw += ch + text[i + 1];
      current.text += text[++i];
    } else if (ch === separator) {
      pieces.push(current);
      current = { raw: "", text: "", separators: [] };
    } else {
      if (ch === "=") current.separators.push(current.text.length);
      current.raw += ch;
      current.text += ch;
    }
  }
  pieces.push(current);
  return pieces;
}
