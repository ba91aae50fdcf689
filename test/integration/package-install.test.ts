// The package as users get it: `npm pack` from a fresh clone (prepack builds dist/ and the
// prebuilt addons), installed into a new project on a PATH without any compiler, make or
// python; then the stub tests and the hello app under the server run from that install, and
// CommonJS and TypeScript (module commonjs and nodenext) consumers compile and run against it.
import { test, before, after } from "node:test";
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { existsSync, mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { createRequire } from "node:module";
import { join } from "node:path";
import { REPO, packAndInstall, type PackedInstall } from "../support/packed-install.js";
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
  // the TAP reporter on every Node (Node 24's default without a terminal is the spec reporter)
  const r = spawnSync(process.execPath, ["--import", guard, "--test", "--test-reporter=tap", testFile], { cwd: pkg.project, env: pkg.bareEnv, encoding: "utf8" });
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

test("require(\"uwsgi-node\") and require(\"uwsgi-node/testing\") work from a CommonJS project (require(esm), Node >= 20.19)", () => {
  const dir = join(pkg.project, "cjs");
  mkdirSync(dir, { recursive: true });
  writeFileSync(join(dir, "package.json"), JSON.stringify({ name: "cjs-consumer", private: true, type: "commonjs" }));
  writeFileSync(
    join(dir, "main.js"),
    `const { uwsgi, isUwsgiError, UwsgiError } = require("uwsgi-node");
const { configure } = require("uwsgi-node/testing");
configure(["--cache2", "name=default,items=10"]);
uwsgi.cache_update("k", "from-cjs");
let coded = false;
try { uwsgi.lock(7); } catch (err) { coded = isUwsgiError(err) && err instanceof UwsgiError; }
console.log(JSON.stringify({ stub: uwsgi.is_stub, value: String(uwsgi.cache_get("k")), coded }));
`,
  );
  const r = spawnSync(process.execPath, ["main.js"], { cwd: dir, env: pkg.bareEnv, encoding: "utf8" });
  assert.equal(r.status, 0, r.stderr);
  assert.deepEqual(JSON.parse(r.stdout), { stub: true, value: "from-cjs", coded: true });
});

/** Compiles `dir` with the repository's TypeScript, then runs `entry` with node. */
function compileAndRun(dir: string, compilerOptions: Record<string, unknown>, files: Record<string, string>, entry: string): string {
  mkdirSync(dir, { recursive: true });
  for (const [name, text] of Object.entries(files)) writeFileSync(join(dir, name), text);
  writeFileSync(
    join(dir, "tsconfig.json"),
    JSON.stringify({ compilerOptions: { strict: true, target: "ES2022", outDir: "out", typeRoots: [join(REPO, "node_modules/@types")], types: ["node"], ...compilerOptions }, include: ["*.ts", "*.cts", "*.mts"] }),
  );
  const tsc = createRequire(import.meta.url).resolve("typescript/bin/tsc");
  const built = spawnSync(process.execPath, [tsc, "-p", dir], { cwd: dir, encoding: "utf8" });
  assert.equal(built.status, 0, `tsc ${JSON.stringify(compilerOptions)}:\n${built.stdout}${built.stderr}`);
  const ran = spawnSync(process.execPath, [join(dir, "out", entry)], { cwd: dir, env: pkg.bareEnv, encoding: "utf8" });
  assert.equal(ran.status, 0, ran.stderr);
  return ran.stdout.trim();
}

const TS_CONSUMER = `import { uwsgi, isUwsgiError } from "uwsgi-node";
import { configure } from "uwsgi-node/testing";
configure(["--cache2", "name=default,items=10"]);
uwsgi.cache_update("k", "typed");
const value: Buffer | null = uwsgi.cache_get("k");
const remote: Promise<Buffer | null> = uwsgi.cache_get("k", "default@127.0.0.1:1");
remote.catch((err: unknown) => console.log(isUwsgiError(err, "UWSGI_ERR_REMOTE_UNREACHABLE") ? value?.toString() : "wrong"));
`;

test("TypeScript with module commonjs compiles against the package and the output runs", () => {
  const dir = join(pkg.project, "ts-commonjs");
  mkdirSync(dir, { recursive: true });
  writeFileSync(join(dir, "package.json"), JSON.stringify({ name: "ts-cjs", private: true, type: "commonjs" }));
  assert.equal(compileAndRun(dir, { module: "commonjs", moduleResolution: "node10" }, { "index.ts": TS_CONSUMER }, "index.js"), "typed");
});

test("TypeScript with module nodenext compiles a CommonJS and an ES module against the package and both run", () => {
  const dir = join(pkg.project, "ts-nodenext");
  mkdirSync(dir, { recursive: true });
  writeFileSync(join(dir, "package.json"), JSON.stringify({ name: "ts-nodenext", private: true, type: "commonjs" }));
  assert.equal(compileAndRun(dir, { module: "nodenext", moduleResolution: "nodenext" }, { "index.cts": TS_CONSUMER, "esm.mts": TS_CONSUMER }, "index.cjs"), "typed");
  const esm = spawnSync(process.execPath, [join(dir, "out", "esm.mjs")], { cwd: dir, env: pkg.bareEnv, encoding: "utf8" });
  assert.equal(esm.status, 0, esm.stderr);
  assert.equal(esm.stdout.trim(), "typed");
});
