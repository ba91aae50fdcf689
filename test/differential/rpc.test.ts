/**
 * Differential: the local RPC registry in a real uWSGI 2.0.21 worker vs our stub (as a worker).
 * Registrations accumulate on both sides like in uWSGI's one worker; the table-size test is last.
 */
import assert from "node:assert/strict";
import { test } from "node:test";
import { both, pairWithUwsgi, sideBySide } from "./compare.js";
import { type Op, b, fn, isRaised, table } from "./scenario-ops.js";

const OPTIONS: string[] = [];

const uwsgiInstance = pairWithUwsgi(OPTIONS);

const names = (v: unknown) => (v as Buffer[]).map(String).sort();

test("rpc: register_rpc returns True and the name shows in rpc_list", async () => {
  const { theirs } = await both(uwsgiInstance(), [
    ["rpc_list"],
    ["register_rpc", "r_echo", fn("echo")],
    ["register_rpc", "r_empty", fn("empty"), 3],
    ["rpc_list"],
  ]);
  assert.deepEqual(theirs[1], true);
  assert.deepEqual(names(theirs[3]), ["r_echo", "r_empty"]);
});

test("rpc: local calls return bytes; args arrive as bytes; empty args are kept locally", async () => {
  const { theirs } = await both(uwsgiInstance(), [
    ["register_rpc", "r_types", fn("arg_types")],
    ["call", b("r_echo"), b("a"), b("b")],
    ["call", b("r_echo")],
    ["call", b("r_echo"), b("a"), b(""), b("c")],
    ["rpc", null, b("r_echo"), b("x")],
    ["rpc", "", b("r_echo"), b("y")],
    ["call", b("r_types"), b("1"), b("two")],
  ]);
  assert.deepEqual(theirs.slice(1, 4), [Buffer.from("echo:a,b"), Buffer.from("echo:"), Buffer.from("echo:a,,c")]);
  assert.deepEqual(theirs[6], Buffer.from("bytes,bytes"));
});

test("rpc: an empty-bytes return and an unknown function give None", async () => {
  const { theirs } = await both(uwsgiInstance(), [
    ["call", b("r_empty"), b("x")],
    ["call", b("r_nosuchfunction")],
  ]);
  assert.deepEqual(theirs, [null, null]);
});

test("rpc: re-registering a name replaces the function", async () => {
  await both(uwsgiInstance(), [
    ["register_rpc", "r_swap", fn("echo")],
    ["call", b("r_swap"), b("1")],
    ["register_rpc", "r_swap", fn("empty")],
    ["call", b("r_swap"), b("1")],
    ["rpc_list"],
  ]);
});

test("rpc: names of 255 bytes register, 256 bytes raise", async () => {
  const { theirs } = await both(uwsgiInstance(), [
    ["register_rpc", "n".repeat(255), fn("echo")],
    ["call", b("n".repeat(255)), b("z")],
    ["register_rpc", "m".repeat(256), fn("echo")],
    ["call", b("m".repeat(256))],
  ]);
  assert.equal(theirs[0], true);
  assert.ok(isRaised(theirs[2]) && theirs[2].message === "unable to register rpc function");
});

// ---------------------------------------------------------------- deliberate differences -----

test("rpc: a string result is sent UTF-8 encoded (uWSGI py3: a str result becomes None)", async () => {
  const ops: Op[] = [
    ["register_rpc", "r_text", fn("text")],
    ["call", b("r_text")],
  ];
  const { theirs, ours } = await sideBySide(uwsgiInstance(), ops);
  const why = table(ops, theirs, ours);
  assert.deepEqual(theirs, [true, null], why);
  assert.deepEqual(ours, [true, Buffer.from("text")], why);
});

test("rpc: string function names and arguments are accepted (uWSGI py3: str raises ValueError)", async () => {
  const ops: Op[] = [["call", "r_echo", "s"]];
  const { theirs, ours } = await sideBySide(uwsgiInstance(), ops);
  const why = table(ops, theirs, ours);
  assert.ok(isRaised(theirs[0]) && theirs[0].message === "unable to call rpc function", why);
  assert.deepEqual(ours, [Buffer.from("echo:s")], why);
});

test("rpc: an unreachable node rejects with UWSGI_ERR_REMOTE_UNREACHABLE (uWSGI: None, like a miss)", async () => {
  const ops: Op[] = [["call", b("r_echo@127.0.0.1:1")]];
  const { theirs, ours } = await sideBySide(uwsgiInstance(), ops);
  const why = table(ops, theirs, ours);
  assert.deepEqual(theirs, [null], why);
  assert.ok(isRaised(ours[0]) && /node 127\.0\.0\.1:1 is unreachable/.test(ours[0].message), why);
});

// Last: fills the table.
test("rpc: the 65th distinct name fails with the default --rpc-max 64; re-registering still works", async () => {
  const registered = (await uwsgiInstance().ops([["rpc_list"]]))[0] as Buffer[];
  const fill: Op[] = [];
  for (let i = registered.length; i < 64; i++) fill.push(["register_rpc", `cap_${i}`, fn("echo")]);
  const { theirs } = await both(uwsgiInstance(), [
    ...fill,
    ["register_rpc", "cap_overflow", fn("echo")],
    ["register_rpc", "r_echo", fn("echo")],
    ["call", b("cap_overflow")],
    ["rpc_list"],
  ]);
  const tail = theirs.slice(fill.length);
  assert.ok(fill.length > 0 && theirs.slice(0, fill.length).every((r) => r === true));
  assert.ok(isRaised(tail[0]), "uWSGI refuses the 65th name");
  assert.equal(tail[1], true);
  assert.equal((tail[3] as Buffer[]).length, 64);
});
