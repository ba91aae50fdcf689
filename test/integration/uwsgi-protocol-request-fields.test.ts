// Pure functions of the uwsgi protocol socket: vars -> environ -> the HTTP view of the request.
import { test } from "node:test";
import assert from "node:assert/strict";
import { decodeVars, encodeVars } from "../../src/protocol/packet.js";
import { httpRequestOf } from "../../src/server/uwsgi-protocol/request-fields.js";
import { decodeRequestVars, envOfVars } from "../../src/server/uwsgi-protocol/request-vars.js";

/** The environ the server builds from a payload on demand. */
const decodeRequestEnv = (payload: Buffer): Record<string, string> => envOfVars(decodeRequestVars(payload));
import { mulberry32 } from "../support/mulberry32.js";


function reference(payload: Buffer): Record<string, string> {
  const env: Record<string, string> = {};
  for (const [k, v] of decodeVars(payload)) {
    const key = k.toString("latin1");
    if (key !== "__proto__") env[key] = v.toString("latin1");
  }
  return env;
}

test("request env: same result as decodeVars on random payloads (binary bytes, empty values, duplicates)", () => {
  const rand = mulberry32(1234);
  for (let i = 0; i < 500; i++) {
    const pairs: Array<[Buffer, Buffer]> = [];
    const n = Math.floor(rand() * 12);
    for (let j = 0; j < n; j++) {
      const key = Buffer.from(Array.from({ length: 1 + Math.floor(rand() * 6) }, () => Math.floor(rand() * 256)));
      const value = Buffer.from(Array.from({ length: Math.floor(rand() * 20) }, () => Math.floor(rand() * 256)));
      pairs.push([key, value]);
      if (rand() < 0.2) pairs.push([key, Buffer.from("dup")]);
    }
    const payload = encodeVars(pairs);
    assert.deepEqual(decodeRequestEnv(payload), reference(payload));
  }
});

test("request env: malformed payloads raise decodeVars' own coded error", () => {
  const good = encodeVars({ REQUEST_METHOD: "GET", PATH_INFO: "/x" });
  const rand = mulberry32(99);
  let rejected = 0;
  for (let i = 0; i < 400; i++) {
    const bad = Buffer.from(good);
    if (i % 2) bad[Math.floor(rand() * bad.length)] = Math.floor(rand() * 256);
    const cut = i % 2 ? bad : bad.subarray(0, Math.floor(rand() * bad.length));
    let expected: unknown = null;
    try {
      reference(cut);
    } catch (err) {
      expected = err;
    }
    if (expected === null) {
      assert.deepEqual(decodeRequestEnv(cut), reference(cut));
    } else {
      rejected++;
      assert.throws(() => decodeRequestEnv(cut), (err: Error & { code?: string }) => err.code === "UWSGI_ERR_PACKET_MALFORMED" && err.message === (expected as Error).message);
    }
  }
  assert.ok(rejected > 100);
  assert.throws(() => decodeRequestEnv(Buffer.from([0, 0, 0, 0])), /zero key length at offset 0/);
});

test("request env: a __proto__ var cannot touch the object's prototype", () => {
  const env = decodeRequestEnv(encodeVars([["__proto__", "x"], ["A", "1"]]));
  assert.equal(Object.getPrototypeOf(env), Object.prototype);
  assert.deepEqual(env, { A: "1" });
});

const NGINX_ENV = {
  QUERY_STRING: "a=1", REQUEST_METHOD: "POST", CONTENT_TYPE: "text/plain", CONTENT_LENGTH: "5",
  REQUEST_URI: "/p?a=1", PATH_INFO: "/p", DOCUMENT_ROOT: "/srv", SERVER_PROTOCOL: "HTTP/1.1",
  REQUEST_SCHEME: "http", REMOTE_ADDR: "::1", REMOTE_PORT: "5000", SERVER_PORT: "80",
  SERVER_NAME: "", HTTP_HOST: "h", HTTP_USER_AGENT: "ua", HTTP_TRANSFER_ENCODING: "chunked", HTTP_X_A_B: "v",
};

