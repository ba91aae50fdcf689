/**
 * Properties of the uwsgi packet codec (src/protocol/) and of the server's request decoding
 * (src/server/uwsgi-protocol/): what is encoded decodes back to itself, and any bytes a client
 * or a peer may send give a value or a coded error, whole or cut into any chunks.
 */
import assert from "node:assert/strict";
import { Buffer } from "node:buffer";
import fc from "fast-check";
import type { ErrorCode } from "../../src/errors.js";
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
  encodeSpoolRequest,
  RPC_MAX_ARGS,
} from "../../src/protocol/messages.js";
import { PacketReader } from "../../src/protocol/packet-reader.js";
import { decodeArray, decodeHeader, decodePacket, decodeVars, encodeArray, encodePacket, encodeVars } from "../../src/protocol/packet.js";
import { CacheMagicResponseReader, RpcResponseReader } from "../../src/protocol/response-reader.js";
import { decodeRequestVars } from "../../src/server/uwsgi-protocol/request-vars.js";
import { httpRequestOf } from "../../src/server/uwsgi-protocol/request-fields.js";
import { fuzzSuite, property, valueOrCoded } from "../support/fuzz.js";
import { bytes, chunkSizes, cut, hostile, smallBytes } from "./arbitraries.js";

const MALFORMED: ReadonlySet<ErrorCode> = new Set(["UWSGI_ERR_PACKET_MALFORMED"]);
const READER_ERRORS: ReadonlySet<ErrorCode> = new Set(["UWSGI_ERR_PACKET_MALFORMED", "UWSGI_ERR_PACKET_TOO_LARGE"]);

const byteValue = fc.integer({ min: 0, max: 255 });
const key = smallBytes(24, 1);
const pairs = fc.array(fc.tuple(key, smallBytes(40)), { maxLength: 12 });
const items = fc.array(smallBytes(40), { maxLength: 12 });
const cacheCmd = fc.constantFrom("get", "set", "update", "del", "exists", "clear" as const);

/** A valid request or reply of every kind this codec writes. */
const validPacket: fc.Arbitrary<Buffer> = fc.oneof(
  fc.tuple(byteValue, byteValue, bytes(64)).map(([m1, m2, p]) => encodePacket(m1, m2, p)),
  fc.tuple(key, items).map(([f, a]) => encodeRpcRequest(f, a)),
  smallBytes(48).map((v) => encodeRpcResponse(v)),
  pairs.map((p) => encodePacket(0, 0, encodeVars(p))),
  pairs.filter((p) => p.length > 0).map((p) => encodeSpoolRequest(p)),
  fc.record({ cmd: cacheCmd, key, cache: fc.option(smallBytes(8)), value: smallBytes(16), expires: fc.nat(100) }).map(({ cmd, key: k, cache, value, expires }) =>
    encodeCacheMagicRequest(
      cmd === "clear" ? { cmd, cache } : cmd === "set" || cmd === "update" ? { cmd, key: k, cache, value, expires } : { cmd, key: k, cache },
    ),
  ),
  fc.option(fc.record({ value: smallBytes(16), expires: fc.nat(100) })).map((r) => encodeCacheMagicResponse(r ?? undefined)),
);

const anyBytes = hostile(validPacket);

function sameBytes(a: readonly Buffer[], b: readonly Buffer[]): void {
  assert.deepEqual(a.map((x) => x.toString("hex")), b.map((x) => x.toString("hex")));
}

