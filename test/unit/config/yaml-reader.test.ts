import { test } from "node:test";
import assert from "node:assert/strict";
import { parseYamlConfig } from "../../../src/config/yaml-reader.js";
import { isUwsgiError } from "../../../src/errors.js";

const kv = (text: string, section = "uwsgi") => parseYamlConfig(text, "t.yaml", section).map((e) => [e.key, e.value, e.line]);

test("yaml: repeated keys, block and flow lists, quoting, comments, all scalars as text", () => {
  const text = [
    "# comment",
    "uwsgi:",
    "  socket: 127.0.0.1:0",
    '  socket: "127.0.0.1:1"',
    "  env: A=1 # trailing comment",
    "  env: 'B=#2'",
    "  cron:",
    "    - -1 -1 -1 -1 -1 ls",
    "    - 0 3 -1 -1 -1 backup",
    "  spooler: [/a, /b]",
    "  master: true",
    "  chmod-socket: 0660",
    "  vacuum:",
    "other:",
    "  processes: 9",
  ].join("\n");
  assert.deepEqual(kv(text), [
    ["socket", "127.0.0.1:0", 3],
    ["socket", "127.0.0.1:1", 4],
    ["env", "A=1", 5],
    ["env", "B=#2", 6],
    ["cron", "-1 -1 -1 -1 -1 ls", 7],
    ["cron", "0 3 -1 -1 -1 backup", 7],
    ["spooler", "/a", 10],
    ["spooler", "/b", 10],
    ["master", "true", 11],
    ["chmod-socket", "0660", 12],
    ["vacuum", true, 13],
  ]);
  assert.deepEqual(kv(text, "other"), [["processes", "9", 15]]);
});

test("yaml: errors name the file and line", () => {
  const isFileError = (re: RegExp) => (e: unknown) => isUwsgiError(e, "UWSGI_ERR_CONFIG_FILE") && re.test(e.message);
  assert.throws(() => kv("uwsgi:\n  a: [1\n"), isFileError(/t\.yaml: line \d+: invalid YAML/));
  assert.throws(() => kv("other:\n  a: 1\n"), isFileError(/no mapping named "uwsgi"/));
  assert.throws(() => kv("- a\n- b\n"), isFileError(/line 1: the document must be a mapping/));
  assert.throws(() => kv("uwsgi:\n  a:\n    b: 1\n"), isFileError(/line 3: option a must be a scalar/));
  assert.throws(() => kv("uwsgi: 3\n"), isFileError(/line 1: "uwsgi" must be a mapping/));
});

test("yaml: an empty section gives no entries", () => {
  assert.deepEqual(kv("uwsgi:\n"), []);
});
