#!/usr/bin/env node
// Builds the prebuilt Node-API addons shipped inside the npm package, with prebuildify, into
// native/prebuilds/linux-<arch>/ (where node-gyp-build finds them at run time):
//   linux-x64   glibc  host gcc
//   linux-x64   musl   musl-gcc                          (Debian musl-tools)
//   linux-arm64 glibc  aarch64-linux-gnu-gcc             (Debian gcc-aarch64-linux-gnu)
//   linux-arm64 musl   aarch64-linux-gnu-gcc + musl specs (Debian musl-dev:arm64, multiarch)
// One Node-API (NAPI_VERSION 8) build serves every Node >= 20.19. Offline: node-gyp uses the
// running Node's own headers (include/node). A target whose toolchain is missing is reported
// and skipped; the host target must build. `--require-all` makes a missing toolchain an error
// (the `prepack` script uses it, so a published package always carries all four).
import { spawnSync } from "node:child_process";
import { existsSync, mkdtempSync, renameSync, rmSync, symlinkSync } from "node:fs";
import { tmpdir } from "node:os";
import { createRequire } from "node:module";
import { delimiter, dirname, join } from "node:path";
import { fileURLToPath } from "node:url";

const root = join(dirname(fileURLToPath(import.meta.url)), "..");
const nativeDir = join(root, "native");
const requireAll = process.argv.includes("--require-all");
const require = createRequire(import.meta.url);

const nodePrefix = dirname(dirname(process.execPath));
// Node-API headers of any Node >= 20 serve (the addon asks for NAPI_VERSION 8): the running
// Node's own, else the system Node's (a Node from the `node` npm package ships no headers).
const nodedir = [process.env.npm_config_nodedir, nodePrefix, "/usr", "/usr/local"].find((d) => d && existsSync(join(d, "include", "node", "node_api.h")));
if (!nodedir) {
  console.error(`prebuild: no Node headers (include/node/node_api.h) under ${nodePrefix}, /usr or /usr/local (set npm_config_nodedir)`);
  process.exit(1);
}
const gypScript = [
  process.env.npm_config_node_gyp,
  join(root, "node_modules", "node-gyp", "bin", "node-gyp.js"),
  join(nodePrefix, "lib", "node_modules", "npm", "node_modules", "node-gyp", "bin", "node-gyp.js"),
].find((p) => p && existsSync(p));
if (!gypScript) {
  console.error("prebuild: node-gyp was not found (it ships with npm)");
  process.exit(1);
}

function onPath(name) {
  return (process.env.PATH ?? "").split(delimiter).some((dir) => dir && existsSync(join(dir, name)));
}

/**
 * musl-gcc sees musl's headers only; the addon also needs the kernel's (linux/futex.h), which
 * are libc-independent: a directory of links to Debian's copies for that architecture.
 */
const kernelHeaderDirs = [];
function kernelHeaders(asmDir, uapiDir) {
  const dir = mkdtempSync(join(tmpdir(), "uwsgi-node-kernel-headers-"));
  kernelHeaderDirs.push(dir);
  symlinkSync(join(uapiDir, "linux"), join(dir, "linux"));
  symlinkSync(join(uapiDir, "asm-generic"), join(dir, "asm-generic"));
  symlinkSync(asmDir, join(dir, "asm"));
  return `-isystem ${dir}`;
}

const ARM64_MUSL_SPECS = "/usr/lib/aarch64-linux-musl/musl-gcc.specs";
const targets = [
  { arch: "x64", libc: "glibc", cc: "gcc", strip: "strip", needs: ["gcc"], apt: "build-essential" },
  { arch: "x64", libc: "musl", cc: () => `musl-gcc ${kernelHeaders("/usr/include/x86_64-linux-gnu/asm", "/usr/include")}`, strip: "strip", needs: ["musl-gcc"], apt: "musl-tools" },
  { arch: "arm64", libc: "glibc", cc: "aarch64-linux-gnu-gcc", strip: "aarch64-linux-gnu-strip", needs: ["aarch64-linux-gnu-gcc"], apt: "gcc-aarch64-linux-gnu" },
  {
    arch: "arm64",
    libc: "musl",
    cc: () => `aarch64-linux-gnu-gcc -specs=${ARM64_MUSL_SPECS} ${kernelHeaders("/usr/aarch64-linux-gnu/include/asm", "/usr/aarch64-linux-gnu/include")}`,
    strip: "aarch64-linux-gnu-strip",
    needs: ["aarch64-linux-gnu-gcc"],
    files: [ARM64_MUSL_SPECS, "/usr/aarch64-linux-gnu/include/linux/futex.h"],
    apt: "gcc-aarch64-linux-gnu and musl-dev:arm64 (dpkg --add-architecture arm64)",
  },
];

const prebuildify = require.resolve("prebuildify/bin.js");
// prebuildify builds in native/build: keep a local from-source build (the one node-gyp-build
// prefers) aside and put it back afterwards.
const localBuild = join(nativeDir, "build");
const savedBuild = join(nativeDir, `build.saved-${process.pid}`);
if (existsSync(localBuild)) renameSync(localBuild, savedBuild);
const skipped = [];
for (const t of targets) {
  const missing = [...t.needs.filter((n) => !onPath(n)), ...(t.files ?? []).filter((f) => !existsSync(f))];
  const label = `linux-${t.arch} ${t.libc}`;
  if (missing.length > 0) {
    skipped.push(`${label}: missing ${missing.join(", ")} (Debian: ${t.apt})`);
    continue;
  }
  rmSync(join(nativeDir, "build"), { recursive: true, force: true });
  const cc = typeof t.cc === "function" ? t.cc() : t.cc;
  const env = {
    ...process.env,
    CC: cc,
    LINK: cc,
    CXX: cc,
    npm_config_nodedir: nodedir,
    PREBUILD_NODE_GYP: gypScript, // executable, #!/usr/bin/env node
  };
  console.log(`prebuild: ${label}`);
  const args = [prebuildify, "--napi", "--strip", "--strip-bin", t.strip, "--arch", t.arch, "--libc", t.libc, "--tag-libc", "--name", "uwsgi_native", "--quiet"];
  const r = spawnSync(process.execPath, args, { cwd: nativeDir, env, stdio: "inherit" });
  if (r.status !== 0) {
    cleanup();
    console.error(`prebuild: ${label} failed (exit ${r.status ?? r.signal})`);
    process.exit(1);
  }
}
// The cross builds leave native/build/ holding a foreign binary: drop it (cleanup() restores a
// local build that was there before).
rmSync(localBuild, { recursive: true, force: true });
cleanup();
for (const s of skipped) console.warn(`prebuild: skipped ${s}`);
if (skipped.length > 0 && requireAll) {
  console.error("prebuild: --require-all: every target must be built");
  process.exit(1);
}

function cleanup() {
  for (const dir of kernelHeaderDirs) rmSync(dir, { recursive: true, force: true });
  if (existsSync(savedBuild)) {
    rmSync(localBuild, { recursive: true, force: true });
    renameSync(savedBuild, localBuild);
  }
}
