#!/usr/bin/env node
// `npm install` of uwsgi-node: uses the prebuilt Node-API addon shipped in native/prebuilds/
// (linux x64/arm64, glibc/musl) when one fits this machine, else builds native/ with node-gyp.
// `--from-source` always builds. Without a fitting prebuild and without a compiler it warns and
// exits 0: the install goes on, the stub and `uwsgi-node/testing` never need the addon, and the
// server says at start that the addon is missing (UWSGI_ERR_NATIVE_UNAVAILABLE).
// Linux only: elsewhere it explains why and exits 0, so the stub keeps working without the addon.
// Offline by design: node-gyp is pointed at the running Node's own headers (include/node) when
// they are installed, so it never downloads a header tarball.
import { spawnSync } from "node:child_process";
import { existsSync, readdirSync } from "node:fs";
import { createRequire } from "node:module";
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
  console.warn(`uwsgi-node: cannot build the native addon: ${reason}`);
  console.warn("uwsgi-node: the server (shared caches, locks, signals between processes) needs it; the in-process stub does not.");
  process.exit(0);
}

// A prebuild that fits (node-gyp-build's own choice: platform, arch, libc) means nothing to build.
if (!process.argv.includes("--from-source") && existsSync(join(nativeDir, "prebuilds"))) {
  try {
    const found = createRequire(import.meta.url)("node-gyp-build").resolve(nativeDir);
    if (!found.startsWith(join(nativeDir, "build"))) {
      console.log(`uwsgi-node: using the prebuilt addon ${found.slice(root.length + 1)}`);
      process.exit(0);
    }
  } catch {
    const have = readdirSync(join(nativeDir, "prebuilds")).join(", ");
    console.log(`uwsgi-node: no prebuilt addon for linux-${process.arch} here (have ${have}); building from source`);
  }
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
