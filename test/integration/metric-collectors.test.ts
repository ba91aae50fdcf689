/**
 * Metric collectors run by the master (regression: collector= was parsed and never run in the
 * server): a `file` collector reads its file, `sum` adds its children, and workers read the
 * collected values through uwsgi.metric_get.
 */
import { test } from "node:test";
import assert from "node:assert/strict";
import { writeFileSync } from "node:fs";
import { join } from "node:path";
import { eventually } from "../support/eventually.js";
import { freeTcpPort } from "../support/free-port.js";
import { fixtureApp, httpRequest, readUntilClose, startServer, tempDir } from "./server-harness.js";

test("metric collectors (file, sum) run in the master and workers read what they collected", { timeout: 60_000 }, async () => {
  const dir = tempDir();
  const file = join(dir.path, "value");
  writeFileSync(file, "42 7\n");
  const statsPort = await freeTcpPort();
  const server = await startServer([
    "--http", "127.0.0.1:0", "--processes", "1", "--cache2", "name=default,items=100", "--locks", "2",
    "--stats", `127.0.0.1:${statsPort}`,
    "--enable-metrics", "--metric", "jobs", "--metric", `name=disk,collector=file,arg1=${file},arg1n=1`,
    "--metric", "name=jobs_plus,collector=sum,children=jobs;disk", fixtureApp("shared-state-app"),
  ]);
  const metrics = async () => {
    const doc = JSON.parse(await readUntilClose(statsPort)) as { metrics: Record<string, { value: number }> };
    return doc.metrics;
  };
  try {
    await eventually(async () => (await metrics()).disk?.value === 7, 10_000, "the file collector to read token 1 (7)");
    for (let i = 0; i < 3; i++) assert.equal((await httpRequest(server.port, "/inc")).status, 200);
    await eventually(async () => (await metrics()).jobs_plus?.value === 10, 10_000, "sum of jobs (3) and disk (7)");
    writeFileSync(file, "1 8\n");
    await eventually(async () => (await metrics()).disk?.value === 8, 10_000, "the file collector to see the new value");
  } finally {
    await server.stop();
    dir.cleanup();
  }
});
