import { after, test } from "node:test";
import assert from "node:assert/strict";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { parseArgv } from "../../../src/config/argv-parser.js";
import { optionSetToArgv } from "../../../src/config/argv-renderer.js";
import { isUwsgiError, type ErrorCode } from "../../../src/errors.js";

const dir = fs.mkdtempSync(path.join(os.tmpdir(), "uwsgi-node-argv-"));
after(() => fs.rmSync(dir, { recursive: true, force: true }));

function write(name: string, text: string): string {
  const file = path.join(dir, name);
  fs.writeFileSync(file, text);
  return file;
}

const parse = (argv: string[], env: NodeJS.ProcessEnv = {}) => parseArgv(argv, { cwd: dir, env, hostname: "testhost" });
const pairs = (argv: string[], env: NodeJS.ProcessEnv = {}) => parse(argv, env).options.entries.map((e) => [e.name, e.value]);

function throwsCode(fn: () => unknown, code: ErrorCode, ...parts: (string | RegExp)[]): void {
  assert.throws(fn, (e: unknown) => {
    assert.ok(isUwsgiError(e, code), `expected ${code}, got ${String(e)}`);
    for (const p of parts) {
      if (typeof p === "string") assert.ok(e.message.includes(p), `"${e.message}" should contain "${p}"`);
      else assert.match(e.message, p);
    }
    return true;
  });
}

test("argv: --name value, --name=value, bare flags and aliases give canonical names in order", () => {
  assert.deepEqual(pairs(["--http", ":8000", "--workers=4", "--master", "--stats-server", "127.0.0.1:9191"]), [
    ["http", ":8000"],
    ["processes", "4"],
    ["master", true],
    ["stats", "127.0.0.1:9191"],
  ]);
});

test("argv: short flags -p 4, -p4, clusters -MT and -Mp4", () => {
  assert.deepEqual(pairs(["-p", "4", "-s", ":3031"]), [["processes", "4"], ["socket", ":3031"]]);
  assert.deepEqual(pairs(["-p4"]), [["processes", "4"]]);
  assert.deepEqual(pairs(["-MT"]), [["master", true], ["enable-threads", true]]);
  assert.deepEqual(pairs(["-Mp4"]), [["master", true], ["processes", "4"]]);
});

test("argv: repeated options keep every value in order", () => {
  const { options } = parse(["--cache2", "name=a,items=10", "--socket", ":1", "--cache2", "name=b,items=20", "--socket", ":2"]);
  assert.deepEqual(options.all("cache2"), ["name=a,items=10", "name=b,items=20"]);
  assert.deepEqual(options.all("socket"), [":1", ":2"]);
});

test("argv: optional values only attach with = (getopt rules): --mule, --mule=FILE, -C, -C660", () => {
  const r = parse(["--mule", "--mule=worker.js", "-C", "--chmod-socket=660", "app.js"]);
  assert.deepEqual(r.options.entries.map((e) => [e.name, e.value]), [
    ["mule", true],
    ["mule", "worker.js"],
    ["chmod-socket", true],
    ["chmod-socket", "660"],
  ]);
  assert.deepEqual(r.positional, ["app.js"]);
  assert.deepEqual(pairs(["-C660"]), [["chmod-socket", "660"]]);
});

test("argv: flags accept an explicit value (--master=false) and a positional app file anywhere", () => {
  const r = parse(["app.js", "--master=false", "--processes", "2"]);
  assert.deepEqual(r.positional, ["app.js"]);
  assert.deepEqual(r.options.entries.map((e) => [e.name, e.value]), [["master", "false"], ["processes", "2"]]);
});

test("argv: -- ends the options", () => {
  const r = parse(["--master", "--", "--not-an-option", "-p"]);
  assert.deepEqual(r.positional, ["--not-an-option", "-p"]);
});

test("argv: unknown options are rejected, naming the option and suggesting the closest one", () => {
  throwsCode(() => parse(["--proceses", "4"]), "UWSGI_ERR_OPTION_UNKNOWN", "--proceses", "did you mean --processes?");
  throwsCode(() => parse(["--mastr"]), "UWSGI_ERR_OPTION_UNKNOWN", "--mastr", "--master");
  throwsCode(() => parse(["--frobnicate-everything"]), "UWSGI_ERR_OPTION_UNKNOWN", /unknown option --frobnicate-everything$/);
  throwsCode(() => parse(["-X"]), "UWSGI_ERR_OPTION_UNKNOWN", "-X");
  throwsCode(() => parse(["-MX"]), "UWSGI_ERR_OPTION_UNKNOWN", "-X (in -MX)");
});

