import assert from "node:assert/strict";
import { describe, test } from "node:test";
import {
  CacheModifier2,
  RPC_MAX_ARGS,
  RpcModifier2,
  decodeCacheMagicRequest,
  decodeCacheMagicResponse,
  decodeCacheMagicResponseHead,
  decodePingResponse,
  decodeRpcRequest,
  decodeRpcResponse,
  decodeSignalRequest,
  decodeSpoolRequest,
  decodeStatusReply,
  encodeCacheMagicRequest,
  encodeCacheMagicResponse,
  encodePingRequest,
  encodePingResponse,
  encodeRpcRequest,
  encodeRpcResponse,
  encodeRpcResponseHead,
  encodeSignalRequest,
  encodeSpoolRequest,
  encodeStatusReply,
} from "../../../src/protocol/messages.js";
import { decodeHeader, decodePacket, decodeVars, encodePacket, encodeVars } from "../../../src/protocol/packet.js";
import {
  CACHE_EXPIRES_RECORD,
  CACHE_GET_REQUEST,
  CACHE_GET_RESPONSE,
  RPC_HELLO_REQUEST,
  RPC_HELLO_RESPONSE,
  RPC_LARGE_RESPONSE_HEAD,
  SIGNAL_10_REQUEST,
  SPOOL_A1_REQUEST,
  STATUS_FAILED_REPLY,
  STATUS_OK_REPLY,
  bytes,
  hex,
  throwsCode,
} from "./wire-vectors.js";

const text = (pairs: Array<[Buffer, Buffer]>) => pairs.map(([k, v]) => [k.toString("latin1"), v.toString("latin1")]);

