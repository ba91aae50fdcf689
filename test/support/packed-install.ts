/**
 * Packs uwsgi-node as a fresh clone would (`npm pack` runs `prepack`: tsc and the prebuilt
 * addons) and installs the tarball into a temp project with no compiler on PATH: PATH holds only
 * a directory of links to node and sh. npm resolves the package's dependencies from its cache
 * (`--prefer-offline`: filled by the repo's own `npm ci`).
 * @module
 */
import { execFileSync, spawnSync, type SpawnSyncReturns } from "node:child_process";
import { cpSync, mkdirSync, mkdtempSync, readdirSync, realpathSync, rmSync, symlinkSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { delimiter, dirname, join } from "node:path";
import { fileURLToPath } from "node:url";

/** The repository root (this file runs from build/test/support/). */
export const REPO = fileURLToPath(new URL("../../../", import.meta.url));

/** What the repository ships: copied to a scratch clone that `npm pack` runs in. */
const SHIPPED_SOURCES = ["package.json", "package-lock.json", "tsconfig.json", "LICENSE", "README.md", "src", "scripts", "native/binding.gyp", "native/src", "docs", "examples"];

/** An installed package in a temp project. */
export interface PackedInstall {
  /** Root temp dir (removed by cleanup). */
  readonly root: string;
  /** The tarball `npm pack` wrote. */
  readonly tarball: string;
  /** Paths inside the tarball (`package/...`). */
  readonly tarballFiles: readonly string[];
  /** The consumer project (has node_modules/uwsgi-node). */
  readonly project: string;
  /** A PATH with node and sh only: no cc, gcc, make, python. */
  readonly bareEnv: NodeJS.ProcessEnv;
  /** npm install's output. */
  readonly installLog: string;
  cleanup(): void;
}

/** The npm CLI script of the npm on PATH (run with this node, so the bare PATH needs no npm). */
function npmCli(): string {
  for (const dir of (process.env.PATH ?? "").split(delimiter)) {
    try {
      const real = realpathSync(join(dir, "npm"));
      return join(dirname(real), "npm-cli.js");
    } catch {
      // not in this dir
    }
  }
  throw new Error("npm is not on PATH");
}

function check(what: string, r: SpawnSyncReturns<string>): string {
  const out = `${r.stdout ?? ""}${r.stderr ?? ""}`;
  if (r.status !== 0) throw new Error(`${what} failed (${r.status ?? r.signal}):\n${out}`);
  return out;
}

/** Packs the repo and installs the tarball into a fresh project without a compiler on PATH. */
export function packAndInstall(): PackedInstall {
  const root = mkdtempSync(join(tmpdir(), "uwsgi-node-pack-"));
  try {
    const clone = join(root, "clone");
    for (const p of SHIPPED_SOURCES) cpSync(join(REPO, p), join(clone, p), { recursive: true });
    symlinkSync(join(REPO, "node_modules"), join(clone, "node_modules"));
    const npm = npmCli();
    const packOut = check("npm pack", spawnSync(process.execPath, [npm, "pack", "--pack-destination", root, "--json"], { cwd: clone, encoding: "utf8", maxBuffer: 64 << 20 }));
    const tarball = join(root, readdirSync(root).find((f) => f.endsWith(".tgz"))!);
    if (!packOut.includes('"filename"')) throw new Error(`npm pack printed no file list:\n${packOut}`);
    const tarballFiles = execFileSync("tar", ["tzf", tarball], { encoding: "utf8" }).split("\n").filter(Boolean);

    const bin = join(root, "bin");
    mkdirSync(bin);
    symlinkSync(process.execPath, join(bin, "node"));
    symlinkSync("/bin/sh", join(bin, "sh"));
    const bareEnv: NodeJS.ProcessEnv = { PATH: bin, HOME: process.env.HOME ?? root, npm_config_cache: process.env.npm_config_cache ?? join(process.env.HOME ?? root, ".npm") };

    const project = join(root, "project");
    mkdirSync(project);
    writeFileSync(join(project, "package.json"), JSON.stringify({ name: "consumer", version: "1.0.0", private: true, type: "module" }, null, 2));
    const installLog = check(
      "npm install of the tarball",
      spawnSync(process.execPath, [npm, "install", "--prefer-offline", "--no-audit", "--no-fund", "--foreground-scripts", tarball], { cwd: project, env: bareEnv, encoding: "utf8" }),
    );
    return { root, tarball, tarballFiles, project, bareEnv, installLog, cleanup: () => rmSync(root, { recursive: true, force: true }) };
  } catch (err) {
    rmSync(root, { recursive: true, force: true });
    throw err;
  }
}