test("argv: missing and bad values are UWSGI_ERR_OPTION_VALUE naming the option and the argument", () => {
  throwsCode(() => parse(["--processes"]), "UWSGI_ERR_OPTION_VALUE", "processes", "a value is required", "argument 1");
  throwsCode(() => parse(["-p"]), "UWSGI_ERR_OPTION_VALUE", "processes", "a value is required");
  throwsCode(() => parse(["--processes", "--master"]), "UWSGI_ERR_OPTION_VALUE", "processes", "found option --master");
  throwsCode(() => parse(["--master", "--processes", "four"]), "UWSGI_ERR_OPTION_VALUE", "processes", '"four"', "command line argument 2 (--processes)");
  throwsCode(() => parse(["--harakiri=-5"]), "UWSGI_ERR_OPTION_VALUE", "harakiri");
  throwsCode(() => parse(["--master=perhaps"]), "UWSGI_ERR_OPTION_VALUE", "master");
  throwsCode(() => parse(["--set", "novalue"]), "UWSGI_ERR_OPTION_VALUE", "set", "NAME=VALUE");
});

test("argv: ignored uWSGI options are accepted with a warning and left out", () => {
  const r = parse(["--master-as-root", "--thunder-lock", "--master"]);
  assert.deepEqual(r.options.entries.map((e) => e.name), ["master"]);
  assert.equal(r.warnings.length, 2);
  assert.match(r.warnings[0]!, /master-as-root .*not implement/);
  assert.match(r.warnings[1]!, /thunder-lock/);
});

test("argv: --plugin is accepted silently so uWSGI command lines work", () => {
  const r = parse(["--plugin", "python3", "--plugins=http,cache", "--master"]);
  assert.deepEqual(r.warnings, []);
  assert.deepEqual(r.options.all("plugin"), ["python3", "http,cache"]);
});

test("argv: --ini is expanded in place, so argv and ini options mix in order (later wins)", () => {
  const ini = write("mix.ini", "[uwsgi]\nprocesses = 2\nsocket = :3031\nmaster\n");
  const r = parse(["--processes", "8", "--ini", ini, "--socket", ":3032"]);
  assert.deepEqual(r.options.entries.map((e) => [e.name, e.value]), [
    ["processes", "8"],
    ["processes", "2"],
    ["socket", ":3031"],
    ["master", true],
    ["socket", ":3032"],
  ]);
  assert.equal(r.options.get("processes"), "2");
  assert.deepEqual(r.configFiles, [fs.realpathSync(ini)]);
  const r2 = parse(["--ini", ini, "--processes", "8"]);
  assert.equal(r2.options.get("processes"), "8");
});

test("argv: positional .ini/.json/.yaml files are config files, read where they appear", () => {
  const ini = write("pos.ini", "[uwsgi]\nprocesses = 3\n");
  const json = write("pos.json", '{"uwsgi": {"threads": 2}}');
  const yaml = write("pos.yml", "uwsgi:\n  listen: 64\n");
  const r = parse([ini, "app.js", json, yaml, "--processes", "5"]);
  assert.deepEqual(r.positional, ["app.js"]);
  assert.deepEqual(r.options.entries.map((e) => [e.name, e.value]), [
    ["processes", "3"],
    ["threads", "2"],
    ["listen", "64"],
    ["processes", "5"],
  ]);
  throwsCode(() => parse(["conf.xml"]), "UWSGI_ERR_CONFIG_FILE", "conf.xml", "XML");
});

test("argv: --ini file:section, -j/--json and -y/--yaml with sections", () => {
  const ini = write("sec.ini", "[uwsgi]\nprocesses = 1\n[prod]\nprocesses = 16\n");
  const json = write("sec.json", '{"uwsgi": {"threads": 1}, "prod": {"threads": 8}}');
  const yaml = write("sec.yaml", "uwsgi:\n  listen: 1\nprod:\n  listen: 512\n");
  const r = parse(["--ini", `${ini}:prod`, "-j", `${json}:prod`, "-y", `${yaml}:prod`]);
  assert.deepEqual(r.options.entries.map((e) => [e.name, e.value]), [["processes", "16"], ["threads", "8"], ["listen", "512"]]);
});

