/**
 * --touch-signal "FILE SIG": the master polls FILE's modification time and raises SIG once per
 * change, routed to the handler the app registered.
 */
import { test } from "node:test";
import assert from "node:assert/strict";
import { utimesSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { eventually } from "../support/eventually.js";
import { fixtureApp, httpRequest, startServer, tempDir } from "./server-harness.js";

test("--touch-signal raises the signal once per touch of the file", { timeout: 60_000 }, async () => {
  const dir = tempDir();
  const file = join(dir.path, "poke");
  writeFileSync(file, "");
  const server = await startServer(["--http", "127.0.0.1:0", "--processes", "1", "--cache2", "name=default,items=100", "--touch-signal", `${file} 21`, fixtureApp("signal-app")]);
  const s21 = async () => (JSON.parse((await httpRequest(server.port, "/counts")).body) as { s21: number }).s21;
  try {
    assert.equal(await s21(), 0, "nothing before the first touch");
    const t = Date.now() / 1000 + 10;
    utimesSync(file, t, t);
    await eventually(async () => (await s21()) === 1, 10_000, "signal 21 after the first touch");
    utimesSync(file, t + 10, t + 10);
    await eventually(async () => (await s21()) === 2, 10_000, "signal 21 after the second touch");
  } finally {
    await server.stop();
    dir.cleanup();
  }
});
