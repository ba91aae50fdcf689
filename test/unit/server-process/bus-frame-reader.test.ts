/**
 * The process bus's frame reader: frames come out whole and in order however the stream is cut
 * into chunks, and a corrupt length stops reading.
 */
import { test } from "node:test";
import assert from "node:assert/strict";
import { Buffer } from "node:buffer";
import { FrameReader, MAX_FRAME_BODY_BYTES, encodeFrame } from "../../../src/server/process-bus/frame-codec.js";

const frames = [
  encodeFrame(1, Buffer.from("a")),
  encodeFrame(2),
  encodeFrame(3, Buffer.alloc(300, 7), Buffer.from("tail")),
  encodeFrame(4, Buffer.from("last")),
];
const stream = Buffer.concat(frames);
const expected = [
  [1, "61"],
  [2, ""],
  [3, Buffer.concat([Buffer.alloc(300, 7), Buffer.from("tail")]).toString("hex")],
  [4, Buffer.from("last").toString("hex")],
];

function read(chunks: Buffer[]): Array<[number, string]> {
  const out: Array<[number, string]> = [];
  const reader = new FrameReader((type, body) => out.push([type, body.toString("hex")]), () => assert.fail("not corrupt"));
  for (const c of chunks) reader.push(c);
  return out;
}

test("frames split at every position of two chunks come out whole and in order", () => {
  for (let cut = 0; cut <= stream.length; cut++) {
    assert.deepEqual(read([stream.subarray(0, cut), stream.subarray(cut)]), expected, `cut at ${cut}`);
  }
});

test("a stream fed byte by byte and in three uneven chunks", () => {
  assert.deepEqual(read([...stream].map((b) => Buffer.from([b]))), expected);
  assert.deepEqual(read([stream.subarray(0, 3), stream.subarray(3, 310), stream.subarray(310)]), expected);
});

test("a length beyond the limit reports corruption once and stops reading", () => {
  const bad = Buffer.alloc(5);
  bad.writeUInt32LE(MAX_FRAME_BODY_BYTES + 1, 0);
  const seen: string[] = [];
  let corrupt = 0;
  const reader = new FrameReader((type) => seen.push(String(type)), () => corrupt++);
  reader.push(Buffer.concat([encodeFrame(9, Buffer.from("ok")), bad, encodeFrame(8)]));
  reader.push(encodeFrame(7));
  assert.deepEqual(seen, ["9"]);
  assert.equal(corrupt, 1);
});