test("request fields: method, target, headers from HTTP_* and CONTENT_*, Transfer-Encoding dropped", () => {
  const r = httpRequestOf({ ...NGINX_ENV });
  assert.equal(r.method, "POST");
  assert.equal(r.url, "/p?a=1");
  assert.deepEqual(r.rawHeaders, ["content-type", "text/plain", "content-length", "5", "host", "h", "user-agent", "ua", "x-a-b", "v"]);
  assert.equal(r.contentLength, 5);
  assert.equal(r.httpVersion, "1.1");
  assert.deepEqual([r.versionMajor, r.versionMinor], [1, 1]);
  assert.equal(r.remoteAddress, "::1");
  assert.equal(r.remotePort, 5000);
  assert.equal(r.https, false);
});

test("request fields: empty CONTENT_TYPE/CONTENT_LENGTH are left out; latin1 bytes survive; odd targets are escaped", () => {
  const r = httpRequestOf({ REQUEST_METHOD: "GET", REQUEST_URI: "/caf\u00e9 x", CONTENT_TYPE: "", CONTENT_LENGTH: "", HTTP_X: "\u00ff\t ok" });
  assert.equal(r.url, "/caf%E9%20x");
  assert.deepEqual(r.rawHeaders, ["x", "\u00ff\t ok"]);
  assert.equal(r.contentLength, 0);
  assert.equal(r.httpVersion, "1.0");
});

test("request fields: spaces and tabs around a value are dropped from the header, as Node's parser does; uwsgi.env keeps them", () => {
  const r = httpRequestOf({ HTTP_X_PAD: " \t a b \t", HTTP_X_PLAIN: "a b", HTTP_X_BLANK: "   " });
  assert.deepEqual(r.rawHeaders, ["x-pad", "a b", "x-plain", "a b", "x-blank", ""]);
  assert.equal(r.env.HTTP_X_PAD, " \t a b \t");
});

test("request fields: SERVER_PROTOCOL versions", () => {
  const version = (p?: string) => {
    const r = httpRequestOf(p === undefined ? { PATH_INFO: "/" } : { PATH_INFO: "/", SERVER_PROTOCOL: p });
    return [r.httpVersion, r.versionMajor, r.versionMinor];
  };
  assert.deepEqual(version("HTTP/1.1"), ["1.1", 1, 1]);
  assert.deepEqual(version("HTTP/1.0"), ["1.0", 1, 0]);
  assert.deepEqual(version("HTTP/2.0"), ["2.0", 2, 0]);
  assert.deepEqual(version("HTTP/3.0"), ["3.0", 3, 0]);
  assert.deepEqual(version(undefined), ["1.0", 1, 0]);
  assert.deepEqual(version("garbage"), ["1.0", 1, 0]);
});

test("request fields: without REQUEST_URI the target is SCRIPT_NAME + PATH_INFO, escaped, + QUERY_STRING", () => {
  assert.equal(httpRequestOf({ SCRIPT_NAME: "/app", PATH_INFO: "/a b?#%", QUERY_STRING: "q=1" }).url, "/app/a%20b%3F%23%25?q=1");
  assert.equal(httpRequestOf({ PATH_INFO: "x" }).url, "/x");
  assert.equal(httpRequestOf({}).url, "/");
});

test("request fields: vars that cannot be HTTP are rejected with the var named", () => {
  const bad = (env: Record<string, string>) => () => httpRequestOf({ PATH_INFO: "/", ...env });
  assert.throws(bad({ REQUEST_METHOD: "G(T" }), { code: "UWSGI_ERR_PACKET_MALFORMED", message: /REQUEST_METHOD "G\(T"/ });
  assert.throws(bad({ "HTTP_A:B": "x" }), /var "HTTP_A:B" is not a valid HTTP header name/);
  assert.throws(bad({ HTTP_X: "a\nb" }), /var HTTP_X contains control characters/);
  assert.throws(bad({ HTTP_X: "a\u0000b" }), /var HTTP_X contains control characters/);
  assert.throws(bad({ CONTENT_LENGTH: "-1" }), /CONTENT_LENGTH "-1" is not a number/);
  assert.throws(bad({ CONTENT_TYPE: "a\r\nb: c" }), /var CONTENT_TYPE contains control characters/);
  // invalid names are remembered as invalid, not turned valid by the cache
  assert.throws(bad({ "HTTP_A:B": "x" }), /not a valid HTTP header name/);
});

