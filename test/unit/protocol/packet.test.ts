import assert from "node:assert/strict";
import { describe, test } from "node:test";
import {
  Modifier1,
  UWSGI_HEADER_SIZE,
  decodeArray,
  decodeHeader,
  decodePacket,
  decodeVars,
  encodeArray,
  encodeHeader,
  encodePacket,
  encodeVars,
  encodeVarsPacket,
  quoteBytes,
  varsGet,
  varsToObject,
} from "../../../src/protocol/packet.js";
import { RPC_HELLO_REQUEST, SIGNAL_10_REQUEST, bytes, hex, throwsCode } from "./wire-vectors.js";

const text = (pairs: Array<[Buffer, Buffer]>) => pairs.map(([k, v]) => [k.toString("latin1"), v.toString("latin1")]);

describe("packet header", () => {
  test("encodes [modifier1][datasize LE16][modifier2]", () => {
    assert.equal(UWSGI_HEADER_SIZE, 4);
    assert.deepEqual(encodeHeader(Modifier1.SIGNAL, 0, 10), SIGNAL_10_REQUEST);
    assert.deepEqual(encodeHeader(Modifier1.RPC, 0x1234, 5), hex("ad 34 12 05"));
    assert.deepEqual(encodeHeader(255, 65535, 255), hex("ff ff ff ff"));
  });

  test("modifier1 constants match uWSGI", () => {
    assert.deepEqual(
      [Modifier1.WSGI, Modifier1.SPOOL, Modifier1.PYTHON_PATH_FIXUP, Modifier1.PING, Modifier1.ECHO, Modifier1.SIGNAL, Modifier1.CACHE, Modifier1.RPC, Modifier1.RESPONSE],
      [0, 17, 30, 100, 101, 110, 111, 173, 255],
    );
  });

  test("decodes at an offset", () => {
    assert.deepEqual(decodeHeader(RPC_HELLO_REQUEST), { modifier1: 173, datasize: 13, modifier2: 0 });
    assert.deepEqual(decodeHeader(Buffer.concat([hex("00 00"), SIGNAL_10_REQUEST]), 2), { modifier1: 110, datasize: 0, modifier2: 10 });
  });

  test("rejects out-of-range fields when encoding", () => {
    throwsCode(() => encodeHeader(0, 65536, 0), "UWSGI_ERR_PACKET_ENCODE", /datasize is 65536 bytes \(max 65535\)/);
    throwsCode(() => encodeHeader(256, 0, 0), "UWSGI_ERR_INVALID_ARGUMENT", /modifier1/);
    throwsCode(() => encodeHeader(0, 0, -1), "UWSGI_ERR_INVALID_ARGUMENT", /modifier2/);
    throwsCode(() => encodeHeader(1.5, 0, 0), "UWSGI_ERR_INVALID_ARGUMENT", /modifier1/);
    throwsCode(() => encodeHeader(0, -1, 0), "UWSGI_ERR_INVALID_ARGUMENT", /datasize/);
  });

  test("a truncated header is malformed, naming the offset", () => {
    throwsCode(() => decodeHeader(hex("ad 0d 00")), "UWSGI_ERR_PACKET_MALFORMED", /truncated header: 3 of 4 bytes at offset 0/);
    throwsCode(() => decodeHeader(Buffer.alloc(0)), "UWSGI_ERR_PACKET_MALFORMED", /truncated header/);
    throwsCode(() => decodeHeader(hex("ad 0d 00 00"), 2), "UWSGI_ERR_PACKET_MALFORMED", /2 of 4 bytes at offset 2/);
    throwsCode(() => decodeHeader(hex("ad 0d 00 00"), 9), "UWSGI_ERR_PACKET_MALFORMED", /0 of 4 bytes at offset 9/);
  });
});

describe("whole packets", () => {
  test("encodePacket = header + payload; decodePacket returns the payload and where the rest starts", () => {
    const packet = encodePacket(Modifier1.RPC, 0, encodeArray(["hello", "a", "b"]));
    assert.deepEqual(packet, RPC_HELLO_REQUEST);
    const withBody = Buffer.concat([packet, Buffer.from("BODY")]);
    const decoded = decodePacket(withBody);
    assert.equal(decoded.modifier1, 173);
    assert.equal(decoded.modifier2, 0);
    assert.deepEqual(decoded.payload, packet.subarray(4));
    assert.equal(decoded.end, packet.length);
    assert.equal(withBody.subarray(decoded.end).toString(), "BODY");
  });

  test("payload limit is 65535 bytes", () => {
    assert.equal(encodePacket(0, 0, Buffer.alloc(65535)).readUInt16LE(1), 65535);
    throwsCode(() => encodePacket(0, 0, Buffer.alloc(65536)), "UWSGI_ERR_PACKET_ENCODE", /payload is 65536 bytes \(max 65535\)/);
  });

  test("datasize running past the end is malformed", () => {
    throwsCode(() => decodePacket(RPC_HELLO_REQUEST.subarray(0, 10)), "UWSGI_ERR_PACKET_MALFORMED", /datasize 13 runs past the end: only 6 payload bytes/);
  });
});

