/**
 * The operating examples under docs/ are checked by the tools that consume them: the systemd unit
 * by `systemd-analyze verify` (its logrotate policy runs under load in request-log.test.ts).
 */
import { test } from "node:test";
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { existsSync, readFileSync, writeFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { tempDir } from "./server-harness.js";

const DOCS = fileURLToPath(new URL("../../../docs/", import.meta.url));

test("docs/systemd/uwsgi-node.service passes systemd-analyze verify without a warning", () => {
  const dir = tempDir();
  try {
    // the unit names /usr/bin/npx; verify checks that ExecStart is executable, so point it at
    // this machine's npx (beside the node running the tests) when it lives elsewhere
    const npx = existsSync("/usr/bin/npx") ? "/usr/bin/npx" : join(dirname(process.execPath), "npx");
    const unit = join(dir.path, "app.service");
    writeFileSync(unit, readFileSync(join(DOCS, "systemd", "uwsgi-node.service"), "utf8").replaceAll("/usr/bin/npx", npx));
    const r = spawnSync("systemd-analyze", ["verify", unit], { encoding: "utf8", timeout: 30000 });
    assert.equal(r.error, undefined, "systemd-analyze runs");
    assert.equal(r.status, 0, r.stdout + r.stderr);
    assert.equal((r.stdout + r.stderr).trim(), "", "no warning about the unit");
  } finally {
    dir.cleanup();
  }
});
