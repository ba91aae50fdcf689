import { after, test } from "node:test";
import assert from "node:assert/strict";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { configAbsolutePath, fileMagic, processMagic, substituteMagic } from "../../../src/config/magic-variables.js";

const dir = fs.realpathSync(fs.mkdtempSync(path.join(os.tmpdir(), "uwsgi-node-magic-")));
after(() => fs.rmSync(dir, { recursive: true, force: true }));

test("magic: file variables %o %p %s %d %n %e %c %x %0.. and uppercase ones from the first file", () => {
  const base = processMagic("/work", "box", 1_700_000_000_123);
  const first = fileMagic("conf/app.prod.ini:web", "/etc/site/conf/app.prod.ini", "web", base);
  assert.equal(first.o, "conf/app.prod.ini:web");
  assert.equal(first.p, "/etc/site/conf/app.prod.ini");
  assert.equal(first.s, "app.prod.ini");
  assert.equal(first.d, "/etc/site/conf/");
  assert.equal(first.n, "app.prod");
  assert.equal(first.e, "ini");
  assert.equal(first.c, "conf");
  assert.equal(first.x, "web");
  assert.deepEqual([first["0"], first["1"], first["2"], first["3"]], ["etc", "site", "conf", undefined]);
  assert.equal(first.N, "app.prod");
  const second = fileMagic("/x/noext", "/x/noext", "", base, first);
  assert.equal(second.n, "noext");
  assert.equal(second.e, "");
  assert.equal(second.d, "/x/");
  assert.equal(second.N, "app.prod");
  assert.equal(second.D, "/etc/site/conf/");
});

test("magic: process variables %v %h %t %T %k %u %U %g %G %[", () => {
  const m = processMagic("/work", "box", 1_700_000_000_123);
  assert.equal(m.v, "/work");
  assert.equal(m.h, "box");
  assert.equal(m.t, "1700000000");
  assert.equal(m.T, "1700000000123000");
  assert.equal(m.k, String(os.availableParallelism()));
  assert.equal(m.u, String(process.getuid!()));
  assert.equal(m.g, String(process.getgid!()));
  assert.ok(m.U!.length > 0 && m.G!.length > 0);
  assert.equal(m["["], "\x1b");
});

test("magic: substitution handles %%, keeps %( for placeholders, empties unknown names and never joins lines", () => {
  const seen: string[] = [];
  const out = substituteMagic("a=%n %% %(x) %z 100%\nb=%d", { n: "app", d: "/d/" }, (c) => seen.push(c));
  assert.equal(out, "a=app % %(x)  100%\nb=/d/");
  assert.deepEqual(seen, ["z"]);
});

test("magic: %p is the real path, but a symlinked config file itself is not followed", () => {
  const real = path.join(dir, "real.ini");
  fs.writeFileSync(real, "[uwsgi]\n");
  const link = path.join(dir, "link.ini");
  fs.symlinkSync(real, link);
  assert.equal(configAbsolutePath("real.ini", dir), real);
  assert.equal(configAbsolutePath("link.ini", dir), link);
  assert.equal(configAbsolutePath("missing.ini", dir), path.join(dir, "missing.ini"));
});
