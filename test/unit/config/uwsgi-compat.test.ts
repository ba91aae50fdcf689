/**
 * Cross-checks the config readers against the real uWSGI binary: `uwsgi --get NAME` prints the
 * (first) value uWSGI ends up with for an option and exits, so the same files are parsed by both.
 * The options used have no side effect in uWSGI before it exits (no spooler: it would mkdir).
 */
import { after, before, test } from "node:test";
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { parseArgv } from "../../../src/config/argv-parser.js";

const dir = fs.realpathSync(fs.mkdtempSync(path.join(os.tmpdir(), "uwsgi-node-compat-")));
after(() => fs.rmSync(dir, { recursive: true, force: true }));

before(() => {
  const probe = spawnSync("uwsgi", ["--version"], { encoding: "utf8" });
  if (probe.error || probe.status !== 0) {
    throw new Error("the real uWSGI binary is needed for this test: install it (apt-get install uwsgi-core, or pip install uwsgi)");
  }
});

/** What uWSGI reports for each name, by running it on `configArgs` with one --get per name. */
function uwsgiGet(configArgs: string[], names: string[], env: NodeJS.ProcessEnv): string[] {
  const r = spawnSync("uwsgi", ["--die-on-term", ...configArgs, ...names.flatMap((n) => ["--get", n])], {
    cwd: dir,
    env: { ...process.env, ...env },
    encoding: "utf8",
    timeout: 15_000,
  });
  assert.equal(r.status, 0, `uwsgi failed: ${r.stderr}`);
  return r.stdout.split("\n").slice(0, names.length);
}

function ours(configArgs: string[], names: string[], env: NodeJS.ProcessEnv): string[] {
  const { options } = parseArgv(configArgs, { cwd: dir, env: { ...process.env, ...env } });
  return names.map((n) => {
    const v = options.all(n)[0];
    return v === true ? "1" : (v ?? "<absent>");
  });
}

test("uWSGI compat: ini magic variables, placeholders, environment and placeholder math match uwsgi --get", () => {
  fs.mkdirSync(path.join(dir, "conf"), { recursive: true });
  fs.writeFileSync(
    path.join(dir, "conf", "site.ini"),
    [
      "[uwsgi]",
      "; a comment",
      "base = /srv",
      "chdir = %(base)/x",
      "logto = %d|%p|%n|%e|%c|%s|%o|%0|%%",
      "pidfile = $(COMPAT_VAR)/pid",
      "n = 5",
      "socket = /tmp/%(n ++).sock",
      "http = %(n base)",
      "env = A = B",
      "[other]",
      "chdir = /nope",
    ].join("\n"),
  );
  const names = ["chdir", "logto", "pidfile", "socket", "http", "env"];
  const args = ["--ini", "conf/site.ini"];
  const env = { COMPAT_VAR: "/var/run" };
  assert.deepEqual(ours(args, names, env), uwsgiGet(args, names, env));
});

test("uWSGI compat: ini sections and json/yaml values match uwsgi --get", () => {
  fs.writeFileSync(path.join(dir, "multi.ini"), "[uwsgi]\nprocesses = 1\n[prod]\nprocesses = 16\nmaster\n");
  fs.writeFileSync(path.join(dir, "c.json"), '{"uwsgi": {"master": true, "vacuum": false, "processes": 4, "socket": ["/a", "/b"], "logto": "%n.log"}}');
  fs.writeFileSync(path.join(dir, "c.yaml"), 'uwsgi:\n  socket: "/q # x"\n  socket: /r\n  logto: \'%n.log\'\n  master: true\n  env:\n    - A=1\n    - B=2\n');
  const cases: [string[], string[]][] = [
    [["--ini", "multi.ini:prod"], ["processes"]],
    [["--json", "c.json"], ["logto", "socket", "master", "vacuum", "processes"]],
    [["--yaml", "c.yaml"], ["socket", "logto", "master", "env"]],
  ];
  for (const [args, names] of cases) assert.deepEqual(ours(args, names, {}), uwsgiGet(args, names, {}), args.join(" "));
});
