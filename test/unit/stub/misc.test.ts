/**
 * The rest of the stub's API through the public facade: extract, sendfile, the functions
 * uwsgi-node does not provide (coded errors), websockets outside and inside a request, the
 * error objects, and UWSGICONF_FORCE_STUB choosing the stub in a process marked as a worker.
 */
import { afterEach, beforeEach, describe, test } from "node:test";
import assert from "node:assert/strict";
import { execFile } from "node:child_process";
import { closeSync, mkdtempSync, openSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { pathToFileURL } from "node:url";
import { promisify } from "node:util";
import { uwsgi, UwsgiError, isUwsgiError, ERROR_CODES, registerEmbeddedData, type ErrorCode } from "../../../src/index.js";
import { openRequest, reset, withRequest } from "../../../src/testing.js";
import { stubForced, underServer } from "../../../src/uwsgi.js";

const code = (c: ErrorCode) => (e: unknown) => isUwsgiError(e, c);
const root = join(import.meta.dirname, "..", "..", "..", "..");
const fixture = join(root, "test", "fixtures", "stub", "force-stub.mjs");

let dir: string;
beforeEach(() => {
  reset();
  dir = mkdtempSync(join(tmpdir(), "uwsgi-node-stub-misc-"));
});
afterEach(() => rmSync(dir, { recursive: true, force: true }));

describe("stub misc: extract and sendfile", () => {
  test("extract reads a file by path or file:// URL; null when unreadable", () => {
    const file = join(dir, "data.bin");
    writeFileSync(file, Buffer.from([1, 2, 3, 0, 255]));
    assert.deepEqual(uwsgi.extract(file), Buffer.from([1, 2, 3, 0, 255]));
    assert.deepEqual(uwsgi.extract(pathToFileURL(file).href), Buffer.from([1, 2, 3, 0, 255]));
    assert.equal(uwsgi.extract(join(dir, "missing")), null);
    assert.equal(uwsgi.extract(dir), null, "a directory");
  });

  test("sendfile streams the file (or a range of it, by path or descriptor) into the response", async () => {
    const file = join(dir, "page.html");
    writeFileSync(file, "0123456789");
    const { response, handled } = await openRequest(async (_req, res) => {
      assert.equal(await uwsgi.sendfile(file), true);
      assert.equal(await uwsgi.sendfile(file, 0, 2, 3), true);
      const fd = openSync(file, "r");
      try {
        assert.equal(await uwsgi.sendfile(fd, 0, 7), true);
      } finally {
        closeSync(fd);
      }
      res.end();
    });
    await handled;
    assert.equal((await response).body.toString(), "0123456789" + "234" + "789");
  });

  test("sendfile of a missing file rejects with UWSGI_ERR_REQUEST_IO before writing anything", async () => {
    const { response, handled } = await openRequest(async () => uwsgi.sendfile(join(dir, "missing")));
    await assert.rejects(handled, code("UWSGI_ERR_REQUEST_IO"));
    assert.equal((await response).status, 500);
  });

  test("offload resolves once the file is open and ends the response when it is sent", async () => {
    const file = join(dir, "big.bin");
    writeFileSync(file, Buffer.alloc(300_000, 7));
    const { response, handled } = await openRequest(async () => {
      assert.deepEqual(await uwsgi.offload(file), Buffer.alloc(0));
    });
    await handled;
    const r = await response;
    assert.equal(r.body.length, 300_000);
    assert.ok(r.body.every((b) => b === 7));
  });
});

describe("stub misc: embedded_data and extract's sources", () => {
  test("embedded_data reads a blob registered with registerEmbeddedData; an unknown name is UWSGI_ERR_EMBEDDED_DATA (a ValueError, as uWSGI's)", () => {
    registerEmbeddedData("stub-blob", Buffer.from([0, 1, 2, 255]));
    assert.deepEqual(uwsgi.embedded_data("stub-blob"), Buffer.from([0, 1, 2, 255]));
    uwsgi.embedded_data("stub-blob")[0] = 9; // a copy: the registered bytes do not change
    assert.deepEqual(uwsgi.embedded_data("stub-blob"), Buffer.from([0, 1, 2, 255]));
    assert.throws(() => uwsgi.embedded_data("_binary_foo_start"), (e: unknown) => isUwsgiError(e, "UWSGI_ERR_EMBEDDED_DATA") && e.kind === "ValueError" && /_binary_foo_start/.test(e.message));
    assert.throws(() => registerEmbeddedData("", "x"), code("UWSGI_ERR_INVALID_ARGUMENT"));
  });

  test("extract reads sym:// blobs (null when none), data: URIs (base64 and percent-encoded)", () => {
    registerEmbeddedData("stub-sym", "symbol bytes");
    assert.equal(uwsgi.extract("sym://stub-sym")?.toString(), "symbol bytes");
    assert.equal(uwsgi.extract("sym://never-registered"), null);
    assert.equal(uwsgi.extract("data:text/plain;base64,aGVsbG8gd29ybGQ=")?.toString(), "hello world");
    assert.equal(uwsgi.extract("data:,a%20b%E2%82%AC")?.toString(), "a b€");
    assert.equal(uwsgi.extract("data:application/octet-stream;base64,")?.length, 0);
  });

  test("extract: malformed data: URIs and uWSGI's other schemes throw UWSGI_ERR_EXTRACT naming the problem", () => {
    for (const bad of ["data:no-comma", "data:;base64,!!!", "data:,%E2%82"]) assert.throws(() => uwsgi.extract(bad), code("UWSGI_ERR_EXTRACT"), bad);
    for (const scheme of ["data://0", "section://x", "call://f", "callint://f", "exec://ls", "http://127.0.0.1/x", "fd://0", "emperor://x", "-"]) {
      assert.throws(() => uwsgi.extract(scheme), (e: unknown) => isUwsgiError(e, "UWSGI_ERR_EXTRACT") && e.message.includes(scheme === "-" ? "standard input" : scheme.split(":")[0]!), scheme);
    }
  });
});

describe("stub misc: functions uwsgi-node does not provide", () => {
  test("websocket_* outside a request reject with UWSGI_ERR_NO_REQUEST (a SystemError in uWSGI terms)", async () => {
    const calls = [
      () => uwsgi.websocket_handshake(),
      () => uwsgi.websocket_recv(),
      () => uwsgi.websocket_recv_nb(),
      () => uwsgi.websocket_send("x"),
      () => uwsgi.websocket_send_binary(Buffer.from("x")),
    ];
    for (const call of calls) {
      await assert.rejects(call(), (e: unknown) => isUwsgiError(e, "UWSGI_ERR_NO_REQUEST") && e.kind === "SystemError");
    }
  });

  test("websocket_* inside a request that is not an Upgrade request: the handshake fails, the rest find no websocket", async () => {
    await withRequest({ HTTP_SEC_WEBSOCKET_KEY: "dGhlIHNhbXBsZSBub25jZQ==" }, async () => {
      await assert.rejects(uwsgi.websocket_handshake(), code("UWSGI_ERR_WEBSOCKET_HANDSHAKE"));
      await assert.rejects(uwsgi.websocket_send("x"), code("UWSGI_ERR_WEBSOCKET_NONE"));
      await assert.rejects(uwsgi.websocket_recv(), code("UWSGI_ERR_WEBSOCKET_NONE"));
    });
  });
});

describe("stub misc: errors", () => {
  test("errors are UwsgiError instances with a stable code, a Python kind and a message", () => {
    try {
      uwsgi.lock(99);
      assert.fail("lock(99) should throw");
    } catch (err) {
      assert.ok(err instanceof UwsgiError);
      assert.ok(err instanceof Error);
      assert.equal(err.code, "UWSGI_ERR_LOCK_INVALID");
      assert.equal(err.kind, ERROR_CODES.UWSGI_ERR_LOCK_INVALID.kind);
      assert.match(err.message, /99/, "the message names the bad lock number");
    }
  });
});

describe("stub misc: choosing the backend", () => {
  const run = promisify(execFile);
  async function backendIn(env: Record<string, string>): Promise<{ is_stub: boolean; worker_id: number }> {
    const clean = Object.fromEntries(Object.entries(process.env).filter(([k]) => !k.startsWith("UWSGI_NODE_") && k !== "UWSGICONF_FORCE_STUB"));
    const { stdout } = await run(process.execPath, [fixture], { env: { ...clean, ...env }, timeout: 20_000 });
    return JSON.parse(stdout) as { is_stub: boolean; worker_id: number };
  }

  test("UWSGICONF_FORCE_STUB=1 gives the stub even in a process marked UWSGI_NODE_ROLE=worker", async () => {
    assert.deepEqual(await backendIn({ UWSGI_NODE_ROLE: "worker", UWSGI_NODE_ID: "1", UWSGICONF_FORCE_STUB: "1" }), { is_stub: true, worker_id: 0 });
  });

  test("UWSGICONF_FORCE_STUB=yes works too", async () => {
    assert.equal((await backendIn({ UWSGI_NODE_ROLE: "worker", UWSGI_NODE_ID: "1", UWSGICONF_FORCE_STUB: "yes" })).is_stub, true);
  });

  test("a plain node process gets the stub", async () => {
    assert.equal((await backendIn({})).is_stub, true);
  });

  test("stubForced accepts 1/true/yes in any case and surrounding spaces, nothing else", () => {
    for (const v of ["1", "true", "TRUE", "yes", " Yes "]) assert.equal(stubForced({ UWSGICONF_FORCE_STUB: v }), true, v);
    for (const v of ["0", "", "no", "false", "2"]) assert.equal(stubForced({ UWSGICONF_FORCE_STUB: v }), false, v);
    assert.equal(stubForced({}), false);
  });

  test("underServer is true only with UWSGI_NODE_ROLE", () => {
    assert.equal(underServer({ UWSGI_NODE_ROLE: "worker" }), true);
    assert.equal(underServer({}), false);
    assert.equal(underServer({ UWSGI_NODE_ROLE: "" }), false);
  });
});

describe("stub misc: uwsgi.route() inside a test request", () => {
  test("runs the action on the request: headers, variables, an answer; -1 for an unknown action; UWSGI_ERR_NO_REQUEST outside", async () => {
    const codes: number[] = [];
    const { response, handled } = await openRequest(async () => {
      codes.push(uwsgi.route("addheader", "X-Stub: yes"), uwsgi.route("addvar", "STUB_VAR=${REQUEST_METHOD}-${qs[a]}"), uwsgi.route("nope", ""));
      assert.equal(uwsgi.env.STUB_VAR, "GET-1");
      codes.push(uwsgi.route("redirect-301", "/elsewhere"));
    }, { path: "/p?a=1" });
    await handled;
    const r = await response;
    assert.deepEqual(codes, [0, 0, -1, 2]);
    assert.equal(r.status, 301);
    assert.equal(r.headers.location, "/elsewhere");
    assert.equal(r.headers["x-stub"], "yes");
    assert.throws(() => uwsgi.route("log", "x"), code("UWSGI_ERR_NO_REQUEST"));
  });
});
