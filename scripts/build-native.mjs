#!/usr/bin/env node
// Builds the Node-API addon in native/ with node-gyp during `npm install`.
// Linux only: elsewhere it explains why and exits 0, so the stub keeps working without the addon.
import { spawnSync } from "node:child_process";
import { existsSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";

const root = join(dirname(fileURLToPath(import.meta.url)), "..");
const nativeDir = join(root, "native");

if (process.platform !== "linux") {
  console.warn(`uwsgi-node: the shared-memory addon targets Linux; ${process.platform} gets the in-process stub only.`);
  process.exit(0);
}
if (!existsSync(join(nativeDir, "binding.gyp"))) {
  process.exit(0);
}
// npm ships node-gyp; prefer the one npm exposes to lifecycle scripts, then a local install.
const candidates = [process.env.npm_config_node_gyp, join(root, "node_modules", "node-gyp", "bin", "node-gyp.js")]
  .filter((p) => p && existsSync(p));
const args = ["rebuild", "--directory", nativeDir];
const result = candidates.length > 0
  ? spawnSync(process.execPath, [candidates[0], ...args], { stdio: "inherit" })
  : spawnSync("node-gyp", args, { stdio: "inherit", shell: false });
if (result.status !== 0) {
  console.error("uwsgi-node: building the native addon failed (node-gyp, a C compiler and Node's headers are needed). The server needs it; the stub does not.");
  process.exit(result.status ?? 1);
}
