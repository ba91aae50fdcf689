import { after, test } from "node:test";
import assert from "node:assert/strict";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { expandEnv, expandFileReads, PlaceholderResolver, replaceTagged } from "../../../src/config/value-expansion.js";
import { isUwsgiError } from "../../../src/errors.js";

const dir = fs.mkdtempSync(path.join(os.tmpdir(), "uwsgi-node-expand-"));
after(() => fs.rmSync(dir, { recursive: true, force: true }));

test("expansion: replaceTagged handles nesting, unbalanced text and refusals", () => {
  assert.equal(replaceTagged("a %(b) c %(d(e)) f", "%", (k) => `<${k}>`), "a <b> c <d(e)> f");
  assert.equal(replaceTagged("x %(open", "%", () => "!"), "x %(open");
  assert.equal(replaceTagged("%(keep) %(go)", "%", (k) => (k === "go" ? "1" : undefined)), "%(keep) 1");
  assert.equal(replaceTagged("%(a)", "%", () => "%(a)"), "%(a)", "replacements are not rescanned");
});

test("expansion: $(NAME), $(NAME:-default), $(NAME-default)", () => {
  const env = { A: "1", E: "" };
  const missing: string[] = [];
  assert.equal(expandEnv("$(A)/$(B)", env, (n) => missing.push(n)), "1/$(B)");
  assert.deepEqual(missing, ["B"]);
  assert.equal(expandEnv("$(B:-x)|$(E:-y)|$(E-z)|$(B-w)", env), "x|y||w");
});

test("expansion: @(file) reads relative to cwd and drops one final newline", () => {
  fs.writeFileSync(path.join(dir, "v.txt"), "value\n\n");
  assert.equal(expandFileReads("[@(v.txt)]", dir), "[value\n]");
  assert.throws(() => expandFileReads("@(none)", dir), (e: unknown) => isUwsgiError(e, "UWSGI_ERR_CONFIG_FILE") && e.message.includes("none"));
});

test("expansion: placeholders resolve to the nearest earlier entry, else the first later one", () => {
  const entries = [
    { key: "x", value: "1" },
    { key: "a", value: "%(x)" },
    { key: "x", value: "%(x)2" },
    { key: "b", value: "%(x)" },
    { key: "c", value: "%(later)" },
    { key: "later", value: "L1" },
    { key: "later", value: "L2" },
    { key: "flag", value: true },
    { key: "d", value: "%(flag)" },
  ] as const;
  const r = new PlaceholderResolver(entries);
  assert.deepEqual(entries.map((_, i) => r.valueOf(i)), ["1", "1", "12", "12", "L1", "L1", "L2", true, "1"]);
  assert.deepEqual([...r.referenced].sort(), ["flag", "later", "x"]);
});

test("expansion: loops are errors naming the chain; missing names are reported and kept", () => {
  const r = new PlaceholderResolver([{ key: "a", value: "%(b)" }, { key: "b", value: "%(a)" }]);
  assert.throws(() => r.valueOf(0), (e: unknown) => isUwsgiError(e, "UWSGI_ERR_OPTION_VALUE") && e.message.includes("a -> b -> a"));
  const missing: string[] = [];
  const m = new PlaceholderResolver([{ key: "a", value: "%(zz)+%(a)" }], (n) => n, (n) => missing.push(n));
  assert.equal(m.valueOf(0), "%(zz)+%(a)");
  assert.deepEqual(missing, ["zz", "a"]);
});

test("expansion: math pipeline, ++/--, concatenation, division by zero, canonical names", () => {
  const entries = [
    { key: "processes", value: "4" },
    { key: "n", value: "10" },
    { key: "r1", value: "%(workers * 2 + 1)" },
    { key: "r2", value: "%(n --)" },
    { key: "r3", value: "%(n 5)" },
    { key: "r4", value: "%(n - 12)" },
    { key: "r5", value: "%(n / 3)" },
    { key: "r6", value: "%(n / unknown)" },
  ];
  const r = new PlaceholderResolver(entries, (n) => (n === "workers" ? "processes" : n));
  assert.deepEqual(entries.slice(2).map((_, i) => r.valueOf(i + 2)), ["9", "9", "105", "-2", "3", "0"]);
});
