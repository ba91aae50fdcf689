/**
 * The stub's request-scoped functions through the public facade: `env`, `cl`, `add_var`, log
 * variables, `log_this_request`, `request_id` and the rest, outside and inside `withRequest`.
 */
import { beforeEach, describe, test } from "node:test";
import assert from "node:assert/strict";
import { uwsgi } from "../../../src/index.js";
import { configure, openRequest, reset, withRequest } from "../../../src/testing.js";
import { currentRequest } from "../../../src/core/request-context.js";
import { isUwsgiError, type ErrorCode } from "../../../src/errors.js";

const code = (c: ErrorCode) => (e: unknown) => isUwsgiError(e, c);

beforeEach(() => {
  reset();
});

describe("stub request functions outside a request", () => {
  test("env is {} and cl() 0; request_id 0; connection_fd -1; ready_fd false", () => {
    assert.deepEqual(uwsgi.env, {});
    assert.equal(uwsgi.cl(), 0);
    assert.equal(uwsgi.request_id(), 0);
    assert.equal(uwsgi.connection_fd(), -1);
    assert.equal(uwsgi.ready_fd(), false);
  });

  test("functions that need a request throw UWSGI_ERR_NO_REQUEST", async () => {
    assert.throws(() => uwsgi.add_var("A", "1"), code("UWSGI_ERR_NO_REQUEST"));
    assert.throws(() => uwsgi.set_logvar("a", "1"), code("UWSGI_ERR_NO_REQUEST"));
    assert.throws(() => uwsgi.get_logvar("a"), code("UWSGI_ERR_NO_REQUEST"));
    assert.throws(() => uwsgi.log_this_request(), code("UWSGI_ERR_NO_REQUEST"));
    assert.throws(() => uwsgi.disconnect(), code("UWSGI_ERR_NO_REQUEST"));
    await assert.rejects(uwsgi.chunked_read(), code("UWSGI_ERR_NO_REQUEST"));
    await assert.rejects(uwsgi.chunked_read_nb(), code("UWSGI_ERR_NO_REQUEST"));
    await assert.rejects(uwsgi.send("data"), code("UWSGI_ERR_NO_REQUEST"));
    await assert.rejects(uwsgi.sendfile("/etc/hostname"), code("UWSGI_ERR_NO_REQUEST"));
  });
});

describe("stub request functions inside withRequest", () => {
  test("env holds the request's variables; cl() reads CONTENT_LENGTH", () => {
    withRequest({ REQUEST_METHOD: "POST", PATH_INFO: "/upload", CONTENT_LENGTH: "1234" }, () => {
      assert.equal(uwsgi.env.PATH_INFO, "/upload");
      assert.equal(uwsgi.env.REQUEST_METHOD, "POST");
      assert.equal(uwsgi.cl(), 1234);
    });
    assert.deepEqual(uwsgi.env, {}, "gone after the request");
  });

  test("withRequest returns what the function returns, and the request follows async code", async () => {
    const r = await withRequest({ PATH_INFO: "/a" }, async () => {
      await new Promise((res) => setImmediate(res)); // a later turn of the event loop
      return uwsgi.env.PATH_INFO;
    });
    assert.equal(r, "/a");
  });

  test("concurrent requests each see their own env", async () => {
    // All three are suspended at once, then resumed in reverse order, one event-loop turn apart.
    const gates = new Map<string, () => void>();
    const running = Promise.all(["/1", "/2", "/3"].map((p) =>
      withRequest({ PATH_INFO: p }, async () => {
        await new Promise<void>((res) => gates.set(p, res));
        return uwsgi.env.PATH_INFO;
      })));
    assert.equal(gates.size, 3, "all three requests started");
    for (const p of ["/3", "/2", "/1"]) {
      gates.get(p)!();
      await new Promise((res) => setImmediate(res));
    }
    assert.deepEqual(await running, ["/1", "/2", "/3"]);
  });

  test("cl() is 0 without a CONTENT_LENGTH", () => {
    withRequest({}, () => assert.equal(uwsgi.cl(), 0));
  });

  test("request_id comes from the request context", () => {
    withRequest({}, () => assert.equal(uwsgi.request_id(), 7), { requestId: 7 });
  });

  test("add_var adds a variable visible in env, and returns true", () => {
    withRequest({ A: "1" }, () => {
      assert.equal(uwsgi.add_var("B", "2"), true);
      assert.deepEqual(uwsgi.env, { A: "1", B: "2" });
    });
  });

  test("add_var refuses what would exceed --buffer-size (4 bytes of lengths per variable)", () => {
    configure(["--buffer-size", "64"]);
    withRequest({ A: "x" }, () => {
      // A=x takes 4+1+1 = 6 bytes, B=48 bytes 4+1+48 = 53: 59 in all.
      assert.equal(uwsgi.add_var("B", "y".repeat(48)), true);
      assert.throws(() => uwsgi.add_var("C", "z"), code("UWSGI_ERR_INVALID_ARGUMENT"), "59 + 6 = 65 > 64");
      assert.equal(uwsgi.env.C, undefined);
      assert.equal(uwsgi.add_var("C", ""), true, "59 + 5 = 64 fits exactly");
      assert.equal(uwsgi.env.C, "");
    });
  });

  test("without --buffer-size add_var is bounded by uWSGI's default 4096", () => {
    withRequest({}, () => {
      assert.equal(uwsgi.add_var("K", "v".repeat(4000)), true);
      assert.throws(() => uwsgi.add_var("L", "w".repeat(100)), code("UWSGI_ERR_INVALID_ARGUMENT"));
    });
  });

  test("set_logvar/get_logvar keep per-request log variables as Buffers; unknown is null", () => {
    withRequest({}, () => {
      uwsgi.set_logvar("user", "alice");
      assert.deepEqual(uwsgi.get_logvar("user"), Buffer.from("alice"));
      assert.equal(uwsgi.get_logvar("nope"), null);
    });
    withRequest({}, () => assert.equal(uwsgi.get_logvar("user"), null, "not carried into another request"));
  });

  test("log_this_request marks the current request for the request log", () => {
    withRequest({}, () => {
      assert.equal(currentRequest()?.forceLog, false);
      assert.equal(uwsgi.log_this_request(), undefined);
      assert.equal(currentRequest()?.forceLog, true);
    });
  });

  test("chunked reads need a transport with body reads: UWSGI_ERR_NOT_IMPLEMENTED without one", async () => {
    await withRequest({}, async () => {
      await assert.rejects(uwsgi.chunked_read(1), code("UWSGI_ERR_NOT_IMPLEMENTED"));
    });
  });
});