test("argv: ini files include other files recursively, in place; :section rereads the last ini file", () => {
  const inner = write("inner.ini", "[uwsgi]\nsocket = :2\n[extra]\nsocket = :9\n");
  const outer = write("outer.ini", `[uwsgi]\nsocket = :1\nini = ${inner}\nsocket = :3\nini = :extra\nsocket = :4\n`);
  const r = parse(["--ini", outer]);
  assert.deepEqual(r.options.all("socket"), [":1", ":2", ":3", ":9", ":4"]);
});

test("argv: includes may mix formats and use %d to point next to the including file", () => {
  write("base.json", '{"uwsgi": {"master": true, "processes": 4}}');
  write("more.yaml", "uwsgi:\n  threads: 2\n");
  const main = write("main.ini", "[uwsgi]\njson = %dbase.json\nyaml = %dmore.yaml\nprocesses = 6\n");
  const r = parseArgv(["--ini", main], { cwd: os.tmpdir(), env: {} });
  assert.deepEqual(r.options.entries.map((e) => [e.name, e.value]), [["master", true], ["processes", "4"], ["threads", "2"], ["processes", "6"]]);
});

test("argv: an include loop is an error naming the file, not a hang", () => {
  const a = path.join(dir, "loop-a.ini");
  const b = path.join(dir, "loop-b.ini");
  fs.writeFileSync(a, `[uwsgi]\nmaster\nini = ${b}\n`);
  fs.writeFileSync(b, `[uwsgi]\nini = ${a}\n`);
  throwsCode(() => parse(["--ini", a]), "UWSGI_ERR_CONFIG_FILE", "include loop", "loop-a.ini", "loop-b.ini line 2");
  const self = write("loop-self.ini", "[uwsgi]\nini = %p\n");
  throwsCode(() => parse([self]), "UWSGI_ERR_CONFIG_FILE", "include loop");
});

test("argv: the same file may be included twice when it is not a loop", () => {
  const common = write("common.ini", "[uwsgi]\nenv = A=1\n");
  const r = parse(["--ini", common, "--ini", common]);
  assert.deepEqual(r.options.all("env"), ["A=1", "A=1"]);
});

test("argv: config file errors name the file and line", () => {
  throwsCode(() => parse(["--ini", path.join(dir, "missing.ini")]), "UWSGI_ERR_CONFIG_FILE", "missing.ini", "no such file");
  const bad = write("bad.ini", "[uwsgi]\nmaster\n\nproceses = 4\n");
  throwsCode(() => parse(["--ini", bad]), "UWSGI_ERR_OPTION_UNKNOWN", "proceses", "bad.ini line 4", "did you mean processes?");
  const badValue = write("badvalue.ini", "[uwsgi]\n# comment\nprocesses = lots\n");
  throwsCode(() => parse([badValue]), "UWSGI_ERR_OPTION_VALUE", "processes", "badvalue.ini line 3");
  const bare = write("bare.ini", "[uwsgi]\nsocket\n");
  throwsCode(() => parse([bare]), "UWSGI_ERR_OPTION_VALUE", "socket", "a value is required", "bare.ini line 2");
  const json = write("bad.json", '{"uwsgi": {\n  "master": true,\n  "processes": [1, {"x": 2}]\n}}');
  throwsCode(() => parse([json]), "UWSGI_ERR_CONFIG_FILE", "bad.json", "line 3");
  const yaml = write("bad.yaml", "uwsgi:\n  master: true\n  processes: [1\n");
  throwsCode(() => parse([yaml]), "UWSGI_ERR_CONFIG_FILE", "bad.yaml", "line");
  const includer = write("includer.ini", "[uwsgi]\nmaster\nini = %dnot-there.ini\n");
  throwsCode(() => parse([includer]), "UWSGI_ERR_CONFIG_FILE", "not-there.ini", "no such file", "included from", "includer.ini line 3");
  const nosection = write("nosection.ini", "[other]\nmaster\n");
  throwsCode(() => parse([nosection]), "UWSGI_ERR_CONFIG_FILE", "nosection.ini", "[uwsgi] not found");
});