describe("vars dictionary", () => {
  test("encodes records in order from an object, pairs or a Map", () => {
    assert.deepEqual(encodeVars({ a: "1" }), hex("01 00 61 01 00 31"));
    const expected = bytes("03 00", ["cmd"], "03 00", ["get"], "03 00", ["key"], "02 00", ["wk"]);
    assert.deepEqual(encodeVars({ cmd: "get", key: "wk" }), expected);
    assert.deepEqual(encodeVars([["cmd", "get"], [Buffer.from("key"), new Uint8Array([0x77, 0x6b])]]), expected);
    assert.deepEqual(encodeVars(new Map([["cmd", "get"], ["key", "wk"]])), expected);
    assert.deepEqual(encodeVars([]), Buffer.alloc(0));
  });

  test("duplicates and empty values are encoded as given", () => {
    const buf = encodeVars([["size", "3"], ["e", ""], ["size", "3"]]);
    assert.deepEqual(text(decodeVars(buf)), [["size", "3"], ["e", ""], ["size", "3"]]);
  });

  test("rejects what the format cannot hold", () => {
    throwsCode(() => encodeVars({ "": "x" }), "UWSGI_ERR_PACKET_ENCODE", /vars key #0 is empty/);
    throwsCode(() => encodeVars([["ok", "1"], ["k".repeat(65536), "x"]]), "UWSGI_ERR_PACKET_ENCODE", /vars key #1 is 65536 bytes/);
    throwsCode(() => encodeVars({ big: Buffer.alloc(65536) }), "UWSGI_ERR_PACKET_ENCODE", /value of key "big" is 65536 bytes/);
    assert.equal(encodeVars({ big: Buffer.alloc(65535) }).length, 2 + 3 + 2 + 65535);
    throwsCode(() => encodeVars({ n: 5 as unknown as string }), "UWSGI_ERR_INVALID_ARGUMENT", /value of key "n"/);
    throwsCode(() => encodeVars([["only-key"]] as unknown as Array<[string, string]>), "UWSGI_ERR_INVALID_ARGUMENT", /vars entry #0/);
    throwsCode(() => encodeVars(null as unknown as Record<string, string>), "UWSGI_ERR_INVALID_ARGUMENT", /vars/);
  });

  test("encodeVarsPacket: header + dictionary + tail in one buffer, the same bytes by either path", () => {
    assert.deepEqual(encodeVarsPacket(Modifier1.SPOOL, 0, [["a", "1"]], Buffer.from("body")), hex("11 06 00 00 01 00 61 01 00 31 62 6f 64 79"));
    // pairs of strings/Buffers (one pass) and any other VarsInput (through encodeVars) agree
    const pairs: Array<[string | Buffer, string | Buffer]> = [["cmd", "get"], [Buffer.from("key"), "wk"], ["é", ""]];
    const expected = Buffer.concat([encodeHeader(Modifier1.CACHE, encodeVars(pairs).length, 7), encodeVars(pairs)]);
    assert.deepEqual(encodeVarsPacket(Modifier1.CACHE, 7, pairs), expected);
    assert.deepEqual(encodeVarsPacket(Modifier1.CACHE, 7, new Map(pairs as Array<[string, string]>)), expected);
    assert.deepEqual(encodeVarsPacket(Modifier1.CACHE, 7, { cmd: "get", key: "wk", "é": "" }), expected);
    assert.deepEqual(encodeVarsPacket(0, 0, [], null), hex("00 00 00 00"));
    assert.equal(encodeVarsPacket(0, 0, [["k", Buffer.alloc(65531 - 1)]]).readUInt16LE(1), 65535);
  });

  test("encodeVarsPacket rejects what encodeVars rejects, and a dictionary over 65535 bytes", () => {
    throwsCode(() => encodeVarsPacket(0, 0, { "": "x" }), "UWSGI_ERR_PACKET_ENCODE", /vars key #0 is empty/);
    throwsCode(() => encodeVarsPacket(0, 0, [["big", Buffer.alloc(65536)]]), "UWSGI_ERR_PACKET_ENCODE", /value of key "big" is 65536 bytes/);
    throwsCode(() => encodeVarsPacket(0, 0, [["k", Buffer.alloc(65531)]]), "UWSGI_ERR_PACKET_ENCODE", /dictionary is 65536 bytes \(max 65535\)/);
    throwsCode(() => encodeVarsPacket(256, 0, []), "UWSGI_ERR_INVALID_ARGUMENT", /modifier1/);
    throwsCode(() => encodeVarsPacket(0, 0, [], "x" as unknown as Buffer), "UWSGI_ERR_INVALID_ARGUMENT", /tail/);
  });

  test("decodes with the hooked-parser rules: empty values allowed, duplicates kept in order", () => {
    const buf = bytes("01 00", ["a"], "00 00", "01 00", ["b"], "01 00", ["2"], "01 00", ["a"], "01 00", ["3"], "01 00", ["z"], "00 00");
    assert.deepEqual(text(decodeVars(buf)), [["a", ""], ["b", "2"], ["a", "3"], ["z", ""]]);
    assert.deepEqual(decodeVars(Buffer.alloc(0)), []);
  });

  test("decoded keys and values are views into the payload (no copies)", () => {
    const buf = encodeVars({ key: "value" });
    const [[k, v]] = decodeVars(buf) as [[Buffer, Buffer]];
    assert.equal(k.buffer, buf.buffer);
    assert.equal(v.buffer, buf.buffer);
  });

  test("malformed records are named with their offset", () => {
    throwsCode(() => decodeVars(hex("00 00 01 00 61")), "UWSGI_ERR_PACKET_MALFORMED", /zero key length at offset 0/);
    throwsCode(() => decodeVars(bytes("01 00 61 00 00", "00 00")), "UWSGI_ERR_PACKET_MALFORMED", /zero key length at offset 5/);
    throwsCode(() => decodeVars(hex("05")), "UWSGI_ERR_PACKET_MALFORMED", /truncated key length at offset 0/);
    throwsCode(() => decodeVars(bytes("05 00", ["abc"])), "UWSGI_ERR_PACKET_MALFORMED", /key of 5 bytes at offset 2 runs past the end of the 5-byte payload/);
    throwsCode(() => decodeVars(bytes("03 00", ["abc"])), "UWSGI_ERR_PACKET_MALFORMED", /truncated value length of key "abc" at offset 5/);
    throwsCode(() => decodeVars(bytes("03 00", ["abc"], "01")), "UWSGI_ERR_PACKET_MALFORMED", /truncated value length/);
    throwsCode(() => decodeVars(bytes("03 00", ["abc"], "09 00", ["xy"])), "UWSGI_ERR_PACKET_MALFORMED", /value of key "abc" \(9 bytes at offset 7\) runs past the end/);
  });

  test("varsToObject keeps the last duplicate; varsGet finds the last match", () => {
    const pairs = decodeVars(encodeVars([["size", "1"], ["__proto__", "p"], ["size", "2"]]));
    const obj = varsToObject(pairs);
    assert.equal(Object.getPrototypeOf(obj), null);
    assert.equal(obj.size?.toString(), "2");
    assert.equal(obj["__proto__"]?.toString(), "p");
    assert.equal(varsGet(pairs, "size")?.toString(), "2");
    assert.equal(varsGet(pairs, Buffer.from("missing")), null);
  });
});

describe("array", () => {
  test("encodes [u16 len][bytes] per item", () => {
    assert.deepEqual(encodeArray(["hello", "a", "b"]), RPC_HELLO_REQUEST.subarray(4));
    assert.deepEqual(encodeArray([]), Buffer.alloc(0));
    throwsCode(() => encodeArray(["ok", Buffer.alloc(65536)]), "UWSGI_ERR_PACKET_ENCODE", /array item #1 is 65536 bytes/);
  });

  test("array: empty items are preserved, also the last one (uWSGI drops inner empties and rejects a trailing one, a bug)", () => {
    for (const items of [["a", "", "c"], ["a", ""], [""], ["", "", ""]]) {
      assert.deepEqual(decodeArray(encodeArray(items)).map(String), items);
    }
  });

  test("at most maxItems items (default 255)", () => {
    const items255 = Array.from({ length: 255 }, (_, i) => String(i));
    assert.equal(decodeArray(encodeArray(items255)).length, 255);
    throwsCode(() => decodeArray(encodeArray([...items255, "x"])), "UWSGI_ERR_PACKET_MALFORMED", /more than 255 items \(item #255 at offset \d+\)/);
    throwsCode(() => decodeArray(encodeArray(["a", "b", "c"]), { maxItems: 2 }), "UWSGI_ERR_PACKET_MALFORMED", /more than 2 items/);
  });

  test("overruns and truncated lengths are malformed", () => {
    throwsCode(() => decodeArray(bytes("02 00", ["a"])), "UWSGI_ERR_PACKET_MALFORMED", /item #0 \(2 bytes at offset 2\) runs past the end of the 3-byte payload/);
    throwsCode(() => decodeArray(bytes("01 00", ["a"], "01")), "UWSGI_ERR_PACKET_MALFORMED", /truncated length of item #1 at offset 3/);
  });
});

test("quoteBytes shows printable text and escapes the rest", () => {
  assert.equal(quoteBytes(Buffer.from('a"\\\x00\xff', "latin1")), '"a\\x22\\x5c\\x00\\xff"');
  assert.equal(quoteBytes(Buffer.from("abcdef"), 3), '"abc..."');
});
