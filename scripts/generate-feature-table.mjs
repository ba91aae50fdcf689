#!/usr/bin/env node
// Rewrites the README block of seed names by area from test/conformance/seed-manifest.ts.
// Usage: npm run build:test && node scripts/generate-feature-table.mjs
import { readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";

const root = join(import.meta.dirname, "..");
const { README_BEGIN, README_END, renderSeedTable } = await import(join(root, "build", "test", "conformance", "seed-manifest.js"));
const path = join(root, "README.md");
const text = readFileSync(path, "utf8");
const begin = text.indexOf(README_BEGIN);
const end = text.indexOf(README_END);
let next;
if (begin >= 0 && end > begin) {
  next = text.slice(0, begin) + renderSeedTable() + text.slice(end + README_END.length);
} else {
  // first time: right after the feature table, before the next section
  const at = text.indexOf("\n## Running in production");
  if (at < 0) throw new Error("README.md: no '## Running in production' section to put the table before");
  next = `${text.slice(0, at)}\n${renderSeedTable()}\n${text.slice(at)}`;
}
if (next !== text) writeFileSync(path, next);
console.log(next === text ? "README.md is up to date" : "README.md updated");
