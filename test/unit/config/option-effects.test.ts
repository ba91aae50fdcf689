/**
 * No silent no-ops (issue 10): every option of the table either is read by the server, or is
 * marked `noEffect` and then warned about at start ("has no effect in uwsgi-node: why"). Options
 * are "read" when their name is a string literal somewhere in src/ other than the option table and
 * the help text (legion hooks are read through LEGION_HOOK_EVENTS). uWSGI options without a row
 * (IGNORED_UWSGI_OPTIONS) are warned about as not implemented.
 */
import assert from "node:assert/strict";
import { readdirSync, readFileSync, statSync } from "node:fs";
import { join } from "node:path";
import { test } from "node:test";
import { parseArgv } from "../../../src/config/argv-parser.js";
import { LEGION_HOOK_EVENTS } from "../../../src/config/legion-options.js";
import { IGNORED_UWSGI_OPTIONS, OPTIONS, type OptionDef } from "../../../src/config/option-table.js";

const src = join(import.meta.dirname, "..", "..", "..", "..", "src");

function files(dir: string): string[] {
  return readdirSync(dir).flatMap((name) => {
    const full = join(dir, name);
    return statSync(full).isDirectory() ? files(full) : full.endsWith(".ts") ? [full] : [];
  });
}

const readers = files(src)
  .filter((f) => !f.endsWith(join("config", "option-table.ts")) && !f.endsWith(join("config", "help-text.ts")))
  .map((f) => ({ file: f, text: readFileSync(f, "utf8") }));

function readBy(name: string): string[] {
  if (name.startsWith("legion-") && (LEGION_HOOK_EVENTS as readonly string[]).includes(name.slice(7))) return ["src/config/legion-options.ts (LEGION_HOOK_EVENTS)"];
  return readers.filter((r) => r.text.includes(`"${name}"`) || r.text.includes(`'${name}'`)).map((r) => r.file);
}

/** A value the option's validator accepts, for parsing it alone. */
function sample(def: OptionDef): string[] {
  if (def.arg === "none") return [`--${def.name}`];
  return [`--${def.name}`, def.validate ? "1" : "x=1"];
}

test("every option of the table is read by the server or marked noEffect", () => {
  const silent = OPTIONS.filter((def) => !def.noEffect && readBy(def.name).length === 0).map((d) => d.name);
  assert.deepEqual(silent, [], "options neither read anywhere in src/ nor marked noEffect");
});

test("an option marked noEffect is not read anywhere (the mark says what the code does)", () => {
  const read = OPTIONS.filter((def) => def.noEffect && readBy(def.name).length > 0).map((d) => `${d.name}: ${readBy(d.name).join(", ")}`);
  assert.deepEqual(read, []);
});

test("each noEffect option warns at start that it has no effect in uwsgi-node, saying why", () => {
  const marked = OPTIONS.filter((def) => def.noEffect);
  assert.ok(marked.length > 0);
  for (const def of marked) {
    const { warnings } = parseArgv(sample(def));
    assert.equal(warnings.length, 1, def.name);
    assert.ok(warnings[0]!.startsWith(`option ${def.name} (`), warnings[0]);
    assert.ok(warnings[0]!.endsWith(`) has no effect in uwsgi-node: ${def.noEffect}`), warnings[0]);
  }
});

test("an option that works warns about nothing", () => {
  for (const name of ["add-cache-item", "load-file-in-cache", "stats-no-cores", "worker-reload-mercy", "cache-report-freed-items", "metrics-dir"]) {
    const def = OPTIONS.find((d) => d.name === name)!;
    assert.ok(def && !def.noEffect, name);
    assert.deepEqual(parseArgv(sample(def)).warnings, [], name);
  }
});

test("the issue's 'accepted and silently ignored' options are all rows that are read", () => {
  const issue10 = ["timer", "rbtimer", "cron", "unique-cron", "touch-signal", "fs-signal", "mule", "mules", "farm", "mule-harakiri", "add-cache-item", "load-file-in-cache", "metric", "stats-no-cores", "worker-reload-mercy"];
  for (const name of issue10) {
    const def = OPTIONS.find((d) => d.name === name);
    assert.ok(def, `${name} is in the table`);
    assert.equal(def.noEffect, undefined, name);
    assert.ok(readBy(name).length > 0, `${name} is read by the server`);
  }
});

test("uWSGI options without a row warn that uwsgi-node does not implement them", () => {
  for (const [name, arg] of IGNORED_UWSGI_OPTIONS) {
    const { warnings } = parseArgv(arg === "none" ? [`--${name}`] : [`--${name}`, "x"]);
    assert.equal(warnings.length, 1, name);
    assert.match(warnings[0]!, new RegExp(`option ${name} .* does not implement: ignored`));
  }
});
