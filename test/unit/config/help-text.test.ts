import { test } from "node:test";
import assert from "node:assert/strict";
import { renderHelp } from "../../../src/config/help-text.js";
import { IGNORED_UWSGI_OPTIONS, OPTIONS } from "../../../src/config/option-table.js";

test("help: lists every option, alias and short flag of the table under its category", () => {
  const help = renderHelp();
  for (const def of OPTIONS) {
    assert.ok(help.includes(`--${def.name}`), `--${def.name} missing`);
    for (const a of def.aliases ?? []) assert.ok(help.includes(`--${a}`), `alias --${a} missing`);
    if (def.short) assert.ok(help.includes(`-${def.short}, --${def.name}`), `-${def.short} missing`);
    assert.ok(help.includes(def.help), `help of ${def.name} missing`);
    const lines = help.split("\n");
    const own = lines.findIndex((l) => new RegExp(`^  (-., |    )--${def.name}( |\\[|$)`).test(l));
    assert.ok(own >= 0, `no line for --${def.name}`);
    const heading = lines.slice(0, own).findLast((l) => /^\S.*:$/.test(l));
    assert.equal(heading, `${def.category}:`, `${def.name} is not under ${def.category}`);
  }
  for (const name of IGNORED_UWSGI_OPTIONS.keys()) assert.ok(help.includes(name), `ignored ${name} missing`);
});

test("help: marks repeatable and master-implying options, and says what --plugin enables", () => {
  const help = renderHelp();
  const line = (name: string) => help.split("\n").find((l) => l.includes(`--${name} `) || l.endsWith(`--${name}`))!;
  assert.match(line("spooler"), /repeatable; implies --master/);
  assert.match(line("metric"), /implies --enable-metrics/);
  assert.match(line("plugin"), /cache, rpc, signal, spooler: serve remote .* off by default; other names have no effect/);
  assert.match(help, /^Usage: uwsgi-node /);
});
