// The type tests: tsc (strict, nodenext) over test/types/, against the shipped declarations
// (dist/*.d.ts through the package's exports). Expected errors are `@ts-expect-error` lines.
import { test } from "node:test";
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { createRequire } from "node:module";
import { fileURLToPath } from "node:url";

const ROOT = fileURLToPath(new URL("../../../../", import.meta.url));

test("type tests: cache results match the runtime (remote names are Promises, a plain string may be either), error codes are checked", () => {
  const tsc = createRequire(import.meta.url).resolve("typescript/bin/tsc");
  const r = spawnSync(process.execPath, [tsc, "-p", "test/types/tsconfig.json"], { cwd: ROOT, encoding: "utf8" });
  assert.equal(r.status, 0, `tsc over test/types failed:\n${r.stdout}${r.stderr}`);
});
