import { describe, it } from "node:test";
import assert from "node:assert/strict";
import { formatListenAddress, parseListenAddress } from "../../../src/server/listen-address.js";
import { isUwsgiError } from "../../../src/errors.js";

describe("listen addresses", () => {
  it("parses uWSGI's address forms", () => {
    assert.deepEqual(parseListenAddress("http", ":8080"), { kind: "tcp", host: "0.0.0.0", port: 8080 });
    assert.deepEqual(parseListenAddress("http", "127.0.0.1:0"), { kind: "tcp", host: "127.0.0.1", port: 0 });
    assert.deepEqual(parseListenAddress("socket", "[::1]:3031"), { kind: "tcp", host: "::1", port: 3031 });
    assert.deepEqual(parseListenAddress("socket", "localhost:3031"), { kind: "tcp", host: "localhost", port: 3031 });
    assert.deepEqual(parseListenAddress("socket", "/run/app.sock"), { kind: "unix", path: "/run/app.sock" });
    assert.deepEqual(parseListenAddress("socket", "app.sock"), { kind: "unix", path: "app.sock" });
    assert.deepEqual(parseListenAddress("socket", "@abstract"), { kind: "unix", path: "\0abstract" });
  });

  it("rejects bad addresses naming the option", () => {
    for (const bad of ["", "127.0.0.1:99999", "host:port", "@"]) {
      assert.throws(() => parseListenAddress("http-socket", bad), (err) => isUwsgiError(err, "UWSGI_ERR_OPTION_VALUE") && err.message.includes("http-socket"), bad);
    }
    assert.throws(() => parseListenAddress("http", true), /an address is required/);
  });

  it("formats addresses the way the log shows them", () => {
    assert.equal(formatListenAddress({ kind: "tcp", host: "127.0.0.1", port: 80 }), "127.0.0.1:80");
    assert.equal(formatListenAddress({ kind: "tcp", host: "::1", port: 80 }), "[::1]:80");
    assert.equal(formatListenAddress({ kind: "unix", path: "\0name" }), "@name");
  });
});
