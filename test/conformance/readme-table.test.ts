/**
 * The README's per-area table of seed names agrees with seed-manifest.ts (the statuses the
 * server-side conformance test asserts): it is generated from it and must be regenerated when
 * the manifest changes (`npm run build:test && node scripts/generate-feature-table.mjs`).
 */
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { test } from "node:test";
import { AREAS, README_BEGIN, README_END, renderSeedTable, SEED_MANIFEST } from "./seed-manifest.js";

const readme = readFileSync(new URL("../../../README.md", import.meta.url), "utf8");

test("the README's seed-name table is the one generated from seed-manifest.ts", () => {
  const begin = readme.indexOf(README_BEGIN);
  const end = readme.indexOf(README_END);
  assert.ok(begin >= 0 && end > begin, "README.md has the generated block");
  assert.equal(readme.slice(begin, end + README_END.length), renderSeedTable(), "README.md is stale: run `npm run build:test && node scripts/generate-feature-table.mjs`");
});

test("the block sits in the Features section and lists every seed name once, under one area", () => {
  const features = readme.indexOf("## Features");
  const next = readme.indexOf("\n## ", features + 1);
  const begin = readme.indexOf(README_BEGIN);
  assert.ok(features >= 0 && begin > features && begin < next, "inside ## Features");
  const block = renderSeedTable();
  for (const name of Object.keys(SEED_MANIFEST)) {
    const rows = block.split("\n").filter((l) => l.startsWith("| ") && l.split(" | ")[1]!.split(", ").includes(`\`${name}\``));
    assert.equal(rows.length, 1, name);
    assert.ok(rows[0]!.startsWith(`| ${AREAS[SEED_MANIFEST[name]!.area].title} |`), name);
  }
});

test("the stub has the same placeholders and coded errors (the 'Python-only' row's stub column)", async () => {
  const { uwsgi } = await import("../../src/uwsgi.js");
  assert.equal(uwsgi.is_stub, true);
  const u = uwsgi as unknown as Record<string, unknown>;
  for (const [name, entry] of Object.entries(SEED_MANIFEST)) {
    const s = entry.server;
    if (s === "real") continue;
    if ("placeholder" in s) {
      assert.equal(u[name], null, name);
    } else {
      assert.throws(() => (u[name] as (...a: string[]) => unknown)("x", "y"), (err: { code?: string }) => err.code === s.error, name);
    }
  }
});