fuzzSuite(import.meta.url, {
  "packet: decodePacket(encodePacket(m1, m2, payload)) gives them back, trailing bytes untouched": property(
    fc.tuple(byteValue, byteValue, fc.oneof(bytes(512), fc.integer({ min: 0, max: 0xffff }).map((n) => Buffer.alloc(n, n & 0xff))), bytes(8)),
    ([m1, m2, payload, tail]) => {
      const wire = Buffer.concat([encodePacket(m1, m2, payload), tail]);
      const p = decodePacket(wire);
      assert.deepEqual([p.modifier1, p.modifier2, p.end], [m1, m2, 4 + payload.length]);
      assert.ok(p.payload.equals(payload));
      assert.deepEqual(decodeHeader(wire), { modifier1: m1, datasize: payload.length, modifier2: m2 });
    },
  ),

  "vars: decodeVars(encodeVars(pairs)) gives the pairs back in order, duplicates included": property(pairs, (p) => {
    const decoded = decodeVars(encodeVars(p));
    sameBytes(decoded.flat(), p.flat());
    const asLatin1 = decodeRequestVars(encodeVars(p));
    assert.deepEqual(asLatin1, p.flat().map((b) => b.toString("latin1")), "the server's fast vars decoder agrees");
  }),

  "array and rpc request: empty items and arguments survive the round trip": property(fc.tuple(key, items), ([func, args]) => {
    sameBytes(decodeArray(encodeArray(args)), args);
    const packet = decodePacket(encodeRpcRequest(func, args));
    const req = decodeRpcRequest(packet.payload);
    sameBytes([req.func, ...req.args], [func, ...args]);
  }),

  "rpc and cache replies: decoded whole or from any chunking, the value comes back": property(
    fc.tuple(fc.oneof(smallBytes(64), fc.integer({ min: 65_536, max: 70_000 }).map((n) => Buffer.alloc(n, 7))), fc.nat(1000), chunkSizes),
    ([value, expires, sizes]) => {
      const rpcWire = encodeRpcResponse(value);
      assert.ok(decodeRpcResponse(rpcWire).equals(value));
      const rpc = new RpcResponseReader();
      for (const chunk of cut(rpcWire, sizes.map((s) => s * 97))) rpc.push(chunk);
      assert.ok(rpc.finish().equals(value));

      const cacheWire = encodeCacheMagicResponse({ value, expires });
      const whole = decodeCacheMagicResponse(cacheWire);
      assert.ok(whole.ok && whole.value!.equals(value) && whole.expires === expires);
      const cache = new CacheMagicResponseReader();
      for (const chunk of cut(cacheWire, sizes.map((s) => s * 97))) cache.push(chunk);
      assert.ok(cache.finish().value!.equals(value));
    },
  ),

  "cache magic request: what the client encodes, the server decodes": property(
    fc.record({ cmd: cacheCmd, key, cache: fc.option(smallBytes(8, 1)), value: smallBytes(16), expires: fc.nat(1_000_000) }),
    ({ cmd, key: k, cache, value, expires }) => {
      const withValue = cmd === "set" || cmd === "update";
      const wire = encodeCacheMagicRequest(cmd === "clear" ? { cmd, cache } : withValue ? { cmd, key: k, cache, value, expires } : { cmd, key: k, cache });
      const packet = decodePacket(wire);
      const req = decodeCacheMagicRequest(packet.payload);
      assert.equal(req.cmd, cmd);
      assert.equal(req.key === null ? null : req.key.toString("hex"), cmd === "clear" ? null : k.toString("hex"));
      assert.equal(req.cache === null ? null : req.cache.toString("hex"), cache === null ? null : cache.toString("hex"));
      assert.equal(req.size, withValue ? value.length : 0);
      assert.equal(req.expires, withValue ? expires : 0);
      assert.ok(wire.subarray(packet.end).equals(withValue ? value : Buffer.alloc(0)), "the value follows the packet");
    },
  ),

  "arbitrary bytes: every decoder gives a value or UWSGI_ERR_PACKET_MALFORMED": property(anyBytes, (input) => {
    valueOrCoded("decodeHeader", MALFORMED, () => decodeHeader(input));
    const packet = valueOrCoded("decodePacket", MALFORMED, () => decodePacket(input));
    if (packet) assert.ok(packet.end <= input.length && packet.end === 4 + packet.payload.length);
    const body = input.subarray(Math.min(4, input.length));
    const vars = valueOrCoded("decodeVars", MALFORMED, () => decodeVars(body));
    if (vars) assert.ok(encodeVars(vars).equals(body), "decoded vars re-encode to the same bytes");
    for (const part of [...(vars ?? []).flat()]) assert.equal(part.buffer, input.buffer, "decoders return views, not copies");
    // the server's fast path must accept and reject exactly what decodeVars does
    const fast = valueOrCoded("decodeRequestVars", MALFORMED, () => decodeRequestVars(body));
    assert.equal(fast === undefined, vars === undefined, "decodeRequestVars and decodeVars agree on validity");
    if (fast && vars) assert.deepEqual(fast, vars.flat().map((b) => b.toString("latin1")));
    if (fast) valueOrCoded("httpRequestOf", MALFORMED, () => httpRequestOf(fast, input[0] === 30 ? 30 : 0));
    const array = valueOrCoded("decodeArray", MALFORMED, () => decodeArray(body));
    if (array) assert.ok(array.length <= 255 && encodeArray(array).equals(body));
    for (const part of array ?? []) assert.equal(part.buffer, input.buffer, "decoders return views, not copies");
    const rpc = valueOrCoded("decodeRpcRequest", MALFORMED, () => decodeRpcRequest(body));
    if (rpc) assert.ok(rpc.func.length > 0 && rpc.args.length <= RPC_MAX_ARGS);
    valueOrCoded("decodeRpcResponse", MALFORMED, () => decodeRpcResponse(input));
    const cacheReq = valueOrCoded("decodeCacheMagicRequest", MALFORMED, () => decodeCacheMagicRequest(body));
    if (cacheReq) assert.ok(Number.isSafeInteger(cacheReq.size) && cacheReq.size >= 0 && Number.isSafeInteger(cacheReq.expires));
    const cacheRes = valueOrCoded("decodeCacheMagicResponse", MALFORMED, () => decodeCacheMagicResponse(input));
    if (cacheRes) assert.equal(cacheRes.value === null, cacheRes.size === null);
    valueOrCoded("decodeStatusReply", MALFORMED, () => decodeStatusReply(input));
    valueOrCoded("decodePingResponse", MALFORMED, () => decodePingResponse(input));
  }),

  "streams: the packet reader cuts any stream, in any chunks, into the same packets and loses no byte": property(
    fc.tuple(fc.array(anyBytes, { minLength: 1, maxLength: 4 }), chunkSizes, fc.constantFrom(16, 4096, 0xffff)),
    ([parts, sizes, maxDatasize]) => {
      const stream = Buffer.concat(parts);
      const run = (chunks: Buffer[]): { packets: string[]; rest: number; error: string | null } => {
        const reader = new PacketReader({ maxDatasize });
        const packets: string[] = [];
        let error: string | null = null;
        try {
          for (const chunk of chunks) {
            reader.push(chunk);
            for (let p = reader.next(); p !== null; p = reader.next()) packets.push(`${p.modifier1}/${p.modifier2}/${p.payload.toString("hex")}`);
          }
        } catch (err) {
          valueOrCoded("PacketReader", READER_ERRORS, () => {
            throw err;
          });
          error = (err as { code: string }).code;
          return { packets, rest: -1, error };
        }
        return { packets, rest: reader.takeRest().length, error };
      };
      const whole = run([stream]);
      const chunked = run(cut(stream, sizes));
      assert.deepEqual(chunked, whole, "chunking does not change what the reader sees");
      if (whole.error === null) {
        const used = whole.packets.reduce((n, p) => n + 4 + (p.length - p.lastIndexOf("/") - 1) / 2, 0);
        assert.equal(used + whole.rest, stream.length, "no byte lost or invented");
      }
    },
  ),

  "streams: the reply readers give the same reply or the same error, whatever the chunking": property(
    fc.tuple(anyBytes, chunkSizes),
    ([stream, sizes]) => {
      for (const make of [() => new RpcResponseReader({ maxValueSize: 100_000 }), () => new CacheMagicResponseReader({ maxValueSize: 100_000 })]) {
        const outcome = (chunks: Buffer[]): string => {
          const reader = make();
          const r = valueOrCoded(reader.constructor.name, READER_ERRORS, () => {
            for (const chunk of chunks) {
              reader.push(chunk);
              reader.result();
            }
            return reader.finish();
          });
          return r === undefined ? "error" : JSON.stringify(r, (_k, v) => (v && v.type === "Buffer" ? Buffer.from(v.data).toString("hex") : v));
        };
        assert.equal(outcome(cut(stream, sizes)), outcome([stream]));
      }
    },
  ),
});
