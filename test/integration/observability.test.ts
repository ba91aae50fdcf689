// What the instance tells observers: /metrics passes promtool's check, with uWSGI's metrics and
// each process's Node runtime; request start/end/error on node:diagnostics_channel.
import { test } from "node:test";
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { eventually, fixtureApp, httpRequest, startServer } from "./server-harness.js";

const PROMTOOL = "/usr/bin/promtool";

test("/metrics follows the exposition guidelines: promtool check metrics passes, Node runtime per process, no worker=\"0\" total", async () => {
  const server = await startServer([
    "--http", "127.0.0.1:0", "--master", "--processes", "2", "--stats", "127.0.0.1:0", "--stats-http",
    "--enable-metrics", "--metric", "name=app.jobs,type=counter", "--disable-logging", fixtureApp("node-listener-app"),
  ]);
  try {
    const statsPort = Number((await server.waitForLog(/Stats server enabled on 127\.0\.0\.1:(\d+)/))[1]);
    for (let i = 0; i < 4; i++) assert.equal((await httpRequest(server.port, "/")).status, 200);
    // workers report their runtime with their counters (at least once a second)
    const text = await eventually(async () => {
      const body = (await httpRequest(statsPort, "/metrics")).body;
      const served = [...body.matchAll(/^uwsgi_worker_requests_total\{worker="\d"\} (\d+)$/gm)].reduce((n, m) => n + Number(m[1]), 0);
      return body.includes('uwsgi_node_heap_used_bytes{role="worker",id="2"}') && served === 4 ? body : null;
    }, 10_000, "both workers' runtime samples and their request counts (4) in /metrics");
    const check = spawnSync(PROMTOOL, ["check", "metrics"], { input: text, encoding: "utf8" });
    assert.equal(check.error, undefined, `promtool must be installed (Debian prometheus): ${String(check.error)}`);
    assert.equal(check.status, 0, `promtool check metrics:\n${check.stdout}${check.stderr}\n---\n${text}`);
    assert.equal(`${check.stdout}${check.stderr}`.trim(), "", "no lint warnings");
    assert.doesNotMatch(text, /worker="0"/, "no aggregate worker series");
    const total = [...text.matchAll(/^uwsgi_worker_requests_total\{worker="\d"\} (\d+)$/gm)].reduce((n, m) => n + Number(m[1]), 0);
    assert.equal(total, 4, "sum() over workers is the request count");
    assert.match(text, /^# TYPE uwsgi_app_jobs_total counter$/m);
    for (const family of ["uwsgi_node_eventloop_delay_p99_seconds", "uwsgi_node_heap_used_bytes", "uwsgi_node_resident_memory_bytes", "uwsgi_node_cpu_seconds_total"]) {
      for (const who of ['role="master",id="0"', 'role="worker",id="1"', 'role="worker",id="2"']) {
        assert.match(text, new RegExp(`^${family}\\{${who}[,}].* \\d`, "m"), `${family} of ${who}`);
      }
    }
    const rss = Number(/^uwsgi_node_resident_memory_bytes\{role="worker",id="1"\} (\d+)$/m.exec(text)?.[1]);
    assert.ok(rss > 10 * 1024 * 1024, `a worker's rss is its real size without --memory-report (${rss})`);
  } finally {
    await server.stop();
  }
});

test("diagnostics_channel: uwsgi-node:request:start/end/error reach a subscriber in the worker, in order", async (t) => {
  const server = await startServer(["--http", "127.0.0.1:0", "--master", "--processes", "1", "--disable-logging", fixtureApp("request-channels-app")]);
  try {
    t.plan(4);
    t.assert.equal((await httpRequest(server.port, "/ok?x=1")).status, 200);
    t.assert.equal((await httpRequest(server.port, "/boom")).status, 500);
    const events = await eventually(async () => {
      const seen = JSON.parse((await httpRequest(server.port, "/events")).body) as string[];
      return seen.length >= 5 ? seen : null;
    }, 5000, "five events");
    t.assert.deepEqual(events, [
      "start GET /ok?x=1",
      "end /ok?x=1 200 failed=false timed=true",
      "start GET /boom",
      "error /boom kaboom",
      "end /boom 500 failed=true timed=true",
    ]);
    t.assert.match(server.log(), /kaboom/);
  } finally {
    await server.stop();
  }
});
