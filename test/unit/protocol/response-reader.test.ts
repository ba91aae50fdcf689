import assert from "node:assert/strict";
import { test } from "node:test";
import { encodeCacheMagicResponse, encodeRpcResponse } from "../../../src/protocol/messages.js";
import { encodePacket, encodeVars } from "../../../src/protocol/packet.js";
import { CacheMagicResponseReader, RpcResponseReader } from "../../../src/protocol/response-reader.js";
import { CACHE_GET_RESPONSE, RPC_HELLO_RESPONSE, RPC_LARGE_RESPONSE_HEAD, hex, throwsCode } from "./wire-vectors.js";

function feedByteByByte<T>(reader: { push(c: Buffer): void; result(): T | null }, stream: Buffer): { value: T; consumed: number } {
  for (let i = 0; i < stream.length; i++) {
    reader.push(stream.subarray(i, i + 1));
    const value = reader.result();
    if (value !== null) return { value, consumed: i + 1 };
  }
  throw new Error("reply never completed");
}

test("rpc reply read byte by byte completes exactly at its last byte", () => {
  const { value, consumed } = feedByteByByte(new RpcResponseReader(), RPC_HELLO_RESPONSE);
  assert.equal(value.toString(), "hello:a,b");
  assert.equal(consumed, RPC_HELLO_RESPONSE.length);
});

test("rpc modifier2 5 reply: the CONTENT_LENGTH bytes after the dict are the value", () => {
  const value = Buffer.alloc(70000);
  for (let i = 0; i < value.length; i++) value[i] = i & 0xff;
  const stream = encodeRpcResponse(value);
  assert.deepEqual(stream.subarray(0, RPC_LARGE_RESPONSE_HEAD.length), RPC_LARGE_RESPONSE_HEAD);
  const reader = new RpcResponseReader();
  for (let p = 0; p < stream.length; p += 999) {
    assert.equal(reader.result(), null);
    reader.push(stream.subarray(p, p + 999));
  }
  assert.deepEqual(reader.result(), value);
  assert.deepEqual(reader.finish(), value);
});

test("bytes after a complete reply are ignored", () => {
  const reader = new RpcResponseReader();
  reader.push(Buffer.concat([RPC_HELLO_RESPONSE, hex("de ad")]));
  assert.equal(reader.result()?.toString(), "hello:a,b");
  reader.push(hex("be ef"));
  assert.equal(reader.finish().toString(), "hello:a,b");
});

test("a stream that ends early is malformed (uWSGI treats a short read as failure)", () => {
  const head = new RpcResponseReader();
  head.push(RPC_HELLO_RESPONSE.subarray(0, 3));
  throwsCode(() => head.finish(), "UWSGI_ERR_PACKET_MALFORMED", /rpc response: stream ended early: 3 bytes, the packet is incomplete/);
  const body = new RpcResponseReader();
  body.push(Buffer.concat([RPC_LARGE_RESPONSE_HEAD, Buffer.alloc(100)]));
  assert.equal(body.result(), null);
  throwsCode(() => body.finish(), "UWSGI_ERR_PACKET_MALFORMED", /value truncated: 100 of 70000 bytes/);
});

test("an announced value over maxValueSize is rejected before it arrives", () => {
  const reader = new RpcResponseReader({ maxValueSize: 1000 });
  reader.push(RPC_LARGE_RESPONSE_HEAD);
  throwsCode(() => reader.result(), "UWSGI_ERR_PACKET_TOO_LARGE", /70000 \(rpc response value\) \(max 1000\)/);
  throwsCode(() => reader.finish(), "UWSGI_ERR_PACKET_TOO_LARGE", /70000/);
  const huge = new RpcResponseReader();
  huge.push(encodePacket(173, 5, encodeVars({ CONTENT_LENGTH: "9007199254740991" })));
  throwsCode(() => huge.result(), "UWSGI_ERR_PACKET_TOO_LARGE", /9007199254740991/);
});

test("cache magic get reply read byte by byte", () => {
  const { value, consumed } = feedByteByByte(new CacheMagicResponseReader(), CACHE_GET_RESPONSE);
  assert.equal(consumed, CACHE_GET_RESPONSE.length);
  assert.deepEqual({ ...value, status: value.status?.toString(), value: value.value?.toString() }, { status: "ok", ok: true, size: 5, expires: 0, value: "c1val" });
});

test("cache magic replies without size have no value; a zero size gives an empty value", () => {
  const plain = new CacheMagicResponseReader();
  plain.push(encodeCacheMagicResponse());
  assert.equal(plain.result()?.value, null);
  const empty = new CacheMagicResponseReader();
  empty.push(encodeCacheMagicResponse({ value: "" }));
  assert.deepEqual(empty.result()?.value, Buffer.alloc(0));
  const truncated = new CacheMagicResponseReader();
  truncated.push(CACHE_GET_RESPONSE.subarray(0, 26));
  throwsCode(() => truncated.finish(), "UWSGI_ERR_PACKET_MALFORMED", /cache magic response: stream ended early: value truncated: 1 of 5 bytes/);
  const bad = new CacheMagicResponseReader();
  bad.push(encodePacket(111, 17, encodeVars({ status: "ok", size: "x" })));
  throwsCode(() => bad.result(), "UWSGI_ERR_PACKET_MALFORMED", /size: "x"/);
  throwsCode(() => bad.finish(), "UWSGI_ERR_PACKET_MALFORMED", /size: "x"/);
});
