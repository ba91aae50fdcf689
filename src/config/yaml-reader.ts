/**
 * uWSGI's YAML config format (core/yaml.c with libyaml): a top-level mapping whose `uwsgi` key
 * (or the key chosen with `file.yaml:name`) holds `option: value` pairs. Keys may repeat (each
 * occurrence is an entry, which plain YAML forbids but uWSGI allows), a value may be a list
 * (one entry per item), and every scalar is read as text, as uWSGI does: `0660` stays `"0660"`,
 * `true` is the string `"true"`. An empty value (`master:`) is a bare flag.
 * @module
 */

import { isMap, isScalar, isSeq, LineCounter, parseDocument, type Node } from "yaml";
import { UwsgiError } from "../errors.js";
import type { ConfigFileEntry } from "./config-entry.js";

/**
 * The entries of mapping `section` in YAML `text`. Throws `UWSGI_ERR_CONFIG_FILE` naming `file`
 * and the line for a syntax error, a missing section, or a value that is a nested mapping.
 * @example parseYamlConfig("uwsgi:\n  socket: :3031\n  socket: :3032\n", "a.yaml", "uwsgi")
 * // socket ":3031" (line 2), socket ":3032" (line 3)
 */
export function parseYamlConfig(text: string, file: string, section: string): ConfigFileEntry[] {
  const counter = new LineCounter();
  const doc = parseDocument(text, { schema: "failsafe", uniqueKeys: false, lineCounter: counter, prettyErrors: false });
  const lineOf = (node: Node | null | undefined): number => (node?.range ? counter.linePos(node.range[0]).line : 1);
  const bad = (line: number, what: string): UwsgiError => new UwsgiError("UWSGI_ERR_CONFIG_FILE", file, `line ${line}: ${what}`);
  const error = doc.errors[0];
  if (error) throw bad(counter.linePos(error.pos[0]).line, `invalid YAML (${error.message.split("\n")[0]})`);
  if (!isMap(doc.contents)) throw bad(lineOf(doc.contents), `the document must be a mapping with a "${section}" key`);
  const pair = doc.contents.items.find((p) => isScalar(p.key) && p.key.value === section);
  if (!pair) throw new UwsgiError("UWSGI_ERR_CONFIG_FILE", file, `there is no mapping named "${section}" at the top level`);
  const body = pair.value as Node | null;
  if (body === null || (isScalar(body) && (body.value === "" || body.value === null))) return [];
  if (!isMap(body)) throw bad(lineOf(body), `"${section}" must be a mapping of options`);

  const entries: ConfigFileEntry[] = [];
  for (const item of body.items) {
    const keyNode = item.key as Node | null;
    if (!isScalar(keyNode) || typeof keyNode.value !== "string") throw bad(lineOf(keyNode), "option names must be plain text");
    const key = keyNode.value;
    const line = lineOf(keyNode);
    const value = item.value as Node | null;
    const one = (v: Node | null): string | true => {
      if (v === null || (isScalar(v) && (v.value === null || v.value === ""))) return true;
      if (isScalar(v)) return String(v.value);
      throw bad(lineOf(v), `option ${key} must be a scalar or a list of scalars`);
    };
    if (isSeq(value)) for (const v of value.items) entries.push({ key, value: one(v as Node | null), line });
    else entries.push({ key, value: one(value), line });
  }
  return entries;
}
