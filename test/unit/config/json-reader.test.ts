import { test } from "node:test";
import assert from "node:assert/strict";
import { parseJsonConfig } from "../../../src/config/json-reader.js";
import { isUwsgiError } from "../../../src/errors.js";

const kv = (text: string, section = "uwsgi") => parseJsonConfig(text, "t.json", section).map((e) => [e.key, e.value, e.line]);

test("json: strings, numbers, true, false/null (\"0\") and lists, with the key's line", () => {
  const text = '{\n  "uwsgi": {\n    "socket": [":1", ":2"],\n    "master": true,\n    "processes": 4,\n    "vacuum": false,\n    "logto": null\n  }\n}';
  assert.deepEqual(kv(text), [
    ["socket", ":1", 3],
    ["socket", ":2", 3],
    ["master", true, 4],
    ["processes", "4", 5],
    ["vacuum", "0", 6],
    ["logto", "0", 7],
  ]);
});

test("json: another object is chosen by name; nested keys of the same name elsewhere do not confuse lines", () => {
  const text = '{"uwsgi": {"a": "1"},\n "app": {\n  "a": "2",\n  "b": {"x": 1}\n }}';
  assert.deepEqual(kv(text, "uwsgi"), [["a", "1", 1]]);
  assert.throws(() => kv(text, "app"), (e: unknown) => isUwsgiError(e, "UWSGI_ERR_CONFIG_FILE") && /t\.json: line 4: option b/.test(e.message));
});

test("json: syntax errors and a missing object name the file (and line when known)", () => {
  assert.throws(() => kv('{"uwsgi": {\n "a": 1,\n}}'), (e: unknown) => isUwsgiError(e, "UWSGI_ERR_CONFIG_FILE") && /t\.json: line 3: invalid JSON/.test(e.message));
  assert.throws(() => kv('{"other": {}}'), (e: unknown) => isUwsgiError(e, "UWSGI_ERR_CONFIG_FILE") && /no object named "uwsgi"/.test(e.message));
  assert.throws(() => kv('["uwsgi"]'), (e: unknown) => isUwsgiError(e, "UWSGI_ERR_CONFIG_FILE"));
  assert.throws(() => kv('{"uwsgi": "x"}'), (e: unknown) => isUwsgiError(e, "UWSGI_ERR_CONFIG_FILE"));
});

test("json: keys with escapes and strings containing braces are located correctly", () => {
  const text = '{"note": "{[\\"", "uwsgi": {\n"a\\u0062": "}",\n"c": "x"}}';
  assert.deepEqual(kv(text), [["ab", "}", 2], ["c", "x", 3]]);
});