test("argv: unknown config-file keys are placeholders when used as %(name), errors otherwise", () => {
  const ok = write("ph.ini", "[uwsgi]\nbase = /srv/app\nchdir = %(base)/current\nsocket = %(base)/%(sockname)\nsockname = app.sock\n");
  const r = parse([ok]);
  assert.equal(r.options.get("chdir"), "/srv/app/current");
  assert.equal(r.options.get("socket"), "/srv/app/app.sock", "a forward reference resolves to the later definition");
  assert.deepEqual([...r.placeholders], [["base", "/srv/app"], ["sockname", "app.sock"]]);
  assert.ok(!r.options.has("base"));
});

test("argv: %(name) uses the nearest earlier definition (so a value can extend the previous one), options included", () => {
  const ini = write("near.ini", "[uwsgi]\npath = /a\npath = %(path):/b\nenv = PATH=%(path)\nprocesses = 4\nthreads = %(processes)\nlisten = %(workers)\n");
  const r = parse([ini]);
  assert.deepEqual(r.options.all("env"), ["PATH=/a:/b"]);
  assert.equal(r.options.get("threads"), "4");
  assert.equal(r.options.get("listen"), "4", "aliases resolve to the option");
  const loop = write("phloop.ini", "[uwsgi]\na = %(b)\nb = %(a)\nchdir = %(a)\n");
  throwsCode(() => parse([loop]), "UWSGI_ERR_OPTION_VALUE", "placeholder loop");
});

test("argv: --set defines options or placeholders; --set-placeholder only placeholders; argv values expand too", () => {
  const r = parse(["--set", "processes=3", "-S", "project=shop", "--chdir", "/srv/%(project)", "--set-ph", "x=1"]);
  assert.deepEqual(r.options.entries.map((e) => [e.name, e.value]), [["processes", "3"], ["chdir", "/srv/shop"]]);
  assert.deepEqual([...r.placeholders], [["project", "shop"], ["x", "1"]]);
  throwsCode(() => parse(["--set-placeholder", "processes=2"]), "UWSGI_ERR_OPTION_VALUE", "processes is an option");
  const inc = write("viaset.ini", "[uwsgi]\nthreads = 2\n");
  assert.equal(parse(["--set", `ini=${inc}`]).options.get("threads"), "2");
});

test("argv: placeholder math works as uWSGI's left-to-right pipeline", () => {
  const ini = write("math.ini", "[uwsgi]\nfoo = 17\nbar = 30\nprocesses = %(foo + bar + 3)\nthreads = %(foo + bar + 3 * 2)\nlisten = %(foo ++)\nlocks = %(foo bar ++)\nrpc-max = %(bar / 0)\n");
  const o = parse([ini]).options;
  assert.equal(o.get("processes"), "50");
  assert.equal(o.get("threads"), "100");
  assert.equal(o.get("listen"), "18");
  assert.equal(o.get("locks"), "1731");
  assert.equal(o.get("rpc-max"), "0");
});

test("argv: $(ENV) expands from the given environment, with :- and - fallbacks; unset ones stay and warn", () => {
  const ini = write("env.ini", "[uwsgi]\nchdir = $(APP_HOME)/x\nlogto = $(NOPE)\npidfile = $(NOPE:-/run/a.pid)\nsocket = $(EMPTY:-fallback)\nhttp = $(EMPTY-kept)\n");
  const r = parse([ini, "--env", "X=$(APP_HOME)"], { APP_HOME: "/home/app", EMPTY: "" });
  assert.equal(r.options.get("chdir"), "/home/app/x");
  assert.equal(r.options.get("logto"), "$(NOPE)");
  assert.equal(r.options.get("pidfile"), "/run/a.pid");
  assert.equal(r.options.get("socket"), "fallback");
  assert.equal(r.options.get("http"), "");
  assert.deepEqual(r.options.all("env"), ["X=/home/app"]);
  assert.ok(r.warnings.some((w) => w.includes("NOPE") && w.includes("env.ini line 3")));
});

