/**
 * The layering the runtime relies on, checked on the TypeScript sources' import graph: the
 * server never reaches the stub (not even transitively), the stub is a leaf that only the facade
 * and the testing helpers import, and `require("uwsgi-node")` works (the facade picks the backend
 * without top-level await).
 */
import { test } from "node:test";
import assert from "node:assert/strict";
import { execFileSync } from "node:child_process";
import { readdirSync, readFileSync, statSync } from "node:fs";
import { dirname, join, relative, resolve } from "node:path";

const root = join(import.meta.dirname, "..", "..", "..", "..");
const src = join(root, "src");

function files(dir: string): string[] {
  return readdirSync(dir).flatMap((name) => {
    const full = join(dir, name);
    return statSync(full).isDirectory() ? files(full) : full.endsWith(".ts") ? [full] : [];
  });
}

/** Relative imports of a source file (static, re-exports and dynamic), as .ts paths. */
function importsOf(file: string): string[] {
  const text = readFileSync(file, "utf8");
  const out: string[] = [];
  for (const m of text.matchAll(/(?:from\s+|import\s*\(\s*|import\s+)["'](\.[^"']+)["']/g)) {
    out.push(resolve(dirname(file), m[1]!.replace(/\.js$/, ".ts")));
  }
  return out;
}

function closure(entries: string[]): Set<string> {
  const seen = new Set<string>();
  const stack = [...entries];
  while (stack.length) {
    const f = stack.pop()!;
    if (seen.has(f)) continue;
    seen.add(f);
    stack.push(...importsOf(f));
  }
  return seen;
}

const rel = (f: string) => relative(root, f);
const underStub = (f: string) => f.startsWith(join(src, "stub") + "/");

test("import graph: nothing under src/server reaches src/stub, directly or transitively", () => {
  const server = files(join(src, "server"));
  assert.ok(server.length > 10, "the server sources are found");
  const reached = [...closure(server)].filter(underStub).map(rel);
  assert.deepEqual(reached, []);
});

test("import graph: the CLI (the master) does not reach src/stub", () => {
  const reached = [...closure([join(src, "cli.ts")])].filter(underStub).map(rel);
  assert.deepEqual(reached, []);
});

test("import graph: src/stub is a leaf imported only by the facade and the testing helpers", () => {
  const importers = files(src)
    .filter((f) => !underStub(f))
    .filter((f) => importsOf(f).some(underStub))
    .map(rel)
    .sort();
  assert.deepEqual(importers, ["src/testing.ts", "src/uwsgi.ts"]);
});

test("facade: require(\"uwsgi-node\") works (no top-level await anywhere in the module's graph)", () => {
  const script = `const m = require(${JSON.stringify(join(root, "dist", "index.js"))}); const t = require(${JSON.stringify(join(root, "dist", "testing.js"))}); process.stdout.write(JSON.stringify([m.uwsgi.is_stub, typeof t.configure]));`;
  const out = execFileSync(process.execPath, ["-e", script], { env: { PATH: process.env.PATH ?? "" }, encoding: "utf8" });
  assert.equal(out, '[true,"function"]');
});
