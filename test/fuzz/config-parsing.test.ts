/**
 * Properties of configuration parsing (src/config/): any ini, JSON or YAML text and any command
 * line give options or a coded error (never a TypeError or a hang), what the master then reads
 * from them (server settings, the instance config) likewise, and the same options written in
 * each of the four forms parse to the same option list.
 */
import assert from "node:assert/strict";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import fc from "fast-check";
import { ERROR_CODES, type ErrorCode, isUwsgiError } from "../../src/errors.js";
import { parseArgv, type ParsedArgv } from "../../src/config/argv-parser.js";
import { buildInstanceConfig } from "../../src/config/instance-config.js";
import { parseIni } from "../../src/config/ini-reader.js";
import { parseJsonConfig } from "../../src/config/json-reader.js";
import { OPTIONS } from "../../src/config/option-table.js";
import { parseYamlConfig } from "../../src/config/yaml-reader.js";
import { readServerSettings } from "../../src/server/server-settings.js";
import { fuzzSuite, property, valueOrCoded } from "../support/fuzz.js";

const FILE_ERROR: ReadonlySet<ErrorCode> = new Set(["UWSGI_ERR_CONFIG_FILE"]);
/** Settings read from options may fail with the code of their own area (cache, metric, legion ...). */
const ANY_CODE: ReadonlySet<ErrorCode> = new Set(Object.keys(ERROR_CODES) as ErrorCode[]);

/** Options that take a value, by canonical name (config files, `set` & co. included: they act at once). */
const VALUED = OPTIONS.filter((o) => o.arg === "required").map((o) => o.name);
const ALL_NAMES = OPTIONS.flatMap((o) => [o.name, ...(o.aliases ?? [])]);

/** Text from a config-ish alphabet: section headers, `=`, quotes, brackets, line breaks, unicode, NUL. */
function configText(tokens: readonly string[]): fc.Arbitrary<string> {
  return fc.oneof(
    fc.string({ maxLength: 200 }),
    fc.array(fc.oneof(fc.constantFrom(...tokens), fc.string({ maxLength: 6 })), { maxLength: 40 }).map((parts) => parts.join("")),
  );
}
const INI_TOKENS = ["[uwsgi]", "[", "]", "\n", "\r\n", "=", " = ", ";", "#", "\uFEFF", "socket", "processes", "%(", ")", "%d", "%", "$(HOME)", "@(", "\t", "\0", "é"];
const JSON_TOKENS = ['{"uwsgi":{', "{", "}", "[", "]", ",", ":", '"', '\\"', "\\u00", '"socket"', '"processes"', "true", "false", "null", "1e999", "-0", "\n", '"__proto__"', '"constructor"'];
const YAML_TOKENS = ["uwsgi:\n", "  ", "- ", ": ", "\n", "&a ", "*a", "<<: ", "!!str ", "? ", "{", "}", "[", "]", "|", ">", "'", '"', "#", "---\n", "...\n", "%YAML 1.2\n", "socket", "\t"];

/** Values from a wide alphabet, some well formed for common options, some not. */
const value = fc.oneof(
  fc.constantFrom("", "0", "1", "-1", "4", "99999999999999999999", "1.5", "true", "off", ":0", "127.0.0.1:0", "[::1]:0", "/tmp/x.sock", "@abstract",
    "name=c,items=10", "name=c,items=0", "items=5", "name=m,type=counter", "x=", "=", "%(x)", "$(UNSET)", "@(missing-file)", "1 2", "a.ini", "b.json:s",
    "c.yaml:", "d.xml", "app.js"),
  fc.string({ maxLength: 20, unit: fc.constantFrom("a", "1", "0", ":", "=", ",", ".", "/", " ", "-", "%", "(", ")", "$", "_", "é", "\n") }),
);
const argvItem = fc.oneof(
  fc.constantFrom(...ALL_NAMES).map((n) => `--${n}`),
  fc.tuple(fc.constantFrom(...ALL_NAMES), value).map(([n, v]) => `--${n}=${v}`),
  value,
  fc.constantFrom("-p", "-M", "-s", "-pM", "-p4", "--", "-", "--no-such-option", "-Z", "x.ini", "x.xml", "x.yaml:sec"),
);

/** One scratch directory per worker (the cwd of every parse: relative config files land there). */
let dir: string | null = null;
function scratch(): string {
  if (dir === null) {
    dir = mkdtempSync(join(tmpdir(), "uwsgi-node-fuzz-config-"));
    const made = dir;
    process.on("exit", () => rmSync(made, { recursive: true, force: true }));
  }
  return dir;
}

