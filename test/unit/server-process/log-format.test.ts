// --logformat parsing rules as uWSGI's uwsgi_build_log_format: a name runs to the next ")",
// unknown names are log variables (empty when unset), `%()` stays text, metric.NAME is 0 when
// there is no such metric.
import { describe, it } from "node:test";
import assert from "node:assert/strict";
import { Buffer } from "node:buffer";
import { compileLogFormat, type LogFields } from "../../../src/server/request-io/log-format.js";

const fields: LogFields = {
  env: { REQUEST_URI: "/a?b=1", REQUEST_METHOD: "GET", PATH_INFO: "/a" },
  logvars: new Map([["user id", Buffer.from("spaced")], ["known", Buffer.from("k")]]),
  pid: 42,
  workerId: 3,
  status: 404,
  micros: 1500,
  startMs: 1_700_000_000_123,
  startMicros: 1_700_000_000_123_456,
  readErrors: 1,
  writeErrors: 0,
  bodyBytes: 10,
  headersBytes: 50,
  headersCount: 2,
  contentLength: 0,
  varsCount: 3,
  varsBytes: 40,
  modifier1: 30,
  modifier2: 7,
};

describe("--logformat parsing (uWSGI's rules)", () => {
  it("unknown names render as log variables: the value when set, empty when not", () => {
    assert.equal(compileLogFormat("[%(known)][%(unknown)]")(fields), "[k][]");
  });
  it("a name runs to the next ')' (spaces included); '%()' and a lone '%(' stay text", () => {
    assert.equal(compileLogFormat("%(user id)|%()|100%|%(uri")(fields), "spaced|%()|100%|%(uri");
  });
  it("metric.NAME reads the metric; a missing metric (the source throws or is absent) is 0", () => {
    const metric = (name: string): number => {
      if (name === "demo") return 7;
      throw new Error("no such metric");
    };
    assert.equal(compileLogFormat("%(metric.demo) %(metric.nope)", { metric })(fields), "7 0");
    assert.equal(compileLogFormat("%(metric.demo)")(fields), "0");
  });
  it("modifier1/modifier2 render the request's modifiers (they rendered 0 whatever the packet said)", () => {
    assert.equal(compileLogFormat("%(modifier1)/%(modifier2)")(fields), "30/7");
  });
  it("start times in s, ms and µs agree; errors add up in ioerr", () => {
    assert.equal(compileLogFormat("%(time) %(tmsecs) %(tmicros) %(rerr)+%(werr)=%(ioerr)")(fields), "1700000000 1700000000123 1700000000123456 1+0=1");
  });
});
