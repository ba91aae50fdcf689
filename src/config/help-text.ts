/**
 * The `uwsgi-node --help` text, generated from the option table and grouped by category.
 * @module
 */

import { IGNORED_UWSGI_OPTIONS, OPTIONS, type OptionDef } from "./option-table.js";

const MAX_USAGE_WIDTH = 34;

function usage(def: OptionDef): string {
  const flag = `${def.short ? `-${def.short}, ` : "    "}--${def.name}`;
  if (def.arg === "none") return flag;
  const value = def.valueName ?? "VALUE";
  return def.arg === "optional" ? `${flag}[=${value}]` : `${flag} ${value}`;
}

function notes(def: OptionDef): string {
  const parts: string[] = [];
  if (def.aliases?.length) parts.push(`also ${def.aliases.map((a) => `--${a}`).join(", ")}`);
  if (def.multi) parts.push("repeatable");
  if (def.impliesMaster) parts.push("implies --master");
  if (def.impliesMetrics) parts.push("implies --enable-metrics");
  if (def.noEffect) parts.push(`no effect in uwsgi-node: ${def.noEffect}`);
  return parts.length ? ` [${parts.join("; ")}]` : "";
}

/**
 * The full help text: usage line, every option of the table by category (with its short flag,
 * value, aliases, and whether it repeats or implies the master), the uWSGI options accepted and
 * ignored, and a reminder of the config-file syntax.
 * @example process.stdout.write(renderHelp());
 */
export function renderHelp(): string {
  const lines = [
    "Usage: uwsgi-node [options...] [app-file] [config.ini|config.json|config.yaml ...]",
    "",
    "Options may also come from config files (--ini/--json/--yaml, or a positional file), which",
    "are read where they appear. Values may use $(ENV_VAR), @(file), %(option-or-placeholder)",
    "and, in files, magic variables such as %d (the file's directory) and %n (its name).",
  ];
  const width = Math.min(Math.max(...OPTIONS.map((d) => usage(d).length)), MAX_USAGE_WIDTH) + 2;
  const categories = [...new Set(OPTIONS.map((d) => d.category))];
  for (const category of categories) {
    lines.push("", `${category}:`);
    for (const def of OPTIONS.filter((d) => d.category === category)) {
      const u = usage(def);
      const text = `${def.help}${notes(def)}`;
      if (u.length < width) lines.push(`  ${u.padEnd(width)}${text}`);
      else lines.push(`  ${u}`, `  ${"".padEnd(width)}${text}`);
    }
  }
  lines.push("", "Accepted for compatibility with uWSGI config files, ignored with a warning:");
  let row = " ";
  for (const name of IGNORED_UWSGI_OPTIONS.keys()) {
    if (row.length + name.length > 90) {
      lines.push(row);
      row = " ";
    }
    row += ` ${name},`;
  }
  lines.push(row.slice(0, -1), "");
  return lines.join("\n");
}