test("request fields: modifier1 30 strips SCRIPT_NAME from PATH_INFO; HTTPS=on/1 marks TLS", () => {
  const r = httpRequestOf({ SCRIPT_NAME: "/app", PATH_INFO: "/app/x", REQUEST_URI: "/app/x", HTTPS: "1" }, 30);
  assert.equal(r.env.PATH_INFO, "/x");
  assert.equal(r.https, true);
  const plain = httpRequestOf({ SCRIPT_NAME: "/app", PATH_INFO: "/other", REQUEST_URI: "/other" }, 30);
  assert.equal(plain.env.PATH_INFO, "/other");
});

test("request vars: the flat vars equal decodeVars' pairs, in packet order, duplicates kept", () => {
  const rand = mulberry32(77);
  for (let i = 0; i < 300; i++) {
    const pairs: Array<[Buffer, Buffer]> = [];
    for (let j = Math.floor(rand() * 10); j > 0; j--) {
      pairs.push([Buffer.from(Array.from({ length: 1 + Math.floor(rand() * 20) }, () => Math.floor(rand() * 256))), Buffer.from(Array.from({ length: Math.floor(rand() * 40) }, () => Math.floor(rand() * 256)))]);
      if (rand() < 0.2) pairs.push([pairs[pairs.length - 1]![0], Buffer.from("dup")]);
    }
    const payload = encodeVars(pairs);
    assert.deepEqual(decodeRequestVars(payload), decodeVars(payload).flatMap(([k, v]) => [k.toString("latin1"), v.toString("latin1")]));
  }
});

test("request fields: a duplicated var counts as in the environ: last value, place of the first", () => {
  const vars = ["HTTP_HOST", "a", "CONTENT_LENGTH", "5", "HTTP_X", "bad\nvalue", "HTTP_ACCEPT", "*/*", "HTTP_HOST", "b", "HTTP_X", "fine", "REQUEST_METHOD", "G(T", "REQUEST_METHOD", "PUT"];
  const r = httpRequestOf(vars);
  assert.equal(r.method, "PUT");
  assert.deepEqual(r.rawHeaders, ["host", "b", "content-length", "5", "x", "fine", "accept", "*/*"]);
  assert.equal(r.contentLength, 5);
  assert.deepEqual(r.env, { HTTP_HOST: "b", CONTENT_LENGTH: "5", HTTP_X: "fine", HTTP_ACCEPT: "*/*", REQUEST_METHOD: "PUT" });
  // the same with an environ object, and a CONTENT_LENGTH emptied by its duplicate
  assert.deepEqual(httpRequestOf(r.env).rawHeaders, r.rawHeaders);
  const emptied = httpRequestOf(["CONTENT_LENGTH", "5", "CONTENT_TYPE", "text/plain", "CONTENT_LENGTH", ""]);
  assert.deepEqual(emptied.rawHeaders, ["content-type", "text/plain"]);
  assert.equal(emptied.contentLength, 0);
  // duplicates are per request: the next request starts afresh
  assert.deepEqual(httpRequestOf(["HTTP_HOST", "c"]).rawHeaders, ["host", "c"]);
});

test("request fields: duplicates are still merged once the header-name cache is full", () => {
  const vars: string[] = [];
  for (let i = 0; i < 1100; i++) vars.push(`HTTP_X_MANY_${i}`, String(i));
  vars.push("HTTP_X_MANY_1099", "last", "HTTP_X_MANY_5", "five");
  const r = httpRequestOf(vars);
  assert.equal(r.rawHeaders.length, 2200);
  assert.deepEqual(r.rawHeaders.slice(10, 12), ["x-many-5", "five"]);
  assert.deepEqual(r.rawHeaders.slice(-2), ["x-many-1099", "last"]);
  // a name first seen after the cache filled up is checked like any other
  assert.throws(() => httpRequestOf(["HTTP_NEW:NAME", "x"]), /not a valid HTTP header name/);
});