describe("rpc (modifier1 173)", () => {
  test("hello(a, b): request and reply bytes match uWSGI", () => {
    assert.deepEqual(encodeRpcRequest("hello", ["a", "b"]), RPC_HELLO_REQUEST);
    const { func, args } = decodeRpcRequest(decodePacket(RPC_HELLO_REQUEST).payload);
    assert.equal(func.toString(), "hello");
    assert.deepEqual(args.map(String), ["a", "b"]);
    assert.deepEqual(encodeRpcResponse("hello:a,b"), RPC_HELLO_RESPONSE);
    assert.equal(decodeRpcResponse(RPC_HELLO_RESPONSE).toString(), "hello:a,b");
  });

  test("a 70000-byte return uses the modifier2 5 CONTENT_LENGTH framing", () => {
    const value = Buffer.alloc(70000, 0x78);
    assert.deepEqual(encodeRpcResponseHead(70000), RPC_LARGE_RESPONSE_HEAD);
    const reply = encodeRpcResponse(value);
    assert.deepEqual(reply, Buffer.concat([RPC_LARGE_RESPONSE_HEAD, value]));
    assert.deepEqual(decodeRpcResponse(reply), value);
  });

  test("the framing switches exactly above 65535 bytes", () => {
    assert.deepEqual(encodeRpcResponseHead(65535), hex("ad ff ff 00"));
    assert.equal(decodeHeader(encodeRpcResponseHead(65536)).modifier2, RpcModifier2.LARGE_RESPONSE);
    assert.deepEqual(decodeRpcResponse(encodeRpcResponse(Buffer.alloc(65536, 1))), Buffer.alloc(65536, 1));
    assert.deepEqual(encodeRpcResponse(""), hex("ad 00 00 00"));
  });

  test("rpc: empty arguments travel and decode as empty (uWSGI drops them, a bug)", () => {
    const req = encodeRpcRequest("hello", ["a", "", "c", ""]);
    assert.deepEqual(decodeRpcRequest(decodePacket(req).payload).args.map(String), ["a", "", "c", ""]);
  });

  test("argument count and size limits", () => {
    const args = Array.from({ length: RPC_MAX_ARGS }, () => "x");
    assert.equal(decodeRpcRequest(decodePacket(encodeRpcRequest("f", args)).payload).args.length, 254);
    throwsCode(() => encodeRpcRequest("f", [...args, "x"]), "UWSGI_ERR_PACKET_ENCODE", /has 255 arguments \(max 254\)/);
    assert.equal(encodeRpcRequest("f", [Buffer.alloc(65530)]).length, 4 + 65535);
    throwsCode(() => encodeRpcRequest("f", [Buffer.alloc(65531)]), "UWSGI_ERR_PACKET_ENCODE", /payload is 65536 bytes \(max 65535\)/);
    throwsCode(() => encodeRpcRequest("", []), "UWSGI_ERR_PACKET_ENCODE", /function name is empty/);
    throwsCode(() => encodeRpcRequest("f", [3 as unknown as string]), "UWSGI_ERR_INVALID_ARGUMENT", /array item #1/);
    assert.equal(decodeHeader(encodeRpcRequest("f", [], RpcModifier2.RAW)).modifier2, 1);
  });

  test("malformed rpc requests", () => {
    throwsCode(() => decodeRpcRequest(Buffer.alloc(0)), "UWSGI_ERR_PACKET_MALFORMED", /rpc request: empty payload/);
    throwsCode(() => decodeRpcRequest(hex("00 00 01 00 61")), "UWSGI_ERR_PACKET_MALFORMED", /empty function name/);
    throwsCode(() => decodeRpcRequest(bytes("05 00", ["hel"])), "UWSGI_ERR_PACKET_MALFORMED", /item #0 .* runs past the end/);
    const items = Array.from({ length: 256 }, () => "x");
    throwsCode(() => decodeRpcRequest(decodePacket(encodePacket(173, 0, Buffer.concat(items.map(() => hex("01 00 78"))))).payload), "UWSGI_ERR_PACKET_MALFORMED", /more than 255 items/);
  });

  test("malformed rpc replies", () => {
    throwsCode(() => decodeRpcResponse(RPC_HELLO_RESPONSE.subarray(0, 8)), "UWSGI_ERR_PACKET_MALFORMED", /datasize 9 runs past the end/);
    throwsCode(() => decodeRpcResponse(Buffer.concat([RPC_HELLO_RESPONSE, hex("00")])), "UWSGI_ERR_PACKET_MALFORMED", /1 unexpected bytes after offset 13/);
    throwsCode(() => decodeRpcResponse(Buffer.concat([RPC_LARGE_RESPONSE_HEAD, Buffer.alloc(69999)])), "UWSGI_ERR_PACKET_MALFORMED", /value truncated: 69999 of 70000/);
    throwsCode(() => decodeRpcResponse(encodePacket(173, 5, encodeVars({ OTHER: "1" }))), "UWSGI_ERR_PACKET_MALFORMED", /without CONTENT_LENGTH/);
    throwsCode(() => decodeRpcResponse(encodePacket(173, 5, encodeVars({ CONTENT_LENGTH: "7x" }))), "UWSGI_ERR_PACKET_MALFORMED", /CONTENT_LENGTH: "7x" is not a decimal number/);
  });
});

describe("cache magic (modifier1 111, modifier2 17)", () => {
  test("get of wk in c1: request and reply bytes match uWSGI", () => {
    assert.equal(CacheModifier2.MAGIC, 17);
    assert.deepEqual(encodeCacheMagicRequest({ cmd: "get", key: "wk", cache: "c1" }), CACHE_GET_REQUEST);
    const req = decodeCacheMagicRequest(decodePacket(CACHE_GET_REQUEST).payload);
    assert.deepEqual({ ...req, key: req.key?.toString(), cache: req.cache?.toString() }, { cmd: "get", key: "wk", cache: "c1", size: 0, expires: 0 });
    assert.deepEqual(encodeCacheMagicResponse({ value: "c1val" }), CACHE_GET_RESPONSE);
    const reply = decodeCacheMagicResponse(CACHE_GET_RESPONSE);
    assert.equal(reply.ok, true);
    assert.equal(reply.size, 5);
    assert.equal(reply.expires, 0);
    assert.equal(reply.value?.toString(), "c1val");
  });

  test("a get reply for an expiring item carries the absolute expiry", () => {
    const expected = Buffer.concat([hex("6f 2a 00 11"), CACHE_GET_RESPONSE.subarray(4, 25), CACHE_EXPIRES_RECORD, Buffer.from("c1val")]);
    assert.deepEqual(encodeCacheMagicResponse({ value: "c1val", expires: 1795461849 }), expected);
    assert.equal(decodeCacheMagicResponse(expected).expires, 1795461849);
  });

  test("set/update are encoded like uWSGI's client: size twice, expires only when > 0, value after the packet", () => {
    const req = encodeCacheMagicRequest({ cmd: "set", key: "k", value: "abc", expires: 60 });
    const dict = bytes("03 00", ["cmd"], "03 00", ["set"], "03 00", ["key"], "01 00", ["k"], "04 00", ["size"], "01 00", ["3"], "07 00", ["expires"], "02 00", ["60"], "04 00", ["size"], "01 00", ["3"]);
    assert.deepEqual(req, Buffer.concat([hex("6f 31 00 11"), dict, Buffer.from("abc")]));
    const upd = encodeCacheMagicRequest({ cmd: "update", key: "k", value: "abc", cache: "c1" });
    assert.deepEqual(text(decodeVars(decodePacket(upd).payload)), [["cmd", "update"], ["key", "k"], ["size", "3"], ["size", "3"], ["cache", "c1"]]);
    assert.equal(upd.subarray(decodePacket(upd).end).toString(), "abc");
  });

  test("the request parser tolerates duplicate size and accepts the §1.6 single-size set", () => {
    const probeSet = bytes("6f 28 00 11", "03 00", ["cmd"], "03 00", ["set"], "03 00", ["key"], "01 00", ["k"], "04 00", ["size"], "01 00", ["3"], "07 00", ["expires"], "02 00", ["60"], "61 62 63");
    const { payload, end } = decodePacket(probeSet);
    const req = decodeCacheMagicRequest(payload);
    assert.deepEqual([req.cmd, req.key?.toString(), req.size, req.expires, req.cache], ["set", "k", 3, 60, null]);
    assert.equal(probeSet.subarray(end).toString(), "abc");
    const dup = decodeCacheMagicRequest(decodePacket(encodeCacheMagicRequest({ cmd: "set", key: "k", value: "abcd" })).payload);
    assert.equal(dup.size, 4);
  });

  test("other commands: key-only, clear without key, an explicitly empty cache name", () => {
    for (const cmd of ["del", "exists"] as const) {
      const req = decodeCacheMagicRequest(decodePacket(encodeCacheMagicRequest({ cmd, key: "k" })).payload);
      assert.equal(req.cmd, cmd);
      assert.equal(req.key?.toString(), "k");
    }
    const clear = encodeCacheMagicRequest({ cmd: "clear", cache: "" });
    assert.deepEqual(clear, bytes("6f 15 00 11", "03 00", ["cmd"], "05 00", ["clear"], "05 00", ["cache"], "00 00"));
    const decoded = decodeCacheMagicRequest(decodePacket(clear).payload);
    assert.deepEqual([decoded.cmd, decoded.key, decoded.cache], ["clear", null, null]);
  });

  test("bad encoder arguments are coded errors", () => {
    throwsCode(() => encodeCacheMagicRequest({ cmd: "get" }), "UWSGI_ERR_INVALID_ARGUMENT", /get needs a key/);
    throwsCode(() => encodeCacheMagicRequest({ cmd: "clear", key: "k" }), "UWSGI_ERR_INVALID_ARGUMENT", /clear takes no key/);
    throwsCode(() => encodeCacheMagicRequest({ cmd: "set", key: "k" }), "UWSGI_ERR_INVALID_ARGUMENT", /set needs a value/);
    throwsCode(() => encodeCacheMagicRequest({ cmd: "get", key: "k", value: "v" }), "UWSGI_ERR_INVALID_ARGUMENT", /get takes no value/);
    throwsCode(() => encodeCacheMagicRequest({ cmd: "set", key: "k", value: "v", expires: -1 }), "UWSGI_ERR_INVALID_ARGUMENT", /expires/);
    throwsCode(() => encodeCacheMagicRequest({ cmd: "nope" as "get", key: "k" }), "UWSGI_ERR_INVALID_ARGUMENT", /unknown cache command "nope"/);
    throwsCode(() => encodeCacheMagicRequest({ cmd: "get", key: Buffer.alloc(65535) }), "UWSGI_ERR_PACKET_ENCODE", /payload is \d+ bytes/);
  });

  test("malformed magic requests name the field", () => {
    const payload = (dict: Array<[string, string]>) => encodeVars(dict);
    throwsCode(() => decodeCacheMagicRequest(payload([["key", "k"]])), "UWSGI_ERR_PACKET_MALFORMED", /no cmd/);
    throwsCode(() => decodeCacheMagicRequest(payload([["cmd", "inc"], ["key", "k"]])), "UWSGI_ERR_PACKET_MALFORMED", /unknown cmd "inc"/);
    throwsCode(() => decodeCacheMagicRequest(payload([["cmd", "get"]])), "UWSGI_ERR_PACKET_MALFORMED", /cmd get without a key/);
    throwsCode(() => decodeCacheMagicRequest(payload([["cmd", "set"], ["key", "k"], ["size", "3a"]])), "UWSGI_ERR_PACKET_MALFORMED", /size: "3a" is not a decimal number/);
    throwsCode(() => decodeCacheMagicRequest(payload([["cmd", "set"], ["key", "k"], ["size", "3"], ["expires", "-1"]])), "UWSGI_ERR_PACKET_MALFORMED", /expires: "-1"/);
    throwsCode(() => decodeCacheMagicRequest(payload([["cmd", "set"], ["key", "k"], ["size", ""]])), "UWSGI_ERR_PACKET_MALFORMED", /size: ""/);
    throwsCode(() => decodeCacheMagicRequest(hex("00 00")), "UWSGI_ERR_PACKET_MALFORMED", /zero key length/);
  });

  test("plain ok replies and non-ok statuses", () => {
    const ok = encodeCacheMagicResponse();
    assert.deepEqual(ok, bytes("6f 0c 00 11", "06 00", ["status"], "02 00", ["ok"]));
    assert.deepEqual(decodeCacheMagicResponse(ok), { status: Buffer.from("ok"), ok: true, size: null, expires: 0, value: null });
    const head = decodeCacheMagicResponseHead(encodeVars({ status: "error" }));
    assert.equal(head.ok, false);
    assert.equal(head.status?.toString(), "error");
    assert.equal(decodeCacheMagicResponseHead(Buffer.alloc(0)).ok, false);
    throwsCode(() => decodeCacheMagicResponse(CACHE_GET_RESPONSE.subarray(0, 27)), "UWSGI_ERR_PACKET_MALFORMED", /value truncated: 2 of 5 bytes/);
    throwsCode(() => decodeCacheMagicResponse(Buffer.concat([ok, hex("00")])), "UWSGI_ERR_PACKET_MALFORMED", /unexpected bytes/);
  });
});

describe("status reply, remote signal, remote spool, ping", () => {
  test("remote signal 10: 6e 00 00 0a, reply ff 00 00 01", () => {
    assert.deepEqual(encodeSignalRequest(10), SIGNAL_10_REQUEST);
    assert.equal(decodeSignalRequest(decodeHeader(SIGNAL_10_REQUEST)), 10);
    assert.deepEqual(encodeStatusReply(true), STATUS_OK_REPLY);
    assert.deepEqual(encodeStatusReply(false), STATUS_FAILED_REPLY);
    assert.equal(decodeStatusReply(STATUS_OK_REPLY), true);
    assert.equal(decodeStatusReply(STATUS_FAILED_REPLY), false);
  });

  test("bad signal numbers and foreign packets", () => {
    throwsCode(() => encodeSignalRequest(256), "UWSGI_ERR_SIGNAL_INVALID", /256/);
    throwsCode(() => encodeSignalRequest(-1), "UWSGI_ERR_SIGNAL_INVALID", /-1/);
    throwsCode(() => decodeSignalRequest({ modifier1: 111, modifier2: 10 }), "UWSGI_ERR_PACKET_MALFORMED", /modifier1 is 111, expected 110/);
    throwsCode(() => decodeStatusReply(hex("ff 00")), "UWSGI_ERR_PACKET_MALFORMED", /truncated header/);
  });

  test("remote spool {a: 1}: 11 06 00 00 01 00 61 01 00 31", () => {
    assert.deepEqual(encodeSpoolRequest({ a: "1" }), SPOOL_A1_REQUEST);
    assert.deepEqual(text(decodeSpoolRequest(decodePacket(SPOOL_A1_REQUEST).payload)), [["a", "1"]]);
    throwsCode(() => encodeSpoolRequest({ big: Buffer.alloc(65530) }), "UWSGI_ERR_PACKET_ENCODE", /payload is \d+ bytes/);
  });

  test("ping: request 64 00 00 00, reply echoes the header with modifier2 1 and the warning message", () => {
    assert.deepEqual(encodePingRequest(), hex("64 00 00 00"));
    assert.deepEqual(encodePingResponse(null), hex("64 00 00 01"));
    assert.equal(decodePingResponse(hex("64 00 00 01")), null);
    const warning = "w".repeat(80);
    const reply = encodePingResponse(warning);
    assert.deepEqual(reply.subarray(0, 4), hex("64 50 00 01"));
    assert.equal(decodePingResponse(reply)?.toString(), warning);
    throwsCode(() => decodePingResponse(reply.subarray(0, 50)), "UWSGI_ERR_PACKET_MALFORMED", /datasize 80 runs past the end/);
  });
});
