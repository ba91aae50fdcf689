// The request runner's bookkeeping: every request that starts also ends in the worker state
// (in-flight count, oldest start, counters), whatever the app does to the response object.
import { test } from "node:test";
import assert from "node:assert/strict";
import { eventually } from "../../support/eventually.js";
import { createServer, request, ServerResponse, type IncomingMessage } from "node:http";
import type { AddressInfo } from "node:net";
import { createRequestRunner } from "../../../src/server/request-runner.js";
import { ConnectionDrain } from "../../../src/server/connection-drain.js";
import { WorkerState } from "../../../src/server/worker-state.js";
import { currentRequest } from "../../../src/core/request-context.js";
import type { ChildIdentity, WorkerPlan } from "../../../src/server/child-environment.js";

function serve(app: (req: IncomingMessage, res: ServerResponse) => unknown) {
  const state = new WorkerState({ role: "worker", id: 1, masterPid: process.pid, instance: "t" } as unknown as ChildIdentity, {} as WorkerPlan);
  const logged: string[] = [];
  let after = 0;
  const runner = createRequestRunner({ state, app, drain: new ConnectionDrain(), logRequests: true, log: (l) => logged.push(l), ownContext: true, afterRequest: () => after++ });
  const server = createServer(runner);
  return { state, logged, server, after: () => after };
}

function get(port: number, path: string): Promise<{ status: number; body: string }> {
  return new Promise((resolve, reject) => {
    request({ host: "127.0.0.1", port, path, agent: false }, (res) => {
      let body = "";
      res.setEncoding("utf8").on("data", (c) => (body += c)).on("end", () => resolve({ status: res.statusCode ?? 0, body }));
    }).on("error", reject).end();
  });
}

// Regression: a ServerResponse subclass overriding emit() lost track of requests once Express
// swapped the response's prototype (Object.setPrototypeOf(res, app.response)): no log line, and
// the request stayed "in flight" forever.
test("request runner: a request ends in the worker state even when the app replaces the response's prototype", async () => {
  const expressLike = Object.create(ServerResponse.prototype) as ServerResponse;
  const { state, logged, server, after } = serve((_req, res) => {
    Object.setPrototypeOf(res, expressLike);
    res.end("ok");
  });
  await new Promise<void>((r) => server.listen(0, "127.0.0.1", r));
  try {
    const port = (server.address() as AddressInfo).port;
    for (let i = 0; i < 3; i++) assert.deepEqual(await get(port, `/r${i}`), { status: 200, body: "ok" });
    await new Promise((r) => setImmediate(r));
    assert.equal(state.requests, 3);
    assert.equal(state.inFlight, 0);
    assert.equal(state.oldestStart(), 0);
    assert.equal(after(), 3);
    assert.equal(logged.length, 3);
    assert.match(logged[2]!, /GET \/r2 => generated 2 bytes/);
  } finally {
    server.close();
  }
});

test("request runner: overlapping requests: the oldest start is the first still in flight; failures are counted", async () => {
  const release: Array<() => void> = [];
  const { state, server } = serve((req, res) => {
    if (req.url === "/throw") throw new Error("boom");
    release.push(() => res.end("late"));
  });
  const errors: string[] = [];
  const write = process.stderr.write;
  process.stderr.write = ((chunk: string) => (errors.push(String(chunk)), true)) as typeof process.stderr.write;
  await new Promise<void>((r) => server.listen(0, "127.0.0.1", r));
  try {
    const port = (server.address() as AddressInfo).port;
    const first = get(port, "/a");
    await eventually(() => release.length >= 1, 5000, "the first request in the app", 5);
    const started = state.oldestStart();
    assert.ok(started > 0 && state.inFlight === 1);
    // the second request must start measurably later than the first (starts are Date.now() ms)
    await eventually(() => Date.now() > started, 5000, "the clock moving past the first start", 1);
    const second = get(port, "/b");
    await eventually(() => release.length >= 2, 5000, "the second request in the app", 5);
    assert.equal(state.inFlight, 2);
    assert.equal(state.oldestStart(), started, "the first request is the oldest");
    release[0]!();
    await first;
    await new Promise((r) => setImmediate(r));
    assert.equal(state.inFlight, 1);
    assert.ok(state.oldestStart() > started, "now the second is the oldest");
    release[1]!();
    await second;
    assert.deepEqual(await get(port, "/throw"), { status: 500, body: "Internal Server Error" });
    await new Promise((r) => setImmediate(r));
    assert.equal(state.inFlight, 0);
    assert.equal(state.requests, 3);
    assert.equal(state.exceptions, 1);
    assert.ok(errors.some((e) => /unhandled error serving GET \/throw: Error: boom/.test(e)));
  } finally {
    process.stderr.write = write;
    server.close();
  }
});

test("request runner: the request is its own context over HTTP: env, request id, and disconnect() drops the connection", async () => {
  const seen: Array<{ path: string | undefined; id: number | undefined; length: number | undefined }> = [];
  const { state, server } = serve((req, res) => {
    const ctx = currentRequest();
    seen.push({ path: ctx?.env.PATH_INFO, id: ctx?.requestId, length: ctx?.contentLength });
    if (req.url === "/drop") ctx!.transport!.disconnect();
    else res.end("kept");
  });
  await new Promise<void>((r) => server.listen(0, "127.0.0.1", r));
  try {
    const port = (server.address() as AddressInfo).port;
    assert.deepEqual(await get(port, "/keep"), { status: 200, body: "kept" });
    await assert.rejects(get(port, "/drop"), /socket hang up|ECONNRESET/);
    await new Promise((r) => setImmediate(r));
    assert.deepEqual(seen, [
      { path: "/keep", id: 0, length: 0 },
      { path: "/drop", id: 1, length: 0 },
    ]);
    assert.equal(state.requests, 2, "the dropped request ended too");
    assert.equal(state.inFlight, 0);
  } finally {
    server.close();
  }
});
