/**
 * The stub's socket functions through the public facade: connect/send/recv/close against an
 * in-test TCP echo server (and a unix socket), readiness waits, EOF and the coded errors.
 */
import { after, afterEach, before, beforeEach, describe, test } from "node:test";
import assert from "node:assert/strict";
import { mkdtempSync, rmSync } from "node:fs";
import { createServer, type Server, type Socket } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { uwsgi } from "../../../src/index.js";
import { reset } from "../../../src/testing.js";
import { isUwsgiError, type ErrorCode } from "../../../src/errors.js";
import { closedPort } from "./closed-port.js";

const code = (c: ErrorCode) => (e: unknown) => isUwsgiError(e, c);

/** A server whose connections run `onConnection`; tracks sockets so `stop` ends them all. */
class TestServer {
  readonly server: Server;
  readonly #sockets = new Set<Socket>();
  constructor(onConnection: (sock: Socket) => void) {
    this.server = createServer((sock) => {
      this.#sockets.add(sock);
      sock.on("close", () => this.#sockets.delete(sock));
      sock.on("error", () => undefined);
      onConnection(sock);
    });
  }
  listen(where: { port: 0; host: string } | { path: string }): Promise<void> {
    return new Promise((resolve) => this.server.listen(where, resolve));
  }
  get port(): number {
    return (this.server.address() as { port: number }).port;
  }
  async stop(): Promise<void> {
    for (const s of this.#sockets) s.destroy();
    await new Promise<void>((resolve) => this.server.close(() => resolve()));
  }
}

/** Reads from `fd` until `n` bytes arrived. */
async function recvExactly(fd: number, n: number): Promise<Buffer> {
  const parts: Buffer[] = [];
  let got = 0;
  while (got < n) {
    const chunk = await uwsgi.recv(fd, n - got);
    if (chunk.length === 0) throw new Error(`EOF after ${got} of ${n} bytes`);
    parts.push(chunk);
    got += chunk.length;
  }
  return Buffer.concat(parts);
}

const echo = new TestServer((sock) => sock.pipe(sock));
let address = "";
const opened: number[] = [];

before(async () => {
  await echo.listen({ port: 0, host: "127.0.0.1" });
  address = `127.0.0.1:${echo.port}`;
});
after(() => echo.stop());

beforeEach(() => reset());
afterEach(() => {
  for (const fd of opened.splice(0)) uwsgi.close(fd);
});

async function connectEcho(): Promise<number> {
  const fd = await uwsgi.connect(address);
  opened.push(fd);
  return fd;
}

describe("stub sockets: an echo server", () => {
  test("connect returns a descriptor; send/recv round-trip bytes", async () => {
    const fd = await connectEcho();
    assert.ok(Number.isInteger(fd) && fd >= 0, `fd ${fd}`);
    assert.equal(uwsgi.is_connected(fd), true);
    assert.equal(await uwsgi.send(fd, "hello"), true);
    assert.deepEqual(await recvExactly(fd, 5), Buffer.from("hello"));
    assert.equal(await uwsgi.send(fd, Buffer.from([0, 255, 1])), true);
    assert.deepEqual(await recvExactly(fd, 3), Buffer.from([0, 255, 1]));
  });

  test("recv returns at most maxsize bytes; the rest stays for the next recv, exactly once", async () => {
    const fd = await connectEcho();
    await uwsgi.send(fd, "hello");
    // The echo is buffered before the first recv: 5 bytes sent in one write come back in one
    // loopback segment, read in one go, so once the socket is readable all 5 are there.
    await uwsgi.wait_fd_read(fd, 2);
    assert.deepEqual(await uwsgi.recv(fd, 3), Buffer.from("hel"));
    assert.deepEqual(await recvExactly(fd, 2), Buffer.from("lo"));
    await uwsgi.send(fd, "world");
    await uwsgi.wait_fd_read(fd, 2);
    assert.deepEqual(await uwsgi.recv(fd, 1), Buffer.from("w"));
    assert.deepEqual(await recvExactly(fd, 4), Buffer.from("orld"));
    await uwsgi.send(fd, "!");
    assert.deepEqual(await recvExactly(fd, 1), Buffer.from("!"), "nothing read twice");
  });

  test("recv without maxsize reads what is there (up to 4096)", async () => {
    const fd = await connectEcho();
    await uwsgi.send(fd, "x".repeat(10_000));
    const first = await uwsgi.recv(fd);
    assert.ok(first.length > 0 && first.length <= 4096, `${first.length}`);
    const rest = await recvExactly(fd, 10_000 - first.length);
    assert.equal(first.length + rest.length, 10_000);
  });

  test("wait_fd_read resolves with empty bytes once data is there and does not consume it", async () => {
    const fd = await connectEcho();
    await uwsgi.send(fd, "ping");
    assert.deepEqual(await uwsgi.wait_fd_read(fd, 2), Buffer.alloc(0));
    assert.deepEqual(await recvExactly(fd, 4), Buffer.from("ping"));
  });

  test("wait_fd_read times out with UWSGI_ERR_FD when nothing arrives", async () => {
    const fd = await connectEcho();
    await assert.rejects(uwsgi.wait_fd_read(fd, 0), code("UWSGI_ERR_FD"));
  });

  test("wait_fd_write resolves with empty bytes on a writable socket", async () => {
    const fd = await connectEcho();
    assert.deepEqual(await uwsgi.wait_fd_write(fd, 1), Buffer.alloc(0));
  });

  test("close ends the descriptor: is_connected false, recv/send throw UWSGI_ERR_FD", async () => {
    const fd = await connectEcho();
    uwsgi.close(fd);
    assert.equal(uwsgi.is_connected(fd), false);
    await assert.rejects(uwsgi.recv(fd), code("UWSGI_ERR_FD"));
    await assert.rejects(uwsgi.send(fd, "x"), code("UWSGI_ERR_FD"));
    uwsgi.close(fd); // closing twice is harmless
  });

  test("several connections are independent", async () => {
    const a = await connectEcho();
    const b = await connectEcho();
    assert.notEqual(a, b);
    await uwsgi.send(a, "AAA");
    await uwsgi.send(b, "BB");
    assert.deepEqual(await recvExactly(b, 2), Buffer.from("BB"));
    assert.deepEqual(await recvExactly(a, 3), Buffer.from("AAA"));
  });

  test("async_connect returns a descriptor too", async () => {
    const fd = await uwsgi.async_connect(address);
    opened.push(fd);
    assert.ok(fd >= 0);
    await uwsgi.send(fd, "ok");
    assert.deepEqual(await recvExactly(fd, 2), Buffer.from("ok"));
  });
});

describe("stub sockets: peers that close, unix sockets, errors", () => {
  test("after the peer closes, recv returns the last bytes, then empty bytes (EOF), without hanging", async () => {
    const bye = new TestServer((sock) => sock.end("bye"));
    await bye.listen({ port: 0, host: "127.0.0.1" });
    try {
      const fd = await uwsgi.connect(`127.0.0.1:${bye.port}`);
      opened.push(fd);
      assert.deepEqual(await recvExactly(fd, 3), Buffer.from("bye"));
      assert.deepEqual(await uwsgi.recv(fd), Buffer.alloc(0));
    } finally {
      await bye.stop();
    }
  });

  test("unix socket paths work", async () => {
    const dir = mkdtempSync(join(tmpdir(), "uwsgi-node-stub-sock-"));
    const path = join(dir, "echo.sock");
    const unix = new TestServer((sock) => sock.pipe(sock));
    await unix.listen({ path });
    try {
      const fd = await uwsgi.connect(path);
      opened.push(fd);
      await uwsgi.send(fd, "unix");
      assert.deepEqual(await recvExactly(fd, 4), Buffer.from("unix"));
    } finally {
      await unix.stop();
      rmSync(dir, { recursive: true, force: true });
    }
  });

  test("connecting to a closed port: connect rejects with UWSGI_ERR_FD, async_connect gives -1", async () => {
    const port = await closedPort();
    await assert.rejects(uwsgi.connect(`127.0.0.1:${port}`), code("UWSGI_ERR_FD"));
    assert.equal(await uwsgi.async_connect(`127.0.0.1:${port}`), -1);
  });

  test("a malformed address is a coded error", async () => {
    await assert.rejects(uwsgi.connect("nowhere"), code("UWSGI_ERR_FD"));
    assert.equal(await uwsgi.async_connect("nowhere"), -1);
  });

  test("descriptors that are not open are refused", async () => {
    assert.equal(uwsgi.is_connected(0), false);
    assert.equal(uwsgi.is_connected(987654), false);
    await assert.rejects(uwsgi.recv(987654), code("UWSGI_ERR_FD"));
    await assert.rejects(uwsgi.send(987654, "x"), code("UWSGI_ERR_FD"));
    await assert.rejects(uwsgi.wait_fd_read(987654, 1), code("UWSGI_ERR_FD"));
    await assert.rejects(uwsgi.wait_fd_write(987654, 1), code("UWSGI_ERR_FD"));
  });
});

describe("fd functions on descriptors this process did not get from connect()", () => {
  test("a FIFO opened with fs: wait_fd_read times out, then wakes when a writer writes; recv reads the bytes; close ends it", async () => {
    const { execFileSync } = await import("node:child_process");
    const { openSync, writeSync, closeSync, constants } = await import("node:fs");
    const dir = mkdtempSync(join(tmpdir(), "uwsgi-node-fifo-"));
    try {
      const fifo = join(dir, "f");
      execFileSync("mkfifo", [fifo]);
      const fd = openSync(fifo, constants.O_RDWR | constants.O_NONBLOCK);
      const writer = openSync(fifo, constants.O_WRONLY | constants.O_NONBLOCK);
      await assert.rejects(uwsgi.wait_fd_read(fd, 0), code("UWSGI_ERR_FD"));
      assert.equal(uwsgi.is_connected(fd), true);
      const woke = uwsgi.wait_fd_read(fd, 5);
      writeSync(writer, "from another writer");
      assert.deepEqual(await woke, Buffer.alloc(0));
      assert.equal((await uwsgi.recv(fd, 4096)).toString(), "from another writer");
      uwsgi.close(fd);
      closeSync(writer);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  test("descriptors that cannot or must not be watched are refused with UWSGI_ERR_FD naming why", async () => {
    const { openSync, closeSync } = await import("node:fs");
    const file = openSync(import.meta.filename, "r");
    try {
      await assert.rejects(uwsgi.wait_fd_read(file, 0), (e: unknown) => isUwsgiError(e, "UWSGI_ERR_FD") && /regular files are always ready/.test(e.message));
    } finally {
      closeSync(file);
    }
    await assert.rejects(uwsgi.recv(1), (e: unknown) => isUwsgiError(e, "UWSGI_ERR_FD") && /already watched/.test(e.message));
    assert.throws(() => uwsgi.close(2), code("UWSGI_ERR_FD"));
  });
});
