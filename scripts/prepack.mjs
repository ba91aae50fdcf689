#!/usr/bin/env node
// `npm pack` / `npm publish`: builds what the package ships from a clean state: dist/ (tsc, no
// source maps: src/ is not shipped) and the prebuilt addons for linux x64/arm64, glibc/musl
// (scripts/prebuild.mjs --require-all: a package never ships without one of them).
import { spawnSync } from "node:child_process";
import { rmSync } from "node:fs";
import { createRequire } from "node:module";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";

const root = join(dirname(fileURLToPath(import.meta.url)), "..");
const run = (args) => {
  const r = spawnSync(process.execPath, args, { cwd: root, stdio: "inherit" });
  if (r.status !== 0) process.exit(r.status ?? 1);
};
rmSync(join(root, "dist"), { recursive: true, force: true });
run([createRequire(import.meta.url).resolve("typescript/bin/tsc"), "-p", "tsconfig.json"]);
run([join(root, "scripts", "prebuild.mjs"), "--require-all"]);
