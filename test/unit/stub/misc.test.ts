/**
 * The rest of the stub's API through the public facade: extract, sendfile, the functions
 * uwsgi-node does not provide (coded errors), websockets outside and inside a request, the
 * error objects, and UWSGICONF_FORCE_STUB choosing the stub in a process marked as a worker.
 */
import { afterEach, beforeEach, describe, test } from "node:test";
import assert from "node:assert/strict";
import { execFile } from "node:child_process";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { pathToFileURL } from "node:url";
import { promisify } from "node:util";
import { uwsgi, UwsgiError, isUwsgiError, ERROR_CODES, type ErrorCode } from "../../../src/index.js";
import { reset, withRequest } from "../../../src/testing.js";
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

  test("sendfile writes the file (or a range of it) to the current request's connection", async () => {
    const file = join(dir, "page.html");
    writeFileSync(file, "0123456789");
    const written: Buffer[] = [];
    const transport = {
      disconnect: () => undefined,
      writeRaw: async (d: Buffer) => {
        written.push(d);
        return true;
      },
    };
    await withRequest({}, async () => {
      assert.equal(await uwsgi.sendfile(file), true);
      assert.equal(await uwsgi.sendfile(file, 0, 2, 3), true);
      assert.equal(await uwsgi.sendfile(file, 0, 7), true);
    }, { transport });
    assert.deepEqual(written.map(String), ["0123456789", "234", "789"]);
  });
});

describe("stub misc: functions uwsgi-node does not provide", () => {
  test("embedded_data and route throw UWSGI_ERR_NOT_IMPLEMENTED (a ValueError in uWSGI terms)", () => {
    assert.throws(() => uwsgi.embedded_data("_binary_foo_start"), (e: unknown) => isUwsgiError(e, "UWSGI_ERR_NOT_IMPLEMENTED") && e.kind === "ValueError" && /_binary_foo_start/.test(e.message));
    assert.throws(() => uwsgi.route("myroute", "a,b"), code("UWSGI_ERR_NOT_IMPLEMENTED"));
  });

  test("offload rejects with UWSGI_ERR_NOT_IMPLEMENTED", async () => {
    await assert.rejects(uwsgi.offload("/etc/hostname"), code("UWSGI_ERR_NOT_IMPLEMENTED"));
  });

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

  test("websocket_* inside a request reject with UWSGI_ERR_NOT_IMPLEMENTED", async () => {
    await withRequest({ HTTP_UPGRADE: "websocket" }, async () => {
      await assert.rejects(uwsgi.websocket_handshake("key"), code("UWSGI_ERR_NOT_IMPLEMENTED"));
      await assert.rejects(uwsgi.websocket_send("x"), code("UWSGI_ERR_NOT_IMPLEMENTED"));
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
