/**
 * The stub's RPC functions through the public facade (§7): local registration and calls,
 * who may register, and remote calls against a tiny uwsgi-protocol RPC node written here.
 */
import { afterEach, beforeEach, describe, test } from "node:test";
import assert from "node:assert/strict";
import { createServer, type Server, type Socket } from "node:net";
import { uwsgi } from "../../../src/index.js";
import { configure, logLines, runAs } from "../../../src/testing.js";
import { isUwsgiError, type ErrorCode } from "../../../src/errors.js";
import { closedPort } from "./closed-port.js";

const code = (c: ErrorCode) => (e: unknown) => isUwsgiError(e, c);
const b = (s: string) => Buffer.from(s);

/** How the test node answers one decoded call: raw reply bytes, or null to close without a reply. */
type Answer = (func: string, args: Buffer[]) => Buffer | null | "hang";

/**
 * A minimal RPC node: reads `[173][size LE16][0]` + array items `[u16 len][bytes]`, records the
 * raw request and writes whatever `answer` returns; closes on an empty request, as uWSGI does.
 */
class RpcNode {
  readonly requests: Buffer[] = [];
  readonly #server: Server;
  readonly #sockets = new Set<Socket>();
  port = 0;

  constructor(answer: Answer) {
    this.#server = createServer((sock) => {
      this.#sockets.add(sock);
      sock.on("close", () => this.#sockets.delete(sock));
      let buf = Buffer.alloc(0);
      sock.on("data", (chunk) => {
        buf = Buffer.concat([buf, chunk]);
        if (buf.length < 4 || buf.length < 4 + buf.readUInt16LE(1)) return;
        const packet = buf.subarray(0, 4 + buf.readUInt16LE(1));
        if (packet.length === 4) {
          // an empty request (the keep request of uwsgi-node's client): "Empty RPC request. skip.", closed, as uWSGI does
          sock.destroy();
          return;
        }
        this.requests.push(Buffer.from(packet));
        const items: Buffer[] = [];
        for (let at = 4; at < packet.length; ) {
          const len = packet.readUInt16LE(at);
          items.push(packet.subarray(at + 2, at + 2 + len));
          at += 2 + len;
        }
        const reply = answer(items[0]!.toString(), items.slice(1));
        if (reply === "hang") return;
        if (reply === null) sock.end();
        else sock.end(reply);
      });
    });
  }

  async start(): Promise<string> {
    await new Promise<void>((resolve) => this.#server.listen(0, "127.0.0.1", resolve));
    this.port = (this.#server.address() as { port: number }).port;
    return `127.0.0.1:${this.port}`;
  }

  async stop(): Promise<void> {
    for (const s of this.#sockets) s.destroy();
    await new Promise<void>((resolve) => this.#server.close(() => resolve()));
  }
}

/** A `[173][len][0]` reply carrying `value`. */
function rpcReply(value: Buffer): Buffer {
  const header = Buffer.from([173, 0, 0, 0]);
  header.writeUInt16LE(value.length, 1);
  return Buffer.concat([header, value]);
}

beforeEach(() => {
  configure([]);
});

describe("stub rpc: local", () => {
  test("register_rpc returns true; call passes Buffers and returns the Buffer result", async () => {
    const seen: unknown[] = [];
    assert.equal(uwsgi.register_rpc("hello", (...args) => {
      seen.push(...args);
      return Buffer.from(`hello:${args.map(String).join(",")}`);
    }), true);
    assert.deepEqual(await uwsgi.call("hello", "a", b("b"), new Uint8Array([0x63])), b("hello:a,b,c"));
    assert.ok(seen.every((a) => Buffer.isBuffer(a)));
  });

  test("local calls keep empty arguments (probe: hello:a,,c)", async () => {
    uwsgi.register_rpc("hello", (...args) => `hello:${args.map(String).join(",")}`);
    assert.deepEqual(await uwsgi.call("hello", "a", "", "c"), b("hello:a,,c"));
  });

  test("a string result is sent UTF-8 encoded; empty, null, numbers and throws give null", async () => {
    uwsgi.register_rpc("str", () => "héllo");
    uwsgi.register_rpc("empty", () => "");
    uwsgi.register_rpc("none", () => null);
    uwsgi.register_rpc("num", () => 42);
    uwsgi.register_rpc("boom", () => {
      throw new Error("boom");
    });
    uwsgi.register_rpc("async", async () => b("later"));
    assert.deepEqual(await uwsgi.call("str"), Buffer.from("héllo", "utf8"));
    assert.equal(await uwsgi.call("empty"), null);
    assert.equal(await uwsgi.call("none"), null);
    assert.equal(await uwsgi.call("num"), null);
    assert.equal(await uwsgi.call("boom"), null);
    assert.deepEqual(await uwsgi.call("async"), b("later"));
  });

  test("an RPC function that throws is logged to the stub's log", async () => {
    uwsgi.register_rpc("boom", () => {
      throw new Error("kaboom");
    });
    assert.equal(await uwsgi.call("boom"), null);
    assert.ok(logLines().some((l) => l.includes('error in rpc function "boom"') && l.includes("kaboom")), logLines().join("\n"));
  });

  test("call to an unknown name resolves null", async () => {
    assert.equal(await uwsgi.call("nope"), null);
    assert.equal(await uwsgi.call("nope", "arg"), null);
  });

  test("rpc(null | \"\", ...) is a local call", async () => {
    uwsgi.register_rpc("echo", (x) => x);
    assert.deepEqual(await uwsgi.rpc(null, "echo", "x"), b("x"));
    assert.deepEqual(await uwsgi.rpc("", "echo", "y"), b("y"));
    assert.deepEqual(await uwsgi.rpc(b(""), b("echo"), "z"), b("z"));
  });

  test("rpc_list names the registered functions in registration order, as Buffers", () => {
    assert.deepEqual(uwsgi.rpc_list(), []);
    uwsgi.register_rpc("b", () => "1");
    uwsgi.register_rpc("a", () => "2");
    uwsgi.register_rpc("b", () => "3");
    assert.deepEqual(uwsgi.rpc_list(), [b("b"), b("a")]);
  });

  test("re-registering a name replaces the function", async () => {
    uwsgi.register_rpc("f", () => "old");
    uwsgi.register_rpc("f", () => "new");
    assert.deepEqual(await uwsgi.call("f"), b("new"));
  });

  test("a worker may register; mules and spoolers may not", async () => {
    runAs({ kind: "worker", id: 1 }, () => assert.equal(uwsgi.register_rpc("w", () => "w"), true));
    assert.deepEqual(await uwsgi.call("w"), b("w"));
    for (const kind of ["mule", "spooler"] as const) {
      runAs({ kind, id: 1 }, () => {
        assert.throws(() => uwsgi.register_rpc(`x${kind}`, () => "x"), code("UWSGI_ERR_RPC_REGISTER"), kind);
      });
    }
    assert.deepEqual(uwsgi.rpc_list(), [b("w")]);
  });

  test("a mule may call (local calls run in the caller's process)", async () => {
    uwsgi.register_rpc("f", () => "ok");
    const r = await runAs({ kind: "mule", id: 1 }, () => uwsgi.call("f"));
    assert.deepEqual(r, b("ok"));
  });

  test("bad names and non-functions are refused with UWSGI_ERR_RPC_REGISTER", () => {
    assert.throws(() => uwsgi.register_rpc("", () => "x"), code("UWSGI_ERR_RPC_REGISTER"));
    assert.throws(() => uwsgi.register_rpc("n".repeat(256), () => "x"), code("UWSGI_ERR_RPC_REGISTER"));
    assert.throws(() => uwsgi.register_rpc("f", "nope" as unknown as () => null), code("UWSGI_ERR_RPC_REGISTER"));
    assert.equal(uwsgi.register_rpc("n".repeat(255), () => "x"), true);
  });

  test("--rpc-max bounds the table; replacing still works when full", () => {
    configure(["--rpc-max", "2"]);
    uwsgi.register_rpc("a", () => "1");
    uwsgi.register_rpc("b", () => "2");
    assert.throws(() => uwsgi.register_rpc("c", () => "3"), code("UWSGI_ERR_RPC_REGISTER"));
    assert.equal(uwsgi.register_rpc("a", () => "4"), true);
  });

  test("configure drops registered functions", async () => {
    uwsgi.register_rpc("f", () => "x");
    configure([]);
    assert.deepEqual(uwsgi.rpc_list(), []);
    assert.equal(await uwsgi.call("f"), null);
  });
});

describe("stub rpc: remote", () => {
  let node: RpcNode | null = null;
  afterEach(async () => {
    await node?.stop();
    node = null;
  });

  const hello: Answer = (func, args) =>
    func === "hello" ? rpcReply(Buffer.from(`hello:${args.map(String).join(",")}`)) : null;

  test("rpc(\"host:port\", ...) sends the §1.6 request bytes and returns the raw reply", async () => {
    node = new RpcNode(hello);
    const address = await node.start();
    assert.deepEqual(await uwsgi.rpc(address, "hello", "a", "b"), b("hello:a,b"));
    assert.deepEqual(node.requests, [Buffer.from("ad0d000005006865 6c6c6f0100610100 62".replace(/ /g, ""), "hex")]);
  });

  test("the address may be given as bytes", async () => {
    node = new RpcNode(hello);
    const address = await node.start();
    assert.deepEqual(await uwsgi.rpc(b(address), b("hello"), b("x")), b("hello:x"));
  });

  test("a node closing without a reply (unknown function) gives null", async () => {
    node = new RpcNode(hello);
    const address = await node.start();
    assert.equal(await uwsgi.rpc(address, "nope"), null);
  });

  test("an empty reply gives null", async () => {
    node = new RpcNode(() => rpcReply(Buffer.alloc(0)));
    assert.equal(await uwsgi.rpc(await node.start(), "f"), null);
  });

  test("a reply over 64 KiB (m2=5 framing with CONTENT_LENGTH) arrives whole", async () => {
    const big = Buffer.alloc(70_000, 0x61);
    node = new RpcNode(() => {
      const dict = Buffer.concat([Buffer.from([14, 0]), b("CONTENT_LENGTH"), Buffer.from([5, 0]), b("70000")]);
      const header = Buffer.from([173, 0, 0, 5]);
      header.writeUInt16LE(dict.length, 1);
      return Buffer.concat([header, dict, big]);
    });
    const r = await uwsgi.rpc(await node.start(), "big");
    assert.equal(r?.length, 70_000);
    assert.ok(r?.equals(big));
  });

  test("regression: an unreachable node read as null; a closed port rejects with UWSGI_ERR_REMOTE_UNREACHABLE", async () => {
    const port = await closedPort();
    await assert.rejects(uwsgi.rpc(`127.0.0.1:${port}`, "hello", "a"), { code: "UWSGI_ERR_REMOTE_UNREACHABLE", message: new RegExp(`^node 127\\.0\\.0\\.1:${port} is unreachable \\(unreachable\\)`) });
  });

  test("a node that closes without a reply (unknown function) is a miss: null", async () => {
    node = new RpcNode(() => null);
    assert.equal(await uwsgi.rpc(await node.start(), "nope"), null);
    assert.equal(node.requests.length, 1);
  });

  test("a node that never answers rejects with UWSGI_ERR_REMOTE_UNREACHABLE (timeout) after --socket-timeout", async () => {
    configure(["--socket-timeout", "1"]);
    node = new RpcNode(() => "hang");
    await assert.rejects(uwsgi.rpc(await node.start(), "f"), { code: "UWSGI_ERR_REMOTE_UNREACHABLE", message: /is unreachable \(timeout\): no answer within --socket-timeout/ });
    assert.equal(node.requests.length, 1);
  });

  test("call(\"func@host:port\") calls func on that node (the seed's contract; uWSGI 2.0 looks it up locally)", async () => {
    node = new RpcNode(hello);
    const address = await node.start();
    uwsgi.register_rpc("hello", () => "local");
    assert.deepEqual(await uwsgi.call(`hello@${address}`, "z"), b("hello:z"));
    assert.equal(node.requests.length, 1);
  });

  test("call(\"func@closed-port\") rejects with UWSGI_ERR_REMOTE_UNREACHABLE", async () => {
    await assert.rejects(uwsgi.call(`hello@127.0.0.1:${await closedPort()}`), code("UWSGI_ERR_REMOTE_UNREACHABLE"));
  });

  test("a request over 64 KiB is refused with a coded error before connecting", async () => {
    node = new RpcNode(hello);
    const address = await node.start();
    await assert.rejects(uwsgi.rpc(address, "hello", "x".repeat(70_000)), code("UWSGI_ERR_PACKET_ENCODE"));
    assert.equal(node.requests.length, 0);
  });

  test("a malformed address is a coded error", async () => {
    await assert.rejects(uwsgi.rpc("not-an-address", "f"), code("UWSGI_ERR_INVALID_ARGUMENT"));
  });
});
