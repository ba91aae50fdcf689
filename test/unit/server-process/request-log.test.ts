import { describe, it } from "node:test";
import assert from "node:assert/strict";
import { formatRequestLog } from "../../../src/server/request-log.js";
import { logDate } from "../../../src/server/log-date.js";
import { compileLogFormat } from "../../../src/server/request-io/log-format.js";

describe("request log line", () => {
  it("has uWSGI's default layout", () => {
    const start = new Date(2026, 10, 3, 9, 5, 7).getTime();
    const line = formatRequestLog({
      pid: 42,
      workerRequests: 3,
      totalRequests: 7,
      remoteAddr: "127.0.0.1",
      remoteUser: "",
      varsCount: 24,
      varsBytes: 246,
      startMs: start,
      method: "GET",
      uri: "/x?y=1",
      bodyBytes: 5,
      durationMs: 0,
      protocol: "HTTP/1.1",
      status: 200,
      headersCount: 1,
      headersBytes: 45,
    });
    assert.equal(
      line,
      "[pid: 42|app: 0|req: 3/7] 127.0.0.1 () {24 vars in 246 bytes} [Tue Nov  3 09:05:07 2026] GET /x?y=1 => generated 5 bytes in 0 msecs (HTTP/1.1 200) 1 headers in 45 bytes (1 switches on core 0)",
    );
  });

  it("makes again the pieces it keeps from the previous line when they change (pid, address, user, second, protocol, status)", () => {
    const start = new Date(2026, 10, 3, 9, 5, 7).getTime();
    const base = {
      pid: 42, workerRequests: 1, totalRequests: 1, remoteAddr: "127.0.0.1", remoteUser: "", varsCount: 2, varsBytes: 20, startMs: start,
      method: "GET", uri: "/", bodyBytes: 5, durationMs: 0, protocol: "HTTP/1.1", status: 200, headersCount: 1, headersBytes: 45,
    };
    const tail = "GET / => generated 5 bytes in 0 msecs";
    assert.equal(formatRequestLog(base), `[pid: 42|app: 0|req: 1/1] 127.0.0.1 () {2 vars in 20 bytes} [Tue Nov  3 09:05:07 2026] ${tail} (HTTP/1.1 200) 1 headers in 45 bytes (1 switches on core 0)`);
    assert.equal(
      formatRequestLog({ ...base, pid: 43, remoteAddr: "10.0.0.2", remoteUser: "bob", startMs: start + 1000, protocol: "HTTP/1.0", status: 404 }),
      `[pid: 43|app: 0|req: 1/1] 10.0.0.2 (bob) {2 vars in 20 bytes} [Tue Nov  3 09:05:08 2026] ${tail} (HTTP/1.0 404) 1 headers in 45 bytes (1 switches on core 0)`,
    );
    assert.equal(formatRequestLog({ ...base, remoteUser: "bob", status: 201 }), `[pid: 42|app: 0|req: 1/1] 127.0.0.1 (bob) {2 vars in 20 bytes} [Tue Nov  3 09:05:07 2026] ${tail} (HTTP/1.1 201) 1 headers in 45 bytes (1 switches on core 0)`);
    assert.equal(formatRequestLog({ ...base, method: "PUT\n" }).includes("] PUT\\x0a / => "), true, "other methods are escaped");
  });

  it("writes dates like C's ctime (space-padded day)", () => {
    assert.equal(logDate(new Date(2026, 0, 25, 23, 59, 1).getTime()), "Sun Jan 25 23:59:01 2026");
    assert.equal(logDate(new Date(2026, 1, 1, 0, 0, 0).getTime()), "Sun Feb  1 00:00:00 2026");
  });
});

describe("request log: client-controlled fields cannot forge lines", () => {
  it("regression: raw REMOTE_ADDR / REQUEST_URI forged log lines; control bytes and backslashes are now \\xHH", () => {
    const line = formatRequestLog({
      pid: 1, workerRequests: 1, totalRequests: 1, remoteAddr: "10.0.0.1\n[pid: 9|app: 0|req: 1/1] 6.6.6.6", remoteUser: "u\x1b[2J",
      varsCount: 1, varsBytes: 1, startMs: 0, method: "GET", uri: "/a\r\n[FORGED] GET /admin\\x", bodyBytes: 0, durationMs: 0,
      protocol: "HTTP/1.1", status: 200, headersCount: 0, headersBytes: 0,
    });
    assert.equal(line.includes("\n") || line.includes("\r") || line.includes("\x1b"), false);
    assert.match(line, /10\.0\.0\.1\\x0a\[pid: 9/);
    assert.match(line, /\(u\\x1b\[2J\)/);
    assert.match(line, /GET \/a\\x0d\\x0a\[FORGED\] GET \/admin\\x5cx => /);
  });
});

describe("request log: --logformat escapes what clients control", () => {
  it("regression: --logformat wrote request and log variables raw, so a CR/LF in the URI, Host or a logvar forged a log line", () => {
    const format = compileLogFormat("%(addr) %(method) %(uri) host=%(host) ua=%(uagent) pi=%(var.PATH_INFO) tag=%(tag) %(status)\t%(size)");
    const line = format({
      env: {
        REMOTE_ADDR: "10.0.0.1\n[pid: 1] forged",
        REQUEST_METHOD: "GET",
        REQUEST_URI: "/a\r\n[pid: 1|app: 0|req: 1/1] 6.6.6.6 () GET /evil",
        HTTP_HOST: "h\x1b[2J",
        HTTP_USER_AGENT: "back\\slash é",
        PATH_INFO: "/p\x00",
      },
      logvars: new Map([["tag", Buffer.from("t\nx")]]),
      pid: 1, workerId: 1, status: 200, micros: 5, startMs: 0, startMicros: 0, readErrors: 0, writeErrors: 0, bodyBytes: 3, headersBytes: 4, headersCount: 1, contentLength: 0, varsCount: 6, varsBytes: 100, modifier1: 0, modifier2: 0,
    });
    assert.equal(
      line,
      "10.0.0.1\\x0a[pid: 1] forged GET /a\\x0d\\x0a[pid: 1|app: 0|req: 1/1] 6.6.6.6 () GET /evil host=h\\x1b[2J ua=back\\x5cslash é pi=/p\\x00 tag=t\\x0ax 200\t7",
    );
    assert.equal(line.split("\n").length, 1, "one line, whatever the client sent");
  });
});
