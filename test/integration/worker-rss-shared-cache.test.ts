/**
 * Regression: a worker attached to a 400 MB cache (`items=100000,blocksize=4096`) sat at 263 MB
 * RSS against 57 MB with a tiny one, because the module built a private copy of every cache
 * before switching to the shared one. Attaching maps the shared region and touches nothing: the
 * worker's RSS stays within 20 MB of a tiny-cache worker until it reads the data.
 */
import { test } from "node:test";
import assert from "node:assert/strict";
import { readdirSync, readFileSync } from "node:fs";
import { fixtureApp, httpRequest, startServer, type TestServer } from "./server-harness.js";

/** Pids of the children of `ppid` (the state line of /proc/PID/stat after the command's last ")"). */
function childrenOf(ppid: number): number[] {
  const out: number[] = [];
  for (const name of readdirSync("/proc")) {
    if (!/^\d+$/.test(name)) continue;
    try {
      const stat = readFileSync(`/proc/${name}/stat`, "utf8");
      const fields = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
      if (Number(fields[1]) === ppid) out.push(Number(name));
    } catch {
      // gone meanwhile
    }
  }
  return out;
}

function rssKb(pid: number): number {
  const m = /^VmRSS:\s+(\d+) kB$/m.exec(readFileSync(`/proc/${pid}/status`, "utf8"));
  assert.ok(m, `VmRSS of ${pid}`);
  return Number(m[1]);
}

async function workerRss(cache2: string): Promise<number> {
  let server: TestServer | undefined;
  try {
    server = await startServer(["--http", "127.0.0.1:0", "--processes", "1", "--cache2", cache2, fixtureApp("shared-state-app")]);
    // a request served: the app is loaded and the module attached
    assert.equal((await httpRequest(server.port, "/num?key=nothing")).status, 200);
    const [worker] = childrenOf(server.pid);
    assert.ok(worker, "the worker process is found");
    return rssKb(worker);
  } finally {
    await server?.stop();
  }
}

test("worker RSS with a 400 MB cache stays within 20 MB of a tiny-cache worker (no private copy on attach)", { timeout: 60_000 }, async () => {
  const tiny = await workerRss("name=big,items=10,blocksize=4096");
  const big = await workerRss("name=big,items=100000,blocksize=4096");
  assert.ok(big - tiny < 20 * 1024, `worker RSS: ${Math.round(big / 1024)} MB with a 400 MB cache, ${Math.round(tiny / 1024)} MB with a tiny one`);
});
