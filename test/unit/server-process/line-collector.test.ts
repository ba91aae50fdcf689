import { describe, it } from "node:test";
import assert from "node:assert/strict";
import { LineCollector } from "../../../src/server/line-collector.js";

describe("line collector", () => {
  it("passes whole lines and holds the unfinished tail until its newline", () => {
    const c = new LineCollector();
    assert.equal(c.push(Buffer.from("par")), null);
    assert.equal(c.push(Buffer.from("tial\nnext li"))?.toString(), "partial\n");
    assert.equal(c.push(Buffer.from("ne\nthird\n"))?.toString(), "next line\nthird\n");
    assert.equal(c.flush(), null);
  });

  it("flushes an unterminated last line with a newline", () => {
    const c = new LineCollector();
    c.push(Buffer.from("no newline"));
    assert.equal(c.flush()?.toString(), "no newline\n");
    assert.equal(c.flush(), null);
  });

  it("does not hold an endless line forever", () => {
    const c = new LineCollector();
    const out = c.push(Buffer.alloc(70 * 1024, "x"));
    assert.equal(out?.length, 70 * 1024);
  });
});
