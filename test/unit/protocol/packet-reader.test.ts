import assert from "node:assert/strict";
import { test } from "node:test";
import { PacketReader } from "../../../src/protocol/packet-reader.js";
import { encodePacket } from "../../../src/protocol/packet.js";
import { RPC_HELLO_REQUEST, SIGNAL_10_REQUEST, hex, throwsCode } from "./wire-vectors.js";

test("byte-by-byte: the packet appears only once complete, then takeRest gives the body start", () => {
  const stream = Buffer.concat([RPC_HELLO_REQUEST, Buffer.from("body-start")]);
  const reader = new PacketReader();
  let packet = null;
  let pushed = 0;
  while (packet === null) {
    reader.push(stream.subarray(pushed, pushed + 1));
    pushed++;
    packet = reader.next();
    if (pushed === 4) assert.deepEqual(reader.pendingHeader, { modifier1: 173, datasize: 13, modifier2: 0 });
  }
  assert.equal(pushed, RPC_HELLO_REQUEST.length);
  assert.equal(packet.modifier1, 173);
  assert.equal(packet.modifier2, 0);
  assert.deepEqual(packet.payload, RPC_HELLO_REQUEST.subarray(4));
  reader.push(stream.subarray(pushed, pushed + 4));
  assert.equal(reader.takeRest().toString(), "body");
  assert.equal(reader.bufferedLength, 0);
  assert.equal(reader.takeRest().length, 0);
});

test("several packets in one chunk come out one by one", () => {
  const reader = new PacketReader();
  reader.push(Buffer.concat([SIGNAL_10_REQUEST, RPC_HELLO_REQUEST, SIGNAL_10_REQUEST.subarray(0, 2)]));
  assert.equal(reader.next()?.modifier2, 10);
  assert.deepEqual(reader.next()?.payload, RPC_HELLO_REQUEST.subarray(4));
  assert.equal(reader.next(), null);
  reader.push(SIGNAL_10_REQUEST.subarray(2));
  const last = reader.next();
  assert.deepEqual(last, { modifier1: 110, modifier2: 10, payload: Buffer.alloc(0) });
  assert.equal(reader.next(), null);
});

test("a payload split at arbitrary points is reassembled exactly", () => {
  const payload = Buffer.alloc(4096, 0);
  for (let i = 0; i < payload.length; i++) payload[i] = (i * 31) & 0xff;
  const stream = encodePacket(0, 0, payload);
  let seed = 7;
  const reader = new PacketReader();
  let p = 0;
  let packet = null;
  while (p < stream.length) {
    seed = (seed * 1103515245 + 12345) & 0x7fffffff;
    const n = 1 + (seed % 300);
    reader.push(stream.subarray(p, p + n));
    p += n;
    packet = reader.next() ?? packet;
  }
  assert.deepEqual(packet?.payload, payload);
});

test("datasize over maxDatasize is rejected as soon as the 4 header bytes are in", () => {
  const reader = new PacketReader();
  reader.push(hex("ad 88"));
  assert.equal(reader.next(), null);
  reader.push(hex("13 00"));
  throwsCode(() => reader.next(), "UWSGI_ERR_PACKET_TOO_LARGE", /^invalid request block size: 5000 \(max 4096\)$/);
  throwsCode(() => reader.next(), "UWSGI_ERR_PACKET_TOO_LARGE", /5000/);
  throwsCode(() => reader.push(Buffer.from("x")), "UWSGI_ERR_PACKET_TOO_LARGE", /5000/);
});

test("datasize equal to maxDatasize is accepted; the limit is configurable up to 65535", () => {
  const reader = new PacketReader({ maxDatasize: 10 });
  reader.push(encodePacket(0, 0, Buffer.alloc(10)));
  assert.equal(reader.next()?.payload.length, 10);
  reader.push(encodePacket(0, 0, Buffer.alloc(11)));
  throwsCode(() => reader.next(), "UWSGI_ERR_PACKET_TOO_LARGE", /11 \(max 10\)/);
  assert.equal(new PacketReader({ maxDatasize: 65535 }).maxDatasize, 65535);
  throwsCode(() => new PacketReader({ maxDatasize: 65536 }), "UWSGI_ERR_INVALID_ARGUMENT", /maxDatasize/);
  throwsCode(() => new PacketReader({ maxDatasize: -1 }), "UWSGI_ERR_INVALID_ARGUMENT", /maxDatasize/);
});

test("takeRest before a packet is complete returns the raw buffered bytes and resets", () => {
  const reader = new PacketReader();
  reader.push(RPC_HELLO_REQUEST.subarray(0, 6));
  assert.equal(reader.next(), null);
  assert.deepEqual(reader.takeRest(), RPC_HELLO_REQUEST.subarray(0, 6));
  assert.equal(reader.pendingHeader, null);
  reader.push(RPC_HELLO_REQUEST);
  assert.equal(reader.next()?.modifier1, 173);
});

test("empty chunks are ignored; non-Buffers are rejected", () => {
  const reader = new PacketReader();
  reader.push(Buffer.alloc(0));
  assert.equal(reader.bufferedLength, 0);
  assert.equal(reader.next(), null);
  throwsCode(() => reader.push("abc" as unknown as Buffer), "UWSGI_ERR_INVALID_ARGUMENT", /chunk/);
});