/** parseArgv, then what the master reads from the options before it starts anything. */
function resolveLikeTheMaster(argv: readonly string[], cwd: string): ParsedArgv | undefined {
  return valueOrCoded(`argv ${JSON.stringify(argv)}`, ANY_CODE, () => {
    const parsed = parseArgv(argv, { cwd, env: {}, hostname: "fuzz" });
    readServerSettings(parsed.options, parsed.positional, cwd);
    buildInstanceConfig(parsed.options, cwd);
    return parsed;
  });
}

/** The outcome of a parse, comparable across forms: the option list, or the error code. */
function outcome(fn: () => ParsedArgv): string {
  try {
    return JSON.stringify(fn().options.entries.map((e) => [e.name, e.value]));
  } catch (err) {
    if (isUwsgiError(err)) return err.code;
    throw err;
  }
}

/** A safe value for every form: no comment, quote, expansion or leading dash. */
const plainValue = fc.string({ minLength: 1, maxLength: 12, unit: fc.constantFrom("a", "b", "1", "0", ":", ",", ".", "/", "_", "=") });

fuzzSuite(import.meta.url, {
  "ini: any text gives entries or UWSGI_ERR_CONFIG_FILE": property(fc.tuple(configText(INI_TOKENS), fc.constantFrom("uwsgi", "", "x")), ([text, section]) => {
    const entries = valueOrCoded("parseIni", FILE_ERROR, () => parseIni(text, "fuzz.ini", section));
    for (const e of entries ?? []) assert.ok(typeof e.key === "string" && e.key.length > 0 && (e.value === true || typeof e.value === "string"));
  }),

  "json: any text gives entries or UWSGI_ERR_CONFIG_FILE": property(
    fc.tuple(fc.oneof(configText(JSON_TOKENS), fc.json().map((j) => `{"uwsgi":${j}}`), fc.json()), fc.constantFrom("uwsgi", "__proto__", "constructor")),
    ([text, section]) => {
      const entries = valueOrCoded("parseJsonConfig", FILE_ERROR, () => parseJsonConfig(text, "fuzz.json", section));
      for (const e of entries ?? []) assert.ok(typeof e.key === "string" && (e.value === true || typeof e.value === "string"));
    },
  ),

  "yaml: any text gives entries or UWSGI_ERR_CONFIG_FILE": property(fc.tuple(configText(YAML_TOKENS), fc.constantFrom("uwsgi", "x")), ([text, section]) => {
    const entries = valueOrCoded("parseYamlConfig", FILE_ERROR, () => parseYamlConfig(text, "fuzz.yaml", section));
    for (const e of entries ?? []) assert.ok(typeof e.key === "string" && (e.value === true || typeof e.value === "string"));
  }),

  "command line: any argv gives options and settings, or a coded error (XML files included)": property(fc.array(argvItem, { maxLength: 10 }), (argv) => {
    const parsed = resolveLikeTheMaster(argv, scratch());
    if (argv.some((a) => /\.xml(:[^/]*)?$/.test(a) && !a.startsWith("-"))) return; // refused or consumed as a value: both fine
    if (parsed) for (const e of parsed.options.entries) assert.ok(e.value === true || typeof e.value === "string");
  }),

  "the same options as argv, ini, json and yaml parse to the same list (or the same error)": property(
    fc.uniqueArray(fc.tuple(fc.constantFrom(...VALUED), fc.array(plainValue, { minLength: 1, maxLength: 3 })), { selector: ([n]) => n, maxLength: 6 }),
    (options) => {
      const cwd = scratch();
      const argv = options.flatMap(([n, vs]) => vs.flatMap((v) => [`--${n}`, v]));
      writeFileSync(join(cwd, "same.ini"), `[uwsgi]\n${options.flatMap(([n, vs]) => vs.map((v) => `${n} = ${v}`)).join("\n")}\n`);
      writeFileSync(join(cwd, "same.json"), JSON.stringify({ uwsgi: Object.fromEntries(options.map(([n, vs]) => [n, vs.length === 1 ? vs[0] : vs])) }));
      writeFileSync(join(cwd, "same.yaml"), `uwsgi:\n${options.flatMap(([n, vs]) => vs.map((v) => `  ${n}: ${JSON.stringify(v)}`)).join("\n")}\n`);
      const parse = (args: string[]) => () => parseArgv(args, { cwd, env: {}, hostname: "fuzz" });
      const fromArgv = outcome(parse(argv));
      for (const file of ["same.ini", "same.json", "same.yaml"]) assert.equal(outcome(parse([file])), fromArgv, `${file} and argv ${JSON.stringify(argv)}`);
    },
    0.1,
  ),
});
