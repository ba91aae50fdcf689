/**
 * systemd readiness (issue 15, item 6): with NOTIFY_SOCKET set, the master sends READY=1 once the
 * workers serve, RELOADING=1 (with MONOTONIC_USEC) then READY=1 around a reload, and STOPPING=1,
 * to a real UNIX datagram socket (bound by python3: Node cannot bind one); workers do not
 * inherit NOTIFY_SOCKET.
 */
import { describe, it } from "node:test";
import assert from "node:assert/strict";
import { spawn } from "node:child_process";
import { join } from "node:path";
import { createInterface } from "node:readline";
import { eventually, fixtureApp, httpRequest, startServer, tempDir } from "./server-harness.js";

/** Binds a datagram socket at argv[1] and prints each datagram received as a JSON string. */
const RECEIVER = `
import json, socket, sys
s = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
s.bind(sys.argv[1])
print(json.dumps("bound"), flush=True)
while True:
    print(json.dumps(s.recv(65536).decode()), flush=True)
`;

describe("server: systemd notification", () => {
  it("sends READY=1, RELOADING=1/READY=1 around a reload and STOPPING=1 to NOTIFY_SOCKET", async () => {
    const dir = tempDir();
    const sock = join(dir.path, "notify.sock");
    const receiver = spawn("python3", ["-u", "-c", RECEIVER, sock], { stdio: ["ignore", "pipe", "inherit"] });
    const messages: string[] = [];
    createInterface({ input: receiver.stdout! }).on("line", (line) => messages.push(JSON.parse(line) as string));
    try {
      await eventually(() => messages.includes("bound"), 10000, "the receiver to bind");
      const server = await startServer(["--http", "127.0.0.1:0", "-p", "2", "--disable-logging", fixtureApp("node-listener-app")], {
        env: { ...process.env, NOTIFY_SOCKET: sock },
      });
      try {
        const ready = await eventually(() => messages.find((m) => m.startsWith("READY=1")), 10000, "READY=1");
        assert.equal(ready, `READY=1\nSTATUS=uWSGI is ready (2 worker(s) serving)\nMAINPID=${server.pid}\n`);
        assert.equal((await httpRequest(server.port, "/env?name=NOTIFY_SOCKET")).body, "(unset)", "workers do not inherit NOTIFY_SOCKET");

        process.kill(server.pid, "SIGHUP");
        await eventually(() => messages.filter((m) => m.startsWith("READY=1")).length === 2, 15000, "READY=1 after the reload");
        const reloading = messages.find((m) => m.startsWith("RELOADING=1"));
        assert.match(reloading ?? "", /^RELOADING=1\nMONOTONIC_USEC=\d+\nSTATUS=uWSGI is reloading \(graceful reload\)\n$/);
        assert.ok(messages.indexOf(reloading!) < messages.lastIndexOf(messages.filter((m) => m.startsWith("READY=1"))[1]!));

        await server.stop("SIGTERM");
        await eventually(() => messages.some((m) => m.startsWith("STOPPING=1")), 5000, "STOPPING=1");
        assert.deepEqual(
          messages.slice(1).map((m) => m.split("\n")[0]),
          ["READY=1", "RELOADING=1", "READY=1", "STOPPING=1"],
        );
      } finally {
        await server.stop();
      }
    } finally {
      receiver.kill("SIGKILL");
      dir.cleanup();
    }
  });
});
