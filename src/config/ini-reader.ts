/**
 * uWSGI's ini format (core/ini.c): `[section]` headers, `key = value` lines, bare keys, comment
 * lines starting with `;` or `#`. Only the asked section is read; a key repeated in it yields one
 * entry per occurrence, in order. There are no inline comments: `a = 1 ; x` has the value `1 ; x`.
 * Magic variables are substituted in the text before it gets here.
 * @module
 */

import { UwsgiError } from "../errors.js";
import type { ConfigFileEntry } from "./config-entry.js";

/**
 * The entries of `[section]` in ini `text`. A section may appear several times; all its parts
 * are read. Throws `UWSGI_ERR_CONFIG_FILE` (naming `file` and the line) for a malformed section
 * header or when the section never appears.
 * @example parseIni("[uwsgi]\nmaster\nsocket = :3031\n", "app.ini", "uwsgi")
 * // [{ key: "master", value: true, line: 2 }, { key: "socket", value: ":3031", line: 3 }]
 */
export function parseIni(text: string, file: string, section: string): ConfigFileEntry[] {
  const entries: ConfigFileEntry[] = [];
  let current = "";
  let found = false;
  const lines = text.replace(/^\uFEFF/, "").split("\n");
  lines.forEach((raw, i) => {
    const line = raw.replace(/^[ \t\r]+|[ \t\r]+$/g, "");
    if (line === "" || line.startsWith(";") || line.startsWith("#")) return;
    if (line.startsWith("[")) {
      if (!line.endsWith("]")) throw new UwsgiError("UWSGI_ERR_CONFIG_FILE", file, `line ${i + 1}: malformed section header ${line}`);
      current = line.slice(1, -1);
      if (current === section) found = true;
      return;
    }
    if (current !== section) return;
    const eq = line.indexOf("=");
    if (eq < 0) {
      entries.push({ key: line, value: true, line: i + 1 });
      return;
    }
    const key = line.slice(0, eq).replace(/[ \t\r]+$/, "");
    if (key === "") throw new UwsgiError("UWSGI_ERR_CONFIG_FILE", file, `line ${i + 1}: missing option name before "="`);
    entries.push({ key, value: line.slice(eq + 1).replace(/^[ \t\r]+/, ""), line: i + 1 });
  });
  if (!found) throw new UwsgiError("UWSGI_ERR_CONFIG_FILE", file, `section [${section}] not found`);
  return entries;
}
