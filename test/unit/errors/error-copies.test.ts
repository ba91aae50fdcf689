// Two copies of the package (a global `npx uwsgi-node` and the app's own dependency) each load
// their own errors module: an error made by one must be recognised by the other.
import { test } from "node:test";
import assert from "node:assert/strict";
import { copyFileSync, mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath, pathToFileURL } from "node:url";
import { UwsgiError, isUwsgiError } from "../../../src/errors.js";

type ErrorsModule = typeof import("../../../src/errors.js");

test("regression: isUwsgiError was false across two copies of the package; instanceof and isUwsgiError now work across copies", async (t) => {
  const source = fileURLToPath(new URL("../../../src/errors.js", import.meta.url));
  const dir = mkdtempSync(join(tmpdir(), "uwsgi-node-error-copies-"));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  const copies: ErrorsModule[] = [];
  for (const name of ["a", "b"]) {
    const file = join(dir, `${name}-errors.js`);
    copyFileSync(source, file);
    copies.push((await import(pathToFileURL(file).href)) as ErrorsModule);
  }
  const [a, b] = copies as [ErrorsModule, ErrorsModule];
  assert.notEqual(a.UwsgiError, b.UwsgiError, "two distinct classes");
  const fromA = new a.UwsgiError("UWSGI_ERR_LOCK_INVALID", 9);
  assert.ok(fromA instanceof b.UwsgiError, "instanceof across copies");
  assert.ok(fromA instanceof UwsgiError, "and against this copy");
  assert.equal(b.isUwsgiError(fromA), true);
  assert.equal(b.isUwsgiError(fromA, "UWSGI_ERR_LOCK_INVALID"), true, "matched on its code");
  assert.equal(b.isUwsgiError(fromA, "UWSGI_ERR_SHM"), false);
  assert.ok(fromA instanceof Error);
  // not fooled by look-alikes
  for (const other of [new Error("x"), Object.assign(new Error("x"), { code: "UWSGI_ERR_LOCK_INVALID" }), null, undefined, 1, "UWSGI_ERR_LOCK_INVALID", {}]) {
    assert.equal(isUwsgiError(other), false, String(other));
    assert.equal(other instanceof b.UwsgiError, false, String(other));
  }
});

test("a subclass of UwsgiError keeps the ordinary instanceof check", () => {
  class Special extends UwsgiError {}
  const special = new Special("UWSGI_ERR_SHM", "x");
  assert.ok(special instanceof Special);
  assert.ok(special instanceof UwsgiError);
  assert.equal(new UwsgiError("UWSGI_ERR_SHM", "x") instanceof Special, false);
});
