import { test } from "node:test";
import assert from "node:assert/strict";
import { RpcRegistry, rpcResultToBuffer } from "../../../src/engines/rpc/rpc-registry.js";
import { isUwsgiError } from "../../../src/errors.js";

const quiet = () => undefined;
const code = (c: Parameters<typeof isUwsgiError>[1]) => (e: unknown) => isUwsgiError(e, c);

test("rpc: register, list, lookup and invoke with byte arguments (probe: hello:a,,c)", async () => {
  const rpc = new RpcRegistry(64, quiet);
  assert.equal(rpc.register("hello", (...args) => Buffer.from(`hello:${args.map((a) => a.toString()).join(",")}`)), true);
  rpc.register(Buffer.from("strret"), () => "x");
  assert.deepEqual(rpc.list(), [Buffer.from("hello"), Buffer.from("strret")]);
  assert.equal(typeof rpc.lookup("hello"), "function");
  assert.equal(rpc.lookup(new Uint8Array(Buffer.from("hello"))), rpc.lookup("hello"));
  assert.equal(rpc.lookup("nope"), null);
  const out = await rpc.invoke("hello", [Buffer.from("a"), Buffer.alloc(0), Buffer.from("c")]);
  assert.deepEqual(out, Buffer.from("hello:a,,c"), "empty arguments are kept locally");
});

test("rpc: unknown functions give null", async () => {
  assert.equal(await new RpcRegistry(64, quiet).invoke("nope", []), null);
});

test("rpc: the same name replaces the function in place", async () => {
  const rpc = new RpcRegistry(64, quiet);
  rpc.register("a", () => "1");
  rpc.register("b", () => "2");
  rpc.register("a", () => "3");
  assert.deepEqual(rpc.list().map(String), ["a", "b"]);
  assert.deepEqual(await rpc.invoke("a", []), Buffer.from("3"));
});

test("rpc: names must be 1..255 bytes", () => {
  const rpc = new RpcRegistry(64, quiet);
  rpc.register("n".repeat(255), () => null);
  assert.throws(() => rpc.register("n".repeat(256), () => null), code("UWSGI_ERR_RPC_REGISTER"));
  assert.throws(() => rpc.register("", () => null), code("UWSGI_ERR_RPC_REGISTER"));
  assert.throws(() => rpc.register("é".repeat(128), () => null), code("UWSGI_ERR_RPC_REGISTER"), "bytes, not characters");
  assert.throws(() => rpc.register("f", "nope" as unknown as () => null), code("UWSGI_ERR_RPC_REGISTER"));
  assert.throws(() => rpc.register(42 as unknown as string, () => null), code("UWSGI_ERR_INVALID_ARGUMENT"));
});

test("rpc: the table holds max names; the next distinct one fails, replacing still works (probe: 65th fails)", () => {
  const rpc = new RpcRegistry(64, quiet);
  for (let i = 0; i < 64; i++) rpc.register(`f${i}`, () => null);
  assert.throws(() => rpc.register("f64", () => null), code("UWSGI_ERR_RPC_REGISTER"));
  assert.equal(rpc.register("f0", () => "again"), true);
  const small = new RpcRegistry(1, quiet);
  small.register("a", () => null);
  assert.throws(() => small.register("b", () => null), code("UWSGI_ERR_RPC_REGISTER"));
});

test("rpc: results become bytes or null; strings are UTF-8 (uWSGI py3 turns str into None)", async () => {
  const rpc = new RpcRegistry(64, quiet);
  const cases: Array<[unknown, Buffer | null]> = [
    [Buffer.from("b"), Buffer.from("b")],
    [new Uint8Array([1, 2]), Buffer.from([1, 2])],
    ["héllo", Buffer.from("héllo", "utf8")],
    ["", null],
    [Buffer.alloc(0), null],
    [null, null],
    [undefined, null],
    [42, null],
    [{ a: 1 }, null],
  ];
  for (const [i, [value, expected]] of cases.entries()) {
    rpc.register(`f${i}`, () => value);
    assert.deepEqual(await rpc.invoke(`f${i}`, []), expected, String(value));
    assert.deepEqual(rpcResultToBuffer(value), expected);
  }
});

test("rpc: async functions are awaited", async () => {
  const rpc = new RpcRegistry(64, quiet);
  rpc.register("later", async (x) => Buffer.concat([x!, Buffer.from("!")]));
  assert.deepEqual(await rpc.invoke("later", [Buffer.from("hi")]), Buffer.from("hi!"));
});

test("rpc: a throwing or rejecting function gives null and reaches onError", async () => {
  const errors: Array<[string, string]> = [];
  const rpc = new RpcRegistry(64, (err, name) => errors.push([name.toString(), (err as Error).message]));
  rpc.register("boom", () => {
    throw new Error("sync");
  });
  rpc.register("later", async () => {
    throw new Error("async");
  });
  assert.equal(await rpc.invoke("boom", []), null);
  assert.equal(await rpc.invoke("later", []), null);
  assert.deepEqual(errors, [["boom", "sync"], ["later", "async"]]);
});

test("rpc: max must be a non-negative integer", () => {
  assert.throws(() => new RpcRegistry(-1), code("UWSGI_ERR_INVALID_ARGUMENT"));
  assert.throws(() => new RpcRegistry(1.5), code("UWSGI_ERR_INVALID_ARGUMENT"));
});

test("rpc: a string name finds the function registered under its UTF-8 bytes, never one whose latin1 key reads like it", async () => {
  const rpc = new RpcRegistry(64, quiet);
  rpc.register("plain", () => "p");
  rpc.register("café", () => "utf8");
  assert.deepEqual(await rpc.invoke("plain", []), Buffer.from("p"));
  assert.deepEqual(await rpc.invoke(Buffer.from("plain"), []), Buffer.from("p"));
  assert.deepEqual(await rpc.invoke("café", []), Buffer.from("utf8"));
  assert.deepEqual(await rpc.invoke(Buffer.from("café"), []), Buffer.from("utf8"));
  // "café" is kept under the latin1 reading of its bytes (63 61 66 c3 a9), "cafÃ©"; the string
  // "cafÃ©" is other bytes (63 61 66 c3 83 c2 a9), registered by nobody
  assert.equal(rpc.find("cafÃ©"), undefined);
  assert.equal(rpc.find("nope"), undefined);
});

test("rpc: a function that returns nothing usable gives null, a Buffer comes back as it is", async () => {
  const rpc = new RpcRegistry(64, quiet);
  const same = Buffer.from("same");
  rpc.register("none", () => undefined);
  rpc.register("empty", () => Buffer.alloc(0));
  rpc.register("same", () => same);
  rpc.register("u8", () => new Uint8Array([1, 2]));
  assert.equal(await rpc.invoke("none", []), null);
  assert.equal(await rpc.invoke("empty", []), null);
  assert.equal(await rpc.invoke("same", []), same);
  const u8 = await rpc.invoke("u8", []);
  assert.ok(Buffer.isBuffer(u8));
  assert.deepEqual([...u8!], [1, 2]);
});
