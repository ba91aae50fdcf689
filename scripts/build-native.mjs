#!/usr/bin/env node
// Builds the Node-API addon in native/ with node-gyp during `npm install`.
// Linux only: elsewhere it explains why and exits 0, so the stub keeps working without the addon.
// Offline by design: node-gyp is pointed at the running Node's own headers (include/node) when
// they are installed, so it never downloads a header tarball.
import { spawnSync } from "node:child_process";
import { existsSync } from "node:fs";
import { delimiter, dirname, join } from "node:path";
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

function fail(reason) {
  console.error(`uwsgi-node: cannot build the native addon: ${reason}`);
  console.error("uwsgi-node: the server (shared caches, locks, signals between processes) needs it; the in-process stub does not.");
  process.exit(1);
}

function onPath(names) {
  const dirs = (process.env.PATH ?? "").split(delimiter).filter(Boolean);
  return names.some((name) => dirs.some((dir) => existsSync(join(dir, name))));
}

// node-gyp itself: the one npm hands to lifecycle scripts, a local install, or npm's bundled copy.
const nodePrefix = dirname(dirname(process.execPath));
const gypScript = [
  process.env.npm_config_node_gyp,
  join(root, "node_modules", "node-gyp", "bin", "node-gyp.js"),
  join(nodePrefix, "lib", "node_modules", "npm", "node_modules", "node-gyp", "bin", "node-gyp.js"),
].find((p) => p && existsSync(p));
if (!gypScript && !onPath(["node-gyp"])) fail("node-gyp was not found (it ships with npm; or install it with `npm i -g node-gyp`).");

const missing = [];
if (!process.env.CC && !onPath(["cc", "gcc", "clang"])) missing.push("a C compiler (cc/gcc)");
if (!onPath(["make"])) missing.push("make");
if (!process.env.PYTHON && !onPath(["python3", "python"])) missing.push("python3");
if (missing.length > 0) fail(`missing ${missing.join(", ")} (on Debian/Ubuntu: apt-get install build-essential python3).`);

// Headers: an explicit nodedir wins; otherwise use the installed Node's include/node if present.
const args = ["rebuild", "--directory", nativeDir];
if (!process.env.npm_config_nodedir && existsSync(join(nodePrefix, "include", "node", "node_api.h"))) {
  args.push(`--nodedir=${nodePrefix}`);
}

const result = gypScript
  ? spawnSync(process.execPath, [gypScript, ...args], { stdio: "inherit" })
  : spawnSync("node-gyp", args, { stdio: "inherit", shell: false });
if (result.status !== 0) {
  fail(`node-gyp exited with ${result.status ?? result.signal} (see its output above; Node's headers must be installed or nodedir set).`);
}
