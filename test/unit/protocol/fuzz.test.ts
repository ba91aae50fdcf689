/**
 * Feeds thousands of random, truncated and mutated buffers (fixed seed) to every decoder and
 * reader: each must return a valid result or throw a coded UwsgiError, nothing else.
 */
import assert from "node:assert/strict";
import { test } from "node:test";
import { type ErrorCode, isUwsgiError } from "../../../src/errors.js";
import {
  decodeCacheMagicRequest,
  decodeCacheMagicResponse,
  decodePingResponse,
  decodeRpcRequest,
  decodeRpcResponse,
  decodeStatusReply,
  encodeCacheMagicRequest,
  encodeCacheMagicResponse,
  encodeRpcRequest,
  encodeRpcResponse,
} from "../../../src/protocol/messages.js";
import { PacketReader } from "../../../src/protocol/packet-reader.js";
import { decodeArray, decodeHeader, decodePacket, decodeVars, encodeArray, encodeVars } from "../../../src/protocol/packet.js";
import { CacheMagicResponseReader, RpcResponseReader } from "../../../src/protocol/response-reader.js";
import { decodeSpoolFile, encodeSpoolFile } from "../../../src/protocol/spool-file.js";
import { CACHE_GET_REQUEST, CACHE_GET_RESPONSE, RPC_HELLO_REQUEST, SPOOL_FILE_PRIORITY_ACTION } from "./wire-vectors.js";
import { mulberry32 } from "../../support/mulberry32.js";


const random = mulberry32(0x5eed);
const int = (n: number) => Math.floor(random() * n);

const SEEDS = [
  RPC_HELLO_REQUEST,
  CACHE_GET_REQUEST,
  CACHE_GET_RESPONSE,
  SPOOL_FILE_PRIORITY_ACTION,
  encodeRpcResponse(Buffer.alloc(70000, 1)).subarray(0, 200),
  encodeCacheMagicRequest({ cmd: "set", key: "k", value: "abc", expires: 60, cache: "c1" }),
  encodeCacheMagicResponse({ value: "v", expires: 5 }),
  encodeRpcRequest("f", ["", "x", ""]),
];

/** A random buffer: pure noise, or a known-good packet truncated and/or with a few bytes changed. */
function sample(): Buffer {
  const kind = int(4);
  if (kind === 0) {
    const buf = Buffer.alloc(int(48));
    for (let i = 0; i < buf.length; i++) buf[i] = int(256);
    return buf;
  }
  const seed = SEEDS[int(SEEDS.length)]!;
  const buf = Buffer.from(seed.subarray(0, kind === 1 ? int(seed.length + 1) : seed.length));
  const flips = kind === 3 ? 1 + int(4) : int(2);
  for (let i = 0; i < flips && buf.length > 0; i++) buf[int(buf.length)] = random() < 0.5 ? int(256) : int(4);
  return buf;
}

const ALLOWED: ReadonlySet<ErrorCode> = new Set(["UWSGI_ERR_PACKET_MALFORMED", "UWSGI_ERR_PACKET_TOO_LARGE", "UWSGI_ERR_SPOOL_FILE_MALFORMED"]);

function expectCodedOrValid(what: string, input: Buffer, fn: () => void): "ok" | "error" {
  try {
    fn();
    return "ok";
  } catch (err) {
    if (isUwsgiError(err) && ALLOWED.has(err.code)) return "error";
    assert.fail(`${what} threw ${String(err)} for ${input.toString("hex")}`);
  }
}

function sameMemory(input: Buffer, parts: Buffer[]): void {
  for (const p of parts) assert.equal(p.buffer, input.buffer, "decoders return views, not copies");
}

test("5000 random/truncated/mutated buffers: every decoder gives a valid result or a coded error", () => {
  const outcomes = { ok: 0, error: 0 };
  for (let round = 0; round < 5000; round++) {
    const input = sample();
    const results = [
      expectCodedOrValid("decodeHeader", input, () => {
        const h = decodeHeader(input);
        assert.ok(h.datasize >= 0 && h.datasize <= 0xffff);
      }),
      expectCodedOrValid("decodePacket", input, () => {
        const p = decodePacket(input);
        assert.equal(p.end, 4 + p.payload.length);
        assert.ok(p.end <= input.length);
      }),
      expectCodedOrValid("decodeVars", input, () => {
        const pairs = decodeVars(input);
        assert.deepEqual(encodeVars(pairs), input, "vars re-encode to the same bytes");
        sameMemory(input, pairs.flat());
      }),
      expectCodedOrValid("decodeArray", input, () => {
        const items = decodeArray(input);
        assert.ok(items.length <= 255);
        assert.deepEqual(encodeArray(items), input, "array re-encodes to the same bytes");
        sameMemory(input, items);
      }),
      expectCodedOrValid("decodeRpcRequest", input.subarray(4), () => {
        const { func, args } = decodeRpcRequest(input.subarray(4));
        assert.ok(func.length > 0 && args.length <= 254);
      }),
      expectCodedOrValid("decodeRpcResponse", input, () => assert.ok(Buffer.isBuffer(decodeRpcResponse(input)))),
      expectCodedOrValid("decodeCacheMagicRequest", input.subarray(4), () => {
        const req = decodeCacheMagicRequest(input.subarray(4));
        assert.ok(["get", "set", "update", "del", "exists", "clear"].includes(req.cmd));
        assert.ok(Number.isSafeInteger(req.size) && Number.isSafeInteger(req.expires));
      }),
      expectCodedOrValid("decodeCacheMagicResponse", input, () => {
        const r = decodeCacheMagicResponse(input);
        assert.equal(r.value === null, r.size === null);
      }),
      expectCodedOrValid("decodeSpoolFile", input, () => {
        const { vars, body } = decodeSpoolFile(input);
        if (input[0] === 17 && input[3] === 0) assert.deepEqual(encodeSpoolFile(vars, body), input);
      }),
      expectCodedOrValid("decodeStatusReply", input, () => assert.equal(typeof decodeStatusReply(input), "boolean")),
      expectCodedOrValid("decodePingResponse", input, () => void decodePingResponse(input)),
    ];
    for (const r of results) outcomes[r]++;
  }
  assert.ok(outcomes.ok > 1000 && outcomes.error > 1000, `both paths exercised: ${JSON.stringify(outcomes)}`);
});

test("2000 random streams through the incremental readers, cut into random chunks", () => {
  for (let round = 0; round < 2000; round++) {
    const input = Buffer.concat([sample(), sample()]);
    const chunks: Buffer[] = [];
    for (let p = 0; p < input.length; ) {
      const n = 1 + int(8);
      chunks.push(input.subarray(p, p + n));
      p += n;
    }
    const packets = new PacketReader({ maxDatasize: int(2) === 0 ? 4096 : 16 });
    const rpc = new RpcResponseReader({ maxValueSize: 100_000 });
    const cache = new CacheMagicResponseReader({ maxValueSize: 100_000 });
    expectCodedOrValid("PacketReader", input, () => {
      let total = 0;
      for (const chunk of chunks) {
        packets.push(chunk);
        for (let p = packets.next(); p !== null; p = packets.next()) total += 4 + p.payload.length;
      }
      assert.equal(total + packets.takeRest().length, input.length, "no byte lost or invented");
    });
    for (const [name, reader] of [["RpcResponseReader", rpc], ["CacheMagicResponseReader", cache]] as const) {
      expectCodedOrValid(name, input, () => {
        for (const chunk of chunks) {
          reader.push(chunk);
          reader.result();
        }
        reader.finish();
      });
    }
  }
});
