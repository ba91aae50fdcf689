/**
 * The fault suite, part 2: resources running out under a real server. A full disk (a small tmpfs
 * the test mounts; the tests run as root) holding the spool directory and the `--logto` file:
 * spooling answers a coded error and leaves no half-written task, logging fails silently and the
 * server keeps serving. File descriptors (`prlimit --nofile`): a worker at its limit refuses new
 * connections with a log line naming EMFILE and serves again once connections close.
 */
import assert from "node:assert/strict";
import { execFileSync } from "node:child_process";
import { mkdirSync, readdirSync, readFileSync } from "node:fs";
import net from "node:net";
import { join } from "node:path";
import { describe, it } from "node:test";
import { readSpoolFileSync } from "../../src/protocol/spool-file-io.js";
import { alive, eventually, fixtureApp, httpRequest, startServer, tempDir, type TestServer } from "./server-harness.js";

const APP = fixtureApp("fault-app");

describe("fault suite: a full disk under the spooler and the log", { timeout: 90_000 }, () => {
  it("spooling answers UWSGI_ERR_SPOOL_FAILED and leaves only whole tasks; the log stops, the server keeps serving", async (t) => {
    const dir = tempDir();
    const disk = join(dir.path, "disk");
    mkdirSync(disk);
    execFileSync("mount", ["-t", "tmpfs", "-o", "size=64k,nr_inodes=4096", "tmpfs", disk]);
    let server: TestServer | null = null;
    try {
      const spool = join(disk, "spool");
      server = await startServer(
        ["--http", "127.0.0.1:0", "--processes", "1", "--spooler", spool, "--spooler-frequency", "60", "--logto", join(disk, "server.log"), APP],
        { env: { ...process.env, FAULT_SPOOL_LOG: join(dir.path, "runs.log"), FAULT_MULE_LOG: join(dir.path, "m.log") }, logFile: join(disk, "server.log") },
      );
      // the spooler is kept busy by one long task: the others stay on the disk
      assert.equal((await httpRequest(server.port, "/spool?n=1&ms=120000&tag=long")).status, 200);
      let accepted = 1;
      let refusal = "";
      for (let i = 0; i < 200 && refusal === ""; i++) {
        const r = await httpRequest(server.port, `/spool?n=1&tag=t${i}`);
        if (r.status === 200) accepted++;
        else refusal = r.body;
      }
      assert.equal(refusal, "UWSGI_ERR_SPOOL_FAILED", "a full disk is a coded error");
      const files = readdirSync(spool).filter((n) => !n.startsWith("."));
      assert.deepEqual(readdirSync(spool).filter((n) => n.startsWith(".tmp_")), [], "no temporary file left behind");
      for (const f of files) assert.ok(readSpoolFileSync(join(spool, f)), `${f} is a whole task`);
      t.diagnostic(`full disk: ${accepted} tasks accepted, ${files.length} on disk (the running one may be claimed), then ${refusal}`);
      // the log cannot grow any more: requests are still served and logged nowhere, the master lives
      for (let i = 0; i < 100; i++) assert.equal((await httpRequest(server.port, `/slow?id=${i}&ms=0`)).status, 200);
      assert.ok(alive(server.pid), "the master survives a full log disk");
      assert.doesNotMatch(readFileSync(join(disk, "server.log"), "utf8"), /GET \/slow\?id=99 /, "the disk was full for the log too");
    } finally {
      await server?.stop("SIGKILL");
      try {
        execFileSync("umount", [disk]);
      } catch {
        execFileSync("umount", ["-l", disk]);
      }
      dir.cleanup();
    }
  });
});

describe("fault suite: file descriptors running out", { timeout: 90_000 }, () => {
  it("a worker at its open-file limit closes new connections with a line naming EMFILE, and serves again when they close", async () => {
    const server = await startServer(["--http", "127.0.0.1:0", "--processes", "1", APP], { wrap: ["prlimit", "--nofile=160:160", "--"] });
    const held: net.Socket[] = [];
    try {
      const from = server.log().length;
      const closedEarly: number[] = [];
      for (let i = 0; i < 150; i++) {
        const s = net.connect(server.port, "127.0.0.1");
        s.on("error", () => undefined);
        s.on("close", () => closedEarly.push(i));
        held.push(s);
      }
      const [line] = await server.waitForLog(/connections open, the limit is \d+ \(--max-connections; open-file limit 160, EMFILE beyond it\)/, 20_000, from);
      assert.ok(line);
      await eventually(() => closedEarly.length > 0, 10_000, "connections beyond the limit to be closed");
      for (const s of held) s.destroy();
      await eventually(async () => (await httpRequest(server.port, "/slow?id=1&ms=0")).status === 200, 20_000, "the worker to serve again");
    } finally {
      for (const s of held) s.destroy();
      await server.stop();
    }
  });
});
