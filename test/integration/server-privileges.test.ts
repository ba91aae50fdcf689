/**
 * Privileges (issue 15, item 3): bind first, then drop. Run as root (as CI does), the master
 * binds, chowns/chmods the UNIX socket, writes the pidfile under --umask, drops to --uid/--gid, and
 * every worker's credentials in /proc/PID/status are the unprivileged ones. The server runs from
 * a copy of the compiled package in a world-readable temp dir, so the checkout's location (which
 * may be under a 0700 home) does not matter.
 */
import { describe, it } from "node:test";
import assert from "node:assert/strict";
import { chmodSync, cpSync, existsSync, readFileSync, statSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { CLI, httpRequest, runCli, startServer, tempDir } from "./server-harness.js";

const isRoot = process.getuid?.() === 0;
const ROOT = join(dirname(CLI), "..", ".."); // build/src/cli.js -> package root

/** uid and gid fields of /proc/PID/status: [real, effective, saved, fs] each, and the supplementary groups. */
function credentials(pid: number): { uid: number[]; gid: number[]; groups: number[] } {
  const status = readFileSync(`/proc/${pid}/status`, "utf8");
  const field = (name: string): number[] => (new RegExp(`^${name}:\\s*(.*)$`, "m").exec(status)?.[1] ?? "").trim().split(/\s+/).filter(Boolean).map(Number);
  return { uid: field("Uid"), gid: field("Gid"), groups: field("Groups") };
}

function idOf(file: string, name: string): number {
  const line = readFileSync(file, "utf8").split("\n").find((l) => l.startsWith(`${name}:`));
  assert.ok(line, `${name} in ${file}`);
  return Number(line.split(":")[2]);
}

/** The package's run-time dependencies and theirs (npm's flat node_modules layout), by name. */
function runtimeDependencies(): string[] {
  const seen = new Set<string>();
  const visit = (pkgJson: string): void => {
    const pkg = JSON.parse(readFileSync(pkgJson, "utf8")) as { dependencies?: Record<string, string>; optionalDependencies?: Record<string, string> };
    for (const name of Object.keys({ ...pkg.dependencies, ...pkg.optionalDependencies })) {
      const own = join(ROOT, "node_modules", name, "package.json");
      if (seen.has(name) || !existsSync(own)) continue;
      seen.add(name);
      visit(own);
    }
  };
  visit(join(ROOT, "package.json"));
  return [...seen];
}

/** Copies what the server needs at run time (compiled src, fixtures, addon, dependencies) into `dir`. */
function copyPackage(dir: string): { cli: string; app: string } {
  const parts = ["package.json", "build/src", "build/test/fixtures", "native/build/Release", ...runtimeDependencies().map((d) => `node_modules/${d}`)];
  for (const part of parts) cpSync(join(ROOT, part), join(dir, part), { recursive: true });
  chmodSync(dir, 0o755);
  return { cli: join(dir, "build/src/cli.js"), app: join(dir, "build/test/fixtures/apps/node-listener-app.js") };
}

describe("server: privileges", { skip: !isRoot && "needs root (CI runs the suite as root)" }, () => {
  it("binds as root, chowns/chmods the socket, then runs the master and every worker as --uid/--gid (seen in /proc)", async () => {
    const dir = tempDir();
    const nobody = idOf("/etc/passwd", "nobody");
    const nogroup = idOf("/etc/group", "nogroup");
    const { cli, app } = copyPackage(dir.path);
    const sock = join(dir.path, "app.sock");
    const pidfile = join(dir.path, "app.pid");
    const server = await startServer(
      ["--http", "127.0.0.1:0", "--socket", sock, "-p", "2", "--uid", "nobody", "--gid", "nogroup", "--chown-socket", "nobody:nogroup", "--chmod-socket=660", "--umask", "027", "--pidfile", pidfile, "--disable-logging", app],
      { cli, cwd: dir.path },
    );
    try {
      assert.match(server.log(), new RegExp(`setgid\\(\\) to ${nogroup}\\nsetuid\\(\\) to ${nobody}\\n`));
      assert.doesNotMatch(server.log(), /running uWSGI as root/);
      const info = JSON.parse((await httpRequest(server.port, "/info")).body) as { workers: Array<{ pid: number }> };
      const pids = [server.pid, ...info.workers.map((w) => w.pid)];
      assert.equal(pids.length, 3);
      for (const pid of pids) {
        const c = credentials(pid);
        assert.deepEqual(c.uid, [nobody, nobody, nobody, nobody], `uid of ${pid}`);
        assert.deepEqual(c.gid, [nogroup, nogroup, nogroup, nogroup], `gid of ${pid}`);
        assert.ok(!c.groups.includes(0), `pid ${pid} keeps no root group: ${c.groups.join(" ")}`);
      }
      const st = statSync(sock);
      assert.equal(st.uid, nobody);
      assert.equal(st.gid, nogroup);
      assert.equal(st.mode & 0o777, 0o660);
      const pf = statSync(pidfile);
      assert.equal(pf.uid, 0, "the pidfile is written before the drop, as uWSGI does");
      assert.equal(pf.mode & 0o777, 0o640, "--umask 027 applies to files the server creates");
    } finally {
      await server.stop();
      dir.cleanup();
    }
  });

  it("started as root without --uid, the master refuses before binding (regression: workers silently ran as root); --uid root runs them knowingly with uWSGI's warning", async () => {
    const app = fileURLToPath(new URL("../fixtures/apps/node-listener-app.js", import.meta.url));
    const refused = await runCli(["--http", "127.0.0.1:0", app], undefined, { rootOptIn: false });
    assert.equal(refused.code, 1);
    assert.match(refused.stderr, /refusing to run the workers as root: started as root without --uid; pass --uid USER/);
    assert.doesNotMatch(refused.stdout + refused.stderr, /bound to|spawned uWSGI worker/);
    const tmp = tempDir();
    try {
      const refusedDaemon = await runCli(["--http", "127.0.0.1:0", "--daemonize", join(tmp.path, "daemon.log"), app], undefined, { rootOptIn: false });
      assert.equal(refusedDaemon.code, 1, "refused in the terminal, before daemonizing");
      assert.match(refusedDaemon.stderr, /refusing to run the workers as root/);
      assert.equal(existsSync(join(tmp.path, "daemon.log")), false, "no daemon was started");
    } finally {
      tmp.cleanup();
    }
    const server = await startServer(["--http", "127.0.0.1:0", "--uid", "root", "--disable-logging", app]);
    try {
      assert.match(server.log(), /\*\*\* WARNING: you are running uWSGI as root !!! \(use the --uid flag\) \*\*\*/);
      const worker = Number((await httpRequest(server.port, "/pid")).body);
      assert.equal(credentials(worker).uid[1], 0, "the worker runs as root, as asked");
    } finally {
      await server.stop();
    }
    const bad = await runCli(["--http", "127.0.0.1:0", "--uid", "no-such-user-uwsgi-node", fileURLToPath(new URL("../fixtures/apps/node-listener-app.js", import.meta.url))]);
    assert.equal(bad.code, 1);
    assert.match(bad.stderr, /invalid value for option uid: unknown user "no-such-user-uwsgi-node"/);
    assert.doesNotMatch(bad.stderr, /bound to/);
  });
});
