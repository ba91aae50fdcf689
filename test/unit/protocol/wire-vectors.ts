/**
 * Byte helpers and the worked byte examples of uwsgi-behaviour.md §1.6 / §3.2 (probe-verified
 * against uWSGI 2.0.21), shared by the protocol tests.
 */
import assert from "node:assert/strict";
import { type ErrorCode, isUwsgiError } from "../../../src/errors.js";

/** Bytes from space-separated hex pairs. */
export function hex(text: string): Buffer {
  return Buffer.from(text.replace(/\s+/g, ""), "hex");
}

/** Concatenates parts: a string is hex, `["text"]` is latin1 text, a Buffer is taken as is. */
export function bytes(...parts: Array<string | [string] | Buffer>): Buffer {
  return Buffer.concat(parts.map((p) => (Buffer.isBuffer(p) ? p : Array.isArray(p) ? Buffer.from(p[0], "latin1") : hex(p))));
}

/** Asserts that `fn` throws a UwsgiError with `code` whose message matches `pattern`. */
export function throwsCode(fn: () => unknown, code: ErrorCode, pattern?: RegExp): void {
  assert.throws(fn, (err: unknown) => {
    assert.ok(isUwsgiError(err, code), `expected ${code}, got ${String(err)} ${(err as { code?: string })?.code ?? ""}`);
    if (pattern) assert.match(err.message, pattern);
    return true;
  });
}

/** Async variant of {@link throwsCode}. */
export async function rejectsCode(promise: Promise<unknown>, code: ErrorCode, pattern?: RegExp): Promise<void> {
  await assert.rejects(promise, (err: unknown) => {
    assert.ok(isUwsgiError(err, code), `expected ${code}, got ${String(err)}`);
    if (pattern) assert.match(err.message, pattern);
    return true;
  });
}

/** §1.6: RPC `hello(b"a", b"b")`. */
export const RPC_HELLO_REQUEST = hex("ad 0d 00 00  05 00 68 65 6c 6c 6f  01 00 61  01 00 62");
/** §1.6: its reply, the function returned `b"hello:a,b"`. */
export const RPC_HELLO_RESPONSE = hex("ad 09 00 00  68 65 6c 6c 6f 3a 61 2c 62");
/** §1.6: head of a 70000-byte return (the raw bytes follow). */
export const RPC_LARGE_RESPONSE_HEAD = bytes("ad 17 00 05", "0e 00", ["CONTENT_LENGTH"], "05 00", ["70000"]);
/** §1.6: cache magic get of `wk` in cache `c1`. */
export const CACHE_GET_REQUEST = bytes("6f 1e 00 11", "03 00", ["cmd"], "03 00", ["get"], "03 00", ["key"], "02 00", ["wk"], "05 00", ["cache"], "02 00", ["c1"]);
/** §1.6: its reply, value `c1val` after the dict. */
export const CACHE_GET_RESPONSE = bytes("6f 15 00 11", "06 00", ["status"], "02 00", ["ok"], "04 00", ["size"], "01 00", ["5"], ["c1val"]);
/** §1.6: the dict record an expiring item adds to the get reply. */
export const CACHE_EXPIRES_RECORD = bytes("07 00", ["expires"], "0a 00", ["1795461849"]);
/** §1.6: remote signal 10 and its reply. */
export const SIGNAL_10_REQUEST = hex("6e 00 00 0a");
export const STATUS_OK_REPLY = hex("ff 00 00 01");
export const STATUS_FAILED_REPLY = hex("ff 00 00 00");
/** §1.6: remote spool `{a: 1}`. */
export const SPOOL_A1_REQUEST = hex("11 06 00 00 01 00 61 01 00 31");
/** §3.2: the spool file written for `{priority: 5, action: ok}`. */
export const SPOOL_FILE_PRIORITY_ACTION = bytes("11 19 00 00", "08 00", ["priority"], "01 00", ["5"], "06 00", ["action"], "02 00", ["ok"]);
