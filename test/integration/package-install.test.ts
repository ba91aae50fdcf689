// The package as users get it: `npm pack` from a fresh clone (prepack builds dist/ and the
// prebuilt addons), installed into a new project on a PATH without any compiler, make or
// python; then the stub tests and the hello app under the server run from that install.
import { test, before, after } from "node:test";
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { existsSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { packAndInstall, type PackedInstall } from "../support/packed-install.js";
import { httpRequest, startServer } from "./server-harness.js";

let pkg: PackedInstall;
before(() => {
  pkg = packAndInstall();
});
after(() => pkg?.cleanup());

const ELF_MACHINE = { x64: 0x3e, arm64: 0xb7 } as const;

test("npm pack ships dist/ with types, no source maps, LICENSE, docs, examples and four prebuilt addons", () => {
  const files = new Set(pkg.tarballFiles);
  for (const f of ["package/dist/index.js", "package/dist/index.d.ts", "package/dist/testing.js", "package/dist/cli.js", "package/LICENSE", "package/README.md", "package/docs/errors.md", "package/examples/hello.mjs", "package/native/binding.gyp", "package/native/src/uwsgi_native.c"]) {
    assert.ok(files.has(f), `${f} is missing from the tarball`);
  }
  assert.deepEqual(pkg.tarballFiles.filter((f) => f.endsWith(".map")), [], "no source maps (src/ is not shipped)");
  assert.deepEqual(pkg.tarballFiles.filter((f) => f.startsWith("package/src/") || f.startsWith("package/native/build/")), [], "neither src/ nor a local build");
  const manifest = JSON.parse(readFileSync(join(pkg.project, "node_modules/uwsgi-node/package.json"), "utf8")) as { license: string; repository?: unknown };
  assert.equal(manifest.license, "MIT");
  assert.ok(manifest.repository, "repository is set");
  // each prebuild is an ELF shared object for its architecture, linked against its libc
  for (const [arch, libc] of [["x64", "glibc"], ["x64", "musl"], ["arm64", "glibc"], ["arm64", "musl"]] as const) {
    const file = join(pkg.project, `node_modules/uwsgi-node/native/prebuilds/linux-${arch}/uwsgi_native.${libc}.node`);
    assert.ok(existsSync(file), `${file} is missing`);
    const bytes = readFileSync(file);
    assert.equal(bytes.subarray(0, 4).toString("latin1"), "\x7fELF", `${arch} ${libc}: not ELF`);
    assert.equal(bytes.readUInt16LE(18), ELF_MACHINE[arch], `${arch} ${libc}: e_machine`);
    const glibc = bytes.includes("libc.so.6");
    assert.equal(glibc, libc === "glibc", `${arch} ${libc}: ${glibc ? "links glibc's libc.so.6" : "does not link libc.so.6"}`);
  }
});

test("npm install without a compiler on PATH uses the prebuilt addon and builds nothing", () => {
  assert.match(pkg.installLog, /uwsgi-node: using the prebuilt addon native\/prebuilds\/linux-x64\/uwsgi_native\.glibc\.node/);
  assert.equal(existsSync(join(pkg.project, "node_modules/uwsgi-node/native/build")), false, "nothing was compiled");
  const bare = spawnSync("sh", ["-c", "command -v cc gcc make python3 || true"], { env: pkg.bareEnv, encoding: "utf8" });
  assert.equal(bare.stdout.trim(), "", "the install PATH has no compiler, make or python");
});

test("the stub and uwsgi-node/testing run from the install under node:test without loading the addon", () => {
  const testFile = join(pkg.project, "stub.test.mjs");
  writeFileSync(
    testFile,
    `import { test } from "node:test";
import assert from "node:assert/strict";
import { uwsgi, isUwsgiError } from "uwsgi-node";
import { configure, advance } from "uwsgi-node/testing";

test("caches and timers on the stub", async () => {
  assert.equal(uwsgi.is_stub, true);
  configure(["--cache2", "name=default,items=10"]);
  uwsgi.cache_update("k", "v");
  assert.equal(uwsgi.cache_get("k").toString(), "v");
  assert.equal(uwsgi.cache_inc("n", 2), true);
  let fired = 0;
  uwsgi.register_signal(10, "workers", () => fired++);
  uwsgi.add_timer(10, 5);
  await advance(5000);
  assert.equal(fired, 1);
  assert.throws(() => uwsgi.lock(9), (err) => isUwsgiError(err));
});
`,
  );
  // a preload that makes loading any native addon fail: the stub must not need one
  const guard = join(pkg.project, "no-addon.mjs");
  writeFileSync(guard, `process.dlopen = () => { throw new Error("the stub loaded a native addon"); };\n`);
  const r = spawnSync(process.execPath, ["--import", guard, "--test", testFile], { cwd: pkg.project, env: pkg.bareEnv, encoding: "utf8" });
  assert.equal(r.status, 0, `${r.stdout}${r.stderr}`);
  assert.match(r.stdout, /# pass 1/);
});

test("the hello app runs under the installed server (shared memory through the prebuilt addon)", async () => {
  const app = join(pkg.project, "hello.mjs");
  writeFileSync(app, readFileSync(join(pkg.project, "node_modules/uwsgi-node/examples/hello.mjs")));
  const cli = join(pkg.project, "node_modules/uwsgi-node/dist/cli.js");
  const server = await startServer(["--http", "127.0.0.1:0", "--master", "--processes", "2", "--cache2", "name=default,items=10", app], { cli, cwd: pkg.project, env: pkg.bareEnv });
  try {
    const reply = await httpRequest(server.port, "/");
    assert.equal(reply.status, 200);
    assert.match(reply.body, /^Hello from worker [12] of 2 \(pid \d+\)/);
  } finally {
    await server.stop();
  }
});