describe("request I/O through openRequest (the server's transport)", () => {
  test("chunked_read reads a chunked upload piece by piece, then empty bytes at its end", async () => {
    const { response, handled } = await openRequest(async (_req, res) => {
      const got: string[] = [];
      for (let c = await uwsgi.chunked_read(5); c.length > 0; c = await uwsgi.chunked_read(5)) got.push(c.toString());
      res.end(got.join(""));
    }, { method: "POST", body: ["part1-", "part2-", "part3"] });
    await handled;
    assert.equal((await response).body.toString(), "part1-part2-part3");
  });

  test("chunked_read_nb returns null while nothing has arrived, empty bytes at the end", async () => {
    const { response, handled } = await openRequest(async (req, res) => {
      const seen: Array<string | null> = [];
      seen.push((await uwsgi.chunked_read_nb())?.toString() ?? null);
      await new Promise((r) => req.once("readable", r));
      for (let c = await uwsgi.chunked_read_nb(); c === null || c.length > 0; c = await uwsgi.chunked_read_nb()) {
        if (c === null) await new Promise((r) => setImmediate(r));
        else seen.push(c.toString());
      }
      res.end(JSON.stringify(seen));
    }, { method: "POST", body: "abc" });
    await handled;
    const seen = JSON.parse((await response).body.toString()) as Array<string | null>;
    assert.equal(seen.slice(1).join(""), "abc");
  });

  test("send(data) writes body bytes (the head first); disconnect drops the connection", async () => {
    const ok = await openRequest(async (_req, res) => {
      res.setHeader("x-a", "1");
      assert.equal(await uwsgi.send("raw "), true);
      assert.equal(await uwsgi.send(Buffer.from("bytes")), true);
      res.end();
    });
    await ok.handled;
    const r = await ok.response;
    assert.equal(r.headers["x-a"], "1");
    assert.equal(r.body.toString(), "raw bytes");
    const dropped = await openRequest(() => uwsgi.disconnect());
    await assert.rejects(dropped.response, /socket hang up|ECONNRESET/);
  });

  test("a websocket handler unit-tested with a websocket peer: echo, pong payload, close", async () => {
    const { websocket, handled } = await openRequest(async () => {
      await uwsgi.websocket_handshake();
      for (;;) {
        const m = await uwsgi.websocket_recv();
        await uwsgi.websocket_send(Buffer.concat([Buffer.from("echo:"), m]));
      }
    }, { websocket: true });
    assert.ok(websocket);
    websocket.send("hi");
    assert.equal((await websocket.next()).toString(), "echo:hi");
    assert.equal((await websocket.ping("p1")).toString(), "p1");
    websocket.close(1000);
    await assert.rejects(handled, code("UWSGI_ERR_WEBSOCKET_CLOSED"));
  });
});
