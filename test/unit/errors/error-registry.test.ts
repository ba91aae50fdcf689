import { test } from "node:test";
import assert from "node:assert/strict";
import { readFileSync, readdirSync, statSync } from "node:fs";
import { join } from "node:path";
import { ERROR_CODES, UwsgiError, isUwsgiError } from "../../../src/errors.js";

const root = join(import.meta.dirname, "..", "..", "..", "..");

function sourceFiles(dir: string): string[] {
  return readdirSync(dir).flatMap((name) => {
    const full = join(dir, name);
    return statSync(full).isDirectory() ? sourceFiles(full) : full.endsWith(".ts") ? [full] : [];
  });
}

test("docs/errors.md lists every error code with its kind, and nothing else", () => {
  const doc = readFileSync(join(root, "docs", "errors.md"), "utf8");
  for (const [code, spec] of Object.entries(ERROR_CODES)) {
    assert.match(doc, new RegExp(`\\| \`${code}\` \\| ${spec.kind} \\|`), `${code} missing from docs/errors.md (run scripts/generate-error-docs.mjs)`);
  }
  const documented = [...doc.matchAll(/`(UWSGI_ERR_[A-Z0-9_]+)`/g)].map((m) => m[1]!);
  assert.deepEqual(documented.filter((c) => !(c in ERROR_CODES)), []);
});

test("every UWSGI_ERR_ code named in src/ exists in the registry", () => {
  const unknown = sourceFiles(join(root, "src")).flatMap((file) =>
    [...readFileSync(file, "utf8").matchAll(/UWSGI_ERR_[A-Z0-9_]+/g)].map((m) => m[0]).filter((c) => !(c in ERROR_CODES)).map((c) => `${c} in ${file}`),
  );
  assert.deepEqual(unknown, []);
});

test("UwsgiError fills the message template and carries code and kind", () => {
  const err = new UwsgiError("UWSGI_ERR_LOCK_INVALID", 7);
  assert.equal(err.message, "Invalid lock number 7");
  assert.equal(err.code, "UWSGI_ERR_LOCK_INVALID");
  assert.equal(err.kind, "ValueError");
  assert.ok(isUwsgiError(err, "UWSGI_ERR_LOCK_INVALID"));
  assert.ok(!isUwsgiError(err, "UWSGI_ERR_CACHE_OPTION"));
  assert.ok(!isUwsgiError(new Error("x")));
});
