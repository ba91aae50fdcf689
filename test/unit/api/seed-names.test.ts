/**
 * Every name of the seed API exists on `uwsgi`, with the right kind, and is documented in
 * src/api.ts. The names come from test/fixtures/seed-names.json, which is checked against the
 * seed spec itself when shared/spec is present beside the checkout.
 */
import { test } from "node:test";
import assert from "node:assert/strict";
import { existsSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { uwsgi } from "../../../src/index.js";

const root = join(import.meta.dirname, "..", "..", "..", "..");
const seed = JSON.parse(readFileSync(join(root, "test", "fixtures", "seed-names.json"), "utf8")) as { attributes: string[]; functions: string[] };
const CALLABLE_ATTRIBUTES = new Set(["mule_msg_hook", "post_fork_hook", "spooler"]);

/** Names from the seed markdown: attributes are `name: type` lines under their heading, functions have a signature. */
function namesFromSeed(text: string): { attributes: string[]; functions: string[] } {
  const attrsPart = text.slice(text.indexOf("\nAttributes\n"), text.indexOf("\nFunctions\n")).split("\n");
  const attributes = attrsPart.flatMap((line, i) => {
    const m = /^([A-Za-z_][A-Za-z0-9_]*): /.exec(line);
    return m && i >= 2 && attrsPart[i - 2]!.trim() === m[1] ? [m[1]!] : [];
  });
  const funcsPart = text.slice(text.indexOf("\nFunctions\n")).split("\n");
  const functions = new Set<string>();
  funcsPart.forEach((line, i) => {
    const name = line.trim();
    if (!/^[a-z_][a-z0-9_]*$/.test(name)) return;
    const next = funcsPart.slice(i + 1, i + 4).filter((l) => l.trim());
    if (next[0] && (next[0].startsWith(`${name}(`) || next[0].trim() === "1")) functions.add(name);
  });
  if (/\nreload\n/.test(funcsPart.join("\n"))) functions.add("reload");
  return { attributes, functions: [...functions].sort() };
}

test("the seed-names fixture matches the seed spec", { skip: !existsSync(join(root, "..", "shared", "spec", "seed-uwsgi-module.md")) && "shared/spec is not beside this checkout" }, () => {
  const fromSpec = namesFromSeed(readFileSync(join(root, "..", "shared", "spec", "seed-uwsgi-module.md"), "utf8"));
  assert.deepEqual(fromSpec.attributes, seed.attributes);
  assert.deepEqual(fromSpec.functions, seed.functions);
});

test("the seed has 25 attributes and 105 functions", () => {
  assert.equal(seed.attributes.length, 25);
  assert.equal(seed.functions.length, 105);
});

test("every seed function is a function on uwsgi", () => {
  const missing = seed.functions.filter((name) => typeof (uwsgi as unknown as Record<string, unknown>)[name] !== "function");
  assert.deepEqual(missing, []);
});

test("every seed attribute exists on uwsgi and is not a function (hooks are assignable callables)", () => {
  const mod = uwsgi as unknown as Record<string, unknown>;
  for (const name of seed.attributes) {
    assert.ok(name in mod, `${name} is missing`);
    if (CALLABLE_ATTRIBUTES.has(name)) {
      const before = mod[name];
      const fn = () => undefined;
      mod[name] = fn;
      assert.equal(mod[name], fn, `${name} is assignable`);
      mod[name] = before;
    } else {
      assert.notEqual(typeof mod[name], "function", `${name} is an attribute`);
    }
  }
});

test("every seed name is declared with TSDoc in src/api.ts", () => {
  const api = readFileSync(join(root, "src", "api.ts"), "utf8").split("\n");
  for (const name of [...seed.attributes, ...seed.functions]) {
    const decl = api.findIndex((l) => new RegExp(`^  (readonly )?${name}[(:?]`).test(l));
    assert.ok(decl > 0, `${name} is not declared in UwsgiModule`);
    let i = decl - 1;
    while (i > 0 && api[i]!.trim() === "") i--;
    assert.match(api[i]!, /\*\/\s*$/, `${name} has no TSDoc comment`);
  }
});

test("uwsgi.is_stub is true outside the server and the spooler constants have uWSGI's values", () => {
  assert.equal(uwsgi.is_stub, true);
  assert.deepEqual([uwsgi.SPOOL_OK, uwsgi.SPOOL_RETRY, uwsgi.SPOOL_IGNORE], [-2, -1, 0]);
});
