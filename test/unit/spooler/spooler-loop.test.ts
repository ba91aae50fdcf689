/**
 * The spooler process's loop: a pass that finished a task looks again at once, so tasks spooled
 * while it ran go without a wake-up; a pass that removed nothing waits.
 */
import assert from "node:assert/strict";
import { existsSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { test } from "node:test";
import type { SpoolTask } from "../../../src/api.js";
import { RETRY_FOREVER } from "../../../src/engines/spooler/spool-attempts.js";
import { SPOOL_OK, SPOOL_RETRY } from "../../../src/engines/spooler/spool-task-runner.js";
import { encodeSpoolFile } from "../../../src/protocol/spool-file.js";
import { SpoolerLoop } from "../../../src/server/spooler/spooler-loop.js";
import { claimLocked } from "../../../src/server/spooler/task-claim.js";
import { eventually } from "../../support/eventually.js";
import { scratchDirs } from "../../support/scratch-dirs.js";

const { fresh: freshDir } = scratchDirs("spooler-loop");
const spool = (dir: string, name: string, vars: Record<string, string>) => writeFileSync(join(dir, `uwsgi_spoolfile_on_h_1_${name}_0_0_0`), encodeSpoolFile(Object.entries(vars)), { mode: 0o600 });

function loopOn(dir: string, callable: (task: SpoolTask) => number): SpoolerLoop {
  return new SpoolerLoop({
    dir,
    frequency: 3600, // a wait would outlast the test: only a pass right after another runs the second task
    maxTasks: 0,
    chdir: null,
    quiet: true,
    retry: RETRY_FOREVER,
    claim: (path) => claimLocked(path),
    callable: () => callable,
    log: () => undefined,
  });
}

test("a task spooled while a pass runs (no wake-up) runs in the next pass, at once", async () => {
  const dir = freshDir();
  const ran: string[] = [];
  const loop = loopOn(dir, (task) => {
    const k = task.k!.toString();
    ran.push(k);
    if (k === "first") spool(dir, "2", { k: "second" }); // after the pass's listing
    return SPOOL_OK;
  });
  spool(dir, "1", { k: "first" });
  const ended = loop.run();
  await eventually(() => ran.length === 2, 5000, "the second task to run without a wake-up");
  assert.deepEqual(ran, ["first", "second"]);
  loop.stop();
  assert.equal(await ended, "stopped");
});

test("a pass that finished nothing waits for a wake-up or the period (a retried task does not spin)", async () => {
  const dir = freshDir();
  let runs = 0;
  const loop = loopOn(dir, () => {
    runs++;
    return SPOOL_RETRY;
  });
  spool(dir, "1", { k: "again" });
  const ended = loop.run();
  await eventually(() => runs === 1, 5000, "the first run");
  // idle now: a wake-up, not a spin, brings the next pass
  await new Promise((resolve) => setImmediate(resolve));
  assert.equal(runs, 1);
  loop.wake();
  await eventually(() => runs === 2, 5000, "the run after the wake-up");
  assert.ok(existsSync(join(dir, "uwsgi_spoolfile_on_h_1_1_0_0_0")), "the retried task is kept");
  loop.stop();
  assert.equal(await ended, "stopped");
});
