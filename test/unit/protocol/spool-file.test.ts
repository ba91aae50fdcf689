import assert from "node:assert/strict";
import { test } from "node:test";
import { decodeSpoolFile, encodeSpoolFile, isSpoolFileName, spoolFileName } from "../../../src/protocol/spool-file.js";
import { encodeVars } from "../../../src/protocol/packet.js";
import { SPOOL_FILE_PRIORITY_ACTION, bytes, hex, throwsCode } from "./wire-vectors.js";

const text = (pairs: Array<[Buffer, Buffer]>) => pairs.map(([k, v]) => [k.toString("latin1"), v.toString("latin1")]);

test("spool file bytes match uWSGI's: [17][dictlen][0] + dict", () => {
  assert.deepEqual(encodeSpoolFile([["priority", "5"], ["action", "ok"]]), SPOOL_FILE_PRIORITY_ACTION);
  assert.deepEqual(encodeSpoolFile({ priority: "5", action: "ok" }, Buffer.alloc(0)), SPOOL_FILE_PRIORITY_ACTION);
  const decoded = decodeSpoolFile(SPOOL_FILE_PRIORITY_ACTION);
  assert.deepEqual(text(decoded.vars), [["priority", "5"], ["action", "ok"]]);
  assert.equal(decoded.body, null);
});

test("pairs of strings and Buffers (what uwsgi.spool passes) encode to the same bytes as the general dictionary encoder", () => {
  const pairs: Array<[string | Buffer, string | Buffer]> = [["job", "bench"], ["é", Buffer.from([0, 0xff])], [Buffer.from("k"), ""], ["x", "日本語"]];
  const body = Buffer.from("payload");
  const dict = encodeVars(pairs);
  assert.deepEqual(encodeSpoolFile(pairs, body), Buffer.concat([Buffer.from([17, dict.length & 0xff, dict.length >> 8, 0]), dict, body]));
  assert.deepEqual(encodeSpoolFile(pairs), Buffer.concat([Buffer.from([17, dict.length & 0xff, dict.length >> 8, 0]), dict]));
  throwsCode(() => encodeSpoolFile([["big", Buffer.alloc(70000)]]), "UWSGI_ERR_SPOOL_ARGUMENT", /vars value of key "big" is 70000 bytes/);
  throwsCode(() => encodeSpoolFile([["", "x"]]), "UWSGI_ERR_SPOOL_ARGUMENT", /key #0 is empty/);
});

test("the body follows the dict raw and runs to the end of the file", () => {
  const body = Buffer.alloc(100_000, 0xab);
  const file = encodeSpoolFile({ action: "ok" }, body);
  assert.deepEqual(file.subarray(0, 4), hex("11 0c 00 00"));
  const decoded = decodeSpoolFile(file);
  assert.deepEqual(text(decoded.vars), [["action", "ok"]]);
  assert.deepEqual(decoded.body, body);
});

test("files with modifier1 0 are accepted too (parsefile); other modifiers are malformed", () => {
  const wsgi = Buffer.concat([hex("00 06 00 00"), encodeVars({ a: "1" })]);
  assert.deepEqual(text(decodeSpoolFile(wsgi).vars), [["a", "1"]]);
  throwsCode(() => decodeSpoolFile(Buffer.concat([hex("ad 06 00 00"), encodeVars({ a: "1" })]), "/tmp/t"), "UWSGI_ERR_SPOOL_FILE_MALFORMED", /malformed spool file \/tmp\/t: modifier1 is 173, expected 17 or 0/);
});

test("truncated and malformed spool files are coded errors naming the file", () => {
  throwsCode(() => decodeSpoolFile(hex("11 06")), "UWSGI_ERR_SPOOL_FILE_MALFORMED", /<buffer>: truncated header: 2 of 4 bytes/);
  throwsCode(() => decodeSpoolFile(SPOOL_FILE_PRIORITY_ACTION.subarray(0, 20), "f1"), "UWSGI_ERR_SPOOL_FILE_MALFORMED", /f1: dictionary of 25 bytes runs past the end of the 20-byte file/);
  throwsCode(() => decodeSpoolFile(bytes("11 05 00 00", "00 00 01 00", ["x"]), "f2"), "UWSGI_ERR_SPOOL_FILE_MALFORMED", /f2: .*zero key length at offset 0/);
  throwsCode(() => decodeSpoolFile("x" as unknown as Buffer), "UWSGI_ERR_INVALID_ARGUMENT", /buf/);
});

test("spool file: a 70000-byte value is an error, not silently truncated (uWSGI 16-bit truncation bug)", () => {
  throwsCode(() => encodeSpoolFile({ big: Buffer.alloc(70000) }), "UWSGI_ERR_SPOOL_ARGUMENT", /^invalid spooler argument: vars value of key "big" is 70000 bytes \(max 65535\)$/);
});

test("a dictionary over 65535 bytes is an error; an empty key too", () => {
  const vars = { a: Buffer.alloc(40000), b: Buffer.alloc(40000) };
  throwsCode(() => encodeSpoolFile(vars), "UWSGI_ERR_SPOOL_ARGUMENT", /dictionary is 80010 bytes \(max 65535\)/);
  throwsCode(() => encodeSpoolFile({ "": "x" }), "UWSGI_ERR_SPOOL_ARGUMENT", /key #0 is empty/);
  throwsCode(() => encodeSpoolFile({ a: "1" }, "body" as unknown as Buffer), "UWSGI_ERR_SPOOL_ARGUMENT", /body must be a Buffer/);
});

test("spool file names follow uWSGI's pattern (usec not zero-padded)", () => {
  assert.equal(
    spoolFileName({ hostname: "web1", pid: 42, counter: 1, random: 1804289383, nowMs: 1700000000123.456 }),
    "uwsgi_spoolfile_on_web1_42_1_1804289383_1700000000_123456",
  );
  assert.equal(spoolFileName({ hostname: "h_x", pid: 1, counter: 2, random: 0, nowMs: 1700000000005 }), "uwsgi_spoolfile_on_h_x_1_2_0_1700000000_5000");
  throwsCode(() => spoolFileName({ hostname: "a/b", pid: 1, counter: 1, random: 1, nowMs: 0 }), "UWSGI_ERR_SPOOL_ARGUMENT", /hostname "a\/b"/);
  throwsCode(() => spoolFileName({ hostname: "h", pid: -1, counter: 1, random: 1, nowMs: 0 }), "UWSGI_ERR_SPOOL_ARGUMENT", /pid/);
  throwsCode(() => spoolFileName({ hostname: "h", pid: 1, counter: 1, random: 0.5, nowMs: 0 }), "UWSGI_ERR_SPOOL_ARGUMENT", /random/);
  throwsCode(() => spoolFileName({ hostname: "h", pid: 1, counter: 1, random: 1, nowMs: NaN }), "UWSGI_ERR_SPOOL_ARGUMENT", /nowMs/);
});

test("isSpoolFileName uses uWSGI's prefix test", () => {
  assert.equal(isSpoolFileName("uwsgi_spoolfile_on_web1_42_1_7_1700000000_5"), true);
  assert.equal(isSpoolFileName("uwsgi_spoolfile_on_"), true);
  assert.equal(isSpoolFileName(".tmp_uwsgi_spoolfile_on_web1_42_1_7_1700000000_5"), false);
  assert.equal(isSpoolFileName("5"), false);
});
