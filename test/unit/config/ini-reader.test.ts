import { test } from "node:test";
import assert from "node:assert/strict";
import { parseIni } from "../../../src/config/ini-reader.js";
import { isUwsgiError } from "../../../src/errors.js";

const kv = (text: string, section = "uwsgi") => parseIni(text, "t.ini", section).map((e) => [e.key, e.value, e.line]);

test("ini: key = value, bare keys, repeated keys, whitespace and CRLF", () => {
  const text = "[uwsgi]\r\n  socket = :3031 \r\nmaster\r\nsocket=:3032\r\n\tprocesses\t=\t4\t\r\n";
  assert.deepEqual(kv(text), [
    ["socket", ":3031", 2],
    ["master", true, 3],
    ["socket", ":3032", 4],
    ["processes", "4", 5],
  ]);
});

test("ini: only the asked section is read, even when split in parts", () => {
  const text = "[uwsgi]\na = 1\n[other]\na = 2\n[uwsgi]\nb = 3\n";
  assert.deepEqual(kv(text), [["a", "1", 2], ["b", "3", 6]]);
  assert.deepEqual(kv(text, "other"), [["a", "2", 4]]);
});

test("ini: ; and # start comment lines; there are no inline comments", () => {
  const text = "; top\n[uwsgi]\n# comment\n  ; indented comment\nprocesses = 4 ; not a comment\nempty =\n";
  assert.deepEqual(kv(text), [["processes", "4 ; not a comment", 5], ["empty", "", 6]]);
});

test("ini: the value is everything after the first = (values may contain =)", () => {
  assert.deepEqual(kv("[uwsgi]\nenv = A=B=C\n"), [["env", "A=B=C", 2]]);
});

test("ini: a missing section or a malformed header is an error naming the file and line", () => {
  assert.throws(() => parseIni("[app]\na=1\n", "t.ini", "uwsgi"), (e: unknown) => isUwsgiError(e, "UWSGI_ERR_CONFIG_FILE") && /t\.ini.*\[uwsgi\] not found/.test(e.message));
  assert.throws(() => parseIni("[uwsgi\na=1\n", "t.ini", "uwsgi"), (e: unknown) => isUwsgiError(e, "UWSGI_ERR_CONFIG_FILE") && /t\.ini: line 1: malformed section/.test(e.message));
  assert.throws(() => parseIni("[uwsgi]\n= 1\n", "t.ini", "uwsgi"), (e: unknown) => isUwsgiError(e, "UWSGI_ERR_CONFIG_FILE") && /line 2/.test(e.message));
});

test("ini: an empty section is fine", () => {
  assert.deepEqual(kv("[uwsgi]\n[other]\nx=1\n"), []);
});
