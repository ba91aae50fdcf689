/**
 * uWSGI's "magic variables": `%X` sequences replaced in the whole text of a config file before
 * it is parsed (uwsgi.c `config_magic_table_fill`, utils.c `magic_sub`). They describe the file
 * being read (`%d` its directory with a trailing slash, `%p` its absolute path, `%n` its name
 * without extension...) or the process (`%h` hostname, `%v` working directory...). Uppercase
 * `%D %P %S %N %E %C %X %O` refer to the first config file loaded. `%%` is a literal `%`, and
 * `%(` is left alone for placeholder expansion. Like uWSGI, an unknown `%X` becomes empty text
 * (but a `%` at the end of a line stays, so lines are never joined).
 * @module
 */

import { lstatSync, readFileSync, realpathSync } from "node:fs";
import os from "node:os";
import path from "node:path";

/** One-character magic names mapped to their values, as exposed by `uwsgi.magic_table`. */
export type MagicTable = Record<string, string>;

function groupName(gid: number): string {
  try {
    for (const line of readFileSync("/etc/group", "utf8").split("\n")) {
      const f = line.split(":");
      if (f.length >= 3 && Number(f[2]) === gid) return f[0]!;
    }
  } catch {
    // no group database: fall back to the number, as uWSGI does
  }
  return String(gid);
}

function userName(uid: number): string {
  try {
    return os.userInfo().username;
  } catch {
    return String(uid);
  }
}

/** Process-wide magic variables: `%v %h %t %T %k %u %U %g %G %[`. */
export function processMagic(cwd: string, hostname: string = os.hostname(), nowMs: number = Date.now()): MagicTable {
  const uid = process.getuid?.() ?? 0;
  const gid = process.getgid?.() ?? 0;
  return {
    v: cwd,
    h: hostname,
    t: String(Math.floor(nowMs / 1000)),
    T: String(Math.floor(nowMs * 1000)),
    k: String(os.availableParallelism()),
    u: String(uid),
    U: userName(uid),
    g: String(gid),
    G: groupName(gid),
    "[": "\x1b",
  };
}

/** The absolute path uWSGI reports as `%p`: the real path, except that a symlink itself is not followed. */
export function configAbsolutePath(file: string, cwd: string): string {
  const abs = path.resolve(cwd, file);
  try {
    return lstatSync(abs).isSymbolicLink() ? abs : realpathSync(abs);
  } catch {
    return abs;
  }
}

/**
 * Magic variables of one config file: `spec` is the argument as written (`%o`), `absPath` its
 * absolute path, `section` the section asked for (`%x`, empty when defaulted). `first` is the
 * table of the first config file loaded, for the uppercase names (omit it for the first file).
 */
export function fileMagic(spec: string, absPath: string, section: string, base: MagicTable, first?: MagicTable): MagicTable {
  const s = path.basename(absPath);
  const dir = path.dirname(absPath);
  const d = dir.endsWith("/") ? dir : `${dir}/`;
  const dot = s.lastIndexOf(".");
  const table: MagicTable = {
    ...base,
    o: spec,
    p: absPath,
    s,
    d,
    n: dot >= 0 ? s.slice(0, dot) : s,
    e: dot >= 0 ? s.slice(dot + 1) : "",
    c: path.basename(dir),
    x: section,
  };
  dir.split("/").filter(Boolean).slice(0, 10).forEach((part, i) => (table[String(i)] = part));
  const origin = first ?? table;
  for (const k of ["o", "p", "s", "d", "n", "e", "c", "x"]) table[k.toUpperCase()] = origin[k]!;
  return table;
}

/**
 * Replaces magic variables in `text`. `%%` gives `%`, `%(` is kept, a name missing from `table`
 * gives empty text and is reported through `onUnknown`.
 * @example substituteMagic("socket = /tmp/%n.sock", { n: "app" }) // "socket = /tmp/app.sock"
 */
export function substituteMagic(text: string, table: MagicTable, onUnknown?: (name: string) => void): string {
  return text.replace(/%([^\n\r])/g, (_, c: string) => {
    if (c === "%") return "%";
    if (c === "(") return "%(";
    const v = table[c];
    if (v !== undefined) return v;
    onUnknown?.(c);
    return "";
  });
}