test("argv: @(file) reads a file's content without its final newline", () => {
  write("hostname.txt", "node-7\n");
  const r = parse(["--set", "name=@(hostname.txt)", "--logto", "/var/log/%(name).log"]);
  assert.equal(r.options.get("logto"), "/var/log/node-7.log");
  throwsCode(() => parse(["--logto", "@(nope.txt)"]), "UWSGI_ERR_CONFIG_FILE", "nope.txt");
});

test("argv: undefined %(name) stays as written with a warning", () => {
  const r = parse(["--logto", "/tmp/%(nothing).log"]);
  assert.equal(r.options.get("logto"), "/tmp/%(nothing).log");
  assert.ok(r.warnings.some((w) => w.includes("%(nothing)")));
});

test("argv: magic variables describe the file they appear in, even when included", () => {
  const sub = path.join(dir, "magic");
  fs.mkdirSync(sub, { recursive: true });
  const inner = path.join(sub, "inner.ini");
  fs.writeFileSync(inner, "[uwsgi]\nenv = INNER=%d|%n|%e|%c|%s|%x|%D|%N\n");
  const outer = write("outer-magic.ini", `[uwsgi]\nenv = OUTER=%d|%p|%n|%%|%h\nini = ${inner}\n`);
  const r = parse([outer]);
  const realDir = fs.realpathSync(dir);
  assert.deepEqual(r.options.all("env"), [
    `OUTER=${realDir}/|${realDir}/outer-magic.ini|outer-magic|%|testhost`,
    `INNER=${realDir}/magic/|inner|ini|magic|inner.ini||${realDir}/|outer-magic`,
  ]);
  assert.equal(r.magicTable.n, "inner");
});

test("argv: declare-option defines a custom option expanding to others with $1..$N", () => {
  const r = parse(["--declare-option", "app=processes=$1;chdir=/srv/$2;master=1", "--app", "4 shop"]);
  assert.deepEqual(r.options.entries.map((e) => [e.name, e.value]), [["processes", "4"], ["chdir", "/srv/shop"], ["master", "1"]]);
  const noArgs = parse(["--declare-option", "fast=processes=8;lazy-apps=1", "--fast"]);
  assert.equal(noArgs.options.get("processes"), "8");
  const ini = write("custom.ini", "[uwsgi]\ndeclare-option = sock=socket=/tmp/$1.sock\nsock = a\nsock = b\n");
  assert.deepEqual(parse([ini]).options.all("socket"), ["/tmp/a.sock", "/tmp/b.sock"]);
  throwsCode(() => parse(["--declare-option", "master=processes=1"]), "UWSGI_ERR_OPTION_VALUE", "master is already an option");
});

test("argv: optionSetToArgv round-trips through raw mode without re-expanding values", () => {
  const ini = write("round.ini", "[uwsgi]\nmaster\nprocesses = 4\nlogto = /tmp/100%%(x)\nenv = A=$$(B)\nmule\nmule = m.js\nchmod-socket = 660\n");
  const first = parse([ini]);
  const argv = optionSetToArgv(first.options);
  const second = parseArgv(argv, { raw: true, cwd: "/", env: {} });
  assert.deepEqual(second.options.entries.map((e) => [e.name, e.value]), first.options.entries.map((e) => [e.name, e.value]));
  assert.equal(second.options.get("logto"), "/tmp/100%(x)");
});

test("argv: optionSetToArgv carries placeholders too, for uwsgi.opt in child processes", () => {
  const first = parse(["--set", "project=shop", "--set", "tpl=%%(raw)", "--chdir", "/srv/%(project)"]);
  const second = parseArgv(optionSetToArgv(first.options, first.placeholders), { raw: true, env: {} });
  assert.deepEqual([...second.placeholders], [...first.placeholders]);
  assert.equal(second.options.get("chdir"), "/srv/shop");
});

test("argv: every entry records where it came from", () => {
  const ini = write("origin.ini", "[uwsgi]\n\nprocesses = 2\n");
  const r = parse(["--master", ini]);
  assert.equal(r.options.entries[0]!.origin, "command line argument 1 (--master)");
  assert.equal(r.options.entries[1]!.origin, `${fs.realpathSync(ini)} line 3`);
});
