/**
 * The README's "Running in production" commands, run as written (bash, from the repository root,
 * with the built dist/), only the port made ephemeral, /tmp/app.* moved into a temp dir and, as
 * root, `--uid root` added (the master refuses root workers otherwise).
 */
import { describe, it } from "node:test";
import assert from "node:assert/strict";
import { spawn } from "node:child_process";
import { existsSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { alive, eventually, removeDeadInstancesRegions, tempDir } from "./server-harness.js";
import { freeTcpPort } from "../support/free-port.js";

const ROOT = fileURLToPath(new URL("../../..", import.meta.url));

/** The first ```sh block of the README section `heading`. */
function shellBlock(heading: string): string {
  const readme = readFileSync(join(ROOT, "README.md"), "utf8");
  const start = readme.indexOf(`\n## ${heading}\n`);
  assert.ok(start >= 0, `README has a "${heading}" section`);
  const m = /```sh\n([\s\S]*?)```/.exec(readme.slice(start));
  assert.ok(m, "the section has a sh block");
  return m[1]!;
}

describe("README: Running in production", () => {
  it("its commands start a daemon, answer, reload, chain reload through the fifo and stop it", async () => {
    const dir = tempDir();
    const port = await freeTcpPort();
    // run as root (CI), the commands ask for root workers knowingly: the master refuses otherwise
    const asRoot = process.getuid?.() === 0 ? "node dist/cli.js --uid root --http" : "node dist/cli.js --http";
    const script = shellBlock("Running in production")
      .replaceAll("127.0.0.1:8080", `127.0.0.1:${port}`)
      .replaceAll("/tmp/app.", `${dir.path}/app.`)
      .replaceAll("node dist/cli.js --http", asRoot);
    let pid = 0;
    try {
      const result = await new Promise<{ code: number | null; out: string }>((resolve) => {
        const child = spawn("bash", ["-euo", "pipefail", "-c", script], { cwd: ROOT, stdio: ["ignore", "pipe", "pipe"] });
        let out = "";
        child.stdout!.on("data", (c: Buffer) => (out += c.toString()));
        child.stderr!.on("data", (c: Buffer) => (out += c.toString()));
        child.on("close", (code) => resolve({ code, out }));
      });
      const pidfile = join(dir.path, "app.pid");
      if (existsSync(pidfile)) pid = Number(readFileSync(pidfile, "utf8"));
      assert.equal(result.code, 0, result.out);
      assert.match(result.out, /Hello from worker \d of 4 \(pid \d+\)/);
      assert.match(result.out, new RegExp(`sent SIGHUP to the master \\(pid ${pid}\\)`));
      assert.match(result.out, new RegExp(`sent SIGINT to the master \\(pid ${pid}\\)`));
      await eventually(() => !alive(pid), 20000, "the daemon to stop");
      const log = readFileSync(join(dir.path, "app.log"), "utf8");
      assert.match(log, /uwsgi-node is ready: 1 worker\(s\) serving/, "--cheaper 1 starts one of the 4 workers");
      assert.match(log, /chain reload starting \(master fifo\)|graceful reload/);
      assert.match(log, /goodbye to uWSGI/);
    } finally {
      if (pid && alive(pid)) {
        process.kill(pid, "SIGKILL");
        await eventually(() => !alive(pid), 5000, "the daemon to die");
        removeDeadInstancesRegions();
      }
      dir.cleanup();
    }
  });
});
