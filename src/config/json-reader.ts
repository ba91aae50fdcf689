/**
 * uWSGI's JSON config format (core/json.c): `{"uwsgi": {"key": value, ...}}`, another top-level
 * object chosen with `file.json:name`. A value is a string, number, `true` (a bare flag),
 * `false`/`null` (the string "0", as uWSGI passes them), or an array of those (one entry each).
 * @module
 */

import { UwsgiError } from "../errors.js";
import type { ConfigFileEntry } from "./config-entry.js";

function lineAt(text: string, offset: number): number {
  let line = 1;
  for (let i = 0; i < offset && i < text.length; i++) if (text.charCodeAt(i) === 10) line++;
  return line;
}

/** Lines of the keys of object `section` (last occurrence wins, as in JSON.parse). */
function keyLines(text: string, section: string): Map<string, number> {
  const lines = new Map<string, number>();
  let depth = 0;
  let line = 1;
  let topKey: string | undefined;
  let sectionOpen = false;
  for (let i = 0; i < text.length; i++) {
    const c = text[i]!;
    if (c === "\n") line++;
    else if (c === "{" || c === "[") {
      depth++;
      if (depth === 2 && c === "{" && topKey === section) sectionOpen = true;
    } else if (c === "}" || c === "]") {
      if (depth === 2) sectionOpen = false;
      depth--;
    } else if (c === '"') {
      const start = i;
      for (i++; i < text.length && text[i] !== '"'; i++) if (text[i] === "\\") i++;
      const str = JSON.parse(text.slice(start, i + 1)) as string;
      let j = i + 1;
      while (/\s/.test(text[j] ?? "")) j++;
      if (text[j] !== ":") continue;
      if (depth === 1) topKey = str;
      else if (depth === 2 && sectionOpen) lines.set(str, line);
    }
  }
  return lines;
}

function scalar(v: unknown, file: string, key: string, line: number): string | true {
  if (typeof v === "string") return v;
  if (v === true) return true;
  if (v === false || v === null) return "0";
  if (typeof v === "number") return String(v);
  throw new UwsgiError("UWSGI_ERR_CONFIG_FILE", file, `line ${line}: option ${key} must be a string, number, boolean or a list of them`);
}

/**
 * The entries of object `section` in JSON `text`. Throws `UWSGI_ERR_CONFIG_FILE` naming `file`
 * and the line for a syntax error, a missing object, or a nested object value.
 * @example parseJsonConfig('{"uwsgi": {"socket": [":1", ":2"], "master": true}}', "a.json", "uwsgi")
 * // socket ":1", socket ":2", master true
 */
export function parseJsonConfig(text: string, file: string, section: string): ConfigFileEntry[] {
  let root: unknown;
  try {
    root = JSON.parse(text);
  } catch (err) {
    const msg = (err as Error).message;
    const pos = /position (\d+)/.exec(msg);
    const where = pos ? `line ${lineAt(text, Number(pos[1]))}: ` : "";
    throw new UwsgiError("UWSGI_ERR_CONFIG_FILE", file, `${where}invalid JSON (${msg})`);
  }
  const obj = root !== null && typeof root === "object" && !Array.isArray(root) ? (root as Record<string, unknown>)[section] : undefined;
  if (obj === null || typeof obj !== "object" || Array.isArray(obj) || !Object.hasOwn(root as object, section)) {
    throw new UwsgiError("UWSGI_ERR_CONFIG_FILE", file, `there is no object named "${section}" at the top level`);
  }
  const lines = keyLines(text, section);
  const entries: ConfigFileEntry[] = [];
  for (const [key, v] of Object.entries(obj as Record<string, unknown>)) {
    const line = lines.get(key) ?? 1;
    for (const item of Array.isArray(v) ? v : [v]) entries.push({ key, value: scalar(item, file, key, line), line });
  }
  return entries;
}
