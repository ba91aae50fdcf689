/**
 * Differential: spool files cross over both ways between a real uWSGI 2.0.21 and our codec.
 * (a) files we write are run by uWSGI's spooler with the dict we meant; (b) files uWSGI's
 * `spool()` writes decode to the same dict with ours; `spooler_get_task`/`parsefile` agree.
 */
import assert from "node:assert/strict";
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { basename, join } from "node:path";
import { after, before, test } from "node:test";
import type { SpoolTask } from "../../src/api.js";
import { uwsgi } from "../../src/index.js";
import { encodeSpoolFile, decodeSpoolFile } from "../../src/protocol/spool-file.js";
import { writeSpoolFileSync } from "../../src/protocol/spool-file-io.js";
import { advance, configure, runSpooler } from "../../src/testing.js";
import { UwsgiInstance } from "./uwsgi-instance.js";

let instance: UwsgiInstance;
let ourDir = "";

before(async () => {
  instance = await UwsgiInstance.start({ options: [], spooler: true });
  ourDir = mkdtempSync(join(tmpdir(), "uwsgi-node-differential-ours-"));
});

after(async () => {
  await instance?.stop();
  if (ourDir) rmSync(ourDir, { recursive: true, force: true });
});

const BIN = Buffer.from([0, 1, 0x7f, 0x80, 0xfe, 0xff]);

/** Python bytes for a snippet: b'\x00\x01...'. */
function pyBytes(buf: Buffer): string {
  return `b'${[...buf].map((x) => `\\x${x.toString(16).padStart(2, "0")}`).join("")}'`;
}

/** Our stub (spooling into `dir`): spools `message`, runs it, returns the dict our callable got and the file's base name. */
async function ourTask(message: Record<string, string | number | Buffer>, dir = ourDir): Promise<{ task: SpoolTask; name: string }> {
  configure(["--spooler", dir]);
  const seen: SpoolTask[] = [];
  uwsgi.spooler = (t) => {
    seen.push(t);
    return uwsgi.SPOOL_OK;
  };
  const path = uwsgi.send_to_spooler(message).toString();
  const outcomes = await runSpooler();
  assert.deepEqual(outcomes.map((o) => o.status), ["done"]);
  assert.equal(seen.length, 1);
  return { task: seen[0]!, name: basename(path) };
}

test("spool (a): a file our codec writes runs in uWSGI's spooler with the same dict", async () => {
  const vars: Array<[string, string | Buffer]> = [["a", "1"], ["bin", BIN], ["utf8", "é ✓"]];
  const body = Buffer.concat([BIN, Buffer.from("body bytes")]);
  const path = writeSpoolFileSync(instance.spoolDir, vars, body);
  const theirs = await instance.spooledTask(basename(path));
  assert.deepEqual(theirs, {
    a: Buffer.from("1"),
    bin: BIN,
    utf8: Buffer.from("é ✓"),
    spooler_task_name: Buffer.from(basename(path)),
    body,
  });
});

test("spool (a): our stub's send_to_spooler into uWSGI's directory: uWSGI's task dict = the one our spooler gives", async () => {
  const message = { a: "1", n: 5, bin: BIN, body: Buffer.from("xyz") };
  configure(["--spooler", instance.spoolDir]);
  const path = uwsgi.send_to_spooler(message).toString();
  const theirs = (await instance.spooledTask(basename(path))) as SpoolTask;
  const { task: ours, name } = await ourTask(message);
  assert.deepEqual(theirs.spooler_task_name, Buffer.from(basename(path)));
  assert.deepEqual(ours.spooler_task_name, Buffer.from(name));
  assert.deepEqual({ ...theirs, spooler_task_name: null }, { ...ours, spooler_task_name: null });
});

test("spool (a): an empty body and a task without body: uWSGI's task dict = ours", async () => {
  const messages: Array<Record<string, string | Buffer>> = [{ a: "no body" }, { a: "empty body", body: Buffer.alloc(0) }];
  for (const message of messages) {
    configure(["--spooler", instance.spoolDir]);
    const path = uwsgi.send_to_spooler(message).toString();
    const theirs = (await instance.spooledTask(basename(path))) as SpoolTask;
    const { task: ours } = await ourTask(message);
    assert.deepEqual({ ...theirs, spooler_task_name: null }, { ...ours, spooler_task_name: null }, JSON.stringify(message));
  }
});

test("spool (b): a file uWSGI's spool() writes decodes to the same dict with our codec; bytes are identical", async () => {
  const theirs = (await instance.code(`
path = uwsgi.spool({b'a': b'1', b'bin': ${pyBytes(BIN)}, b'spooler': args['dir'].encode(), b'body': b'xyz' + ${pyBytes(BIN)}})
with open(path, 'rb') as f:
    data = f.read()
result = [path, data, uwsgi.spooler_get_task(path.decode()), uwsgi.parsefile(path.decode())]
`, { dir: instance.externalDir })) as [Buffer, Buffer, SpoolTask, Record<string, Buffer>];
  const [pathBytes, data, theirTask, theirParsed] = theirs;
  const path = pathBytes.toString();
  assert.equal(path.startsWith(`${instance.externalDir}/uwsgi_spoolfile_on_`), true, path);
  assert.deepEqual(readFileSync(path), data);

  const { vars, body } = decodeSpoolFile(data);
  assert.deepEqual(vars.map(([k, v]) => [k.toString(), v]), [["a", Buffer.from("1")], ["bin", BIN], ["spooler", Buffer.from(instance.externalDir)]]);
  assert.deepEqual(body, Buffer.concat([Buffer.from("xyz"), BIN]));
  assert.deepEqual(encodeSpoolFile(vars, body), data, "our encoder writes the same bytes");

  configure(["--spooler", ourDir]);
  assert.deepEqual(uwsgi.spooler_get_task(path), theirTask);
  assert.deepEqual(uwsgi.parsefile(path), theirParsed);
});

test("spool (b): uWSGI's spool() with an empty body: our spooler_get_task agrees", async () => {
  const [pathBytes, theirTask] = (await instance.code(`
path = uwsgi.spool({b'a': b'1', b'spooler': args['dir'].encode(), b'body': b''})
result = [path, uwsgi.spooler_get_task(path.decode())]
`, { dir: instance.externalDir })) as [Buffer, SpoolTask];
  configure(["--spooler", ourDir]);
  assert.deepEqual(uwsgi.spooler_get_task(pathBytes.toString()), theirTask);
});

/** Files that are not all well-formed tasks, written by us, read by both sides. */
const ODD_FILES: Array<[string, Buffer]> = [
  ["ours", encodeSpoolFile([["k", "v"], ["bin", BIN]], Buffer.from("the body"))],
  ["modifier1-0", Buffer.concat([Buffer.from([0]), encodeSpoolFile([["k", "v"]]).subarray(1)])],
  ["no-dict", Buffer.from([17, 0, 0, 0])],
  ["duplicate-keys", encodeSpoolFile([["k", "1"], ["k", "2"]])],
  ["truncated-dict", encodeSpoolFile([["k", "value"]]).subarray(0, 9)],
  ["short-header", Buffer.from([17, 5])],
  ["empty", Buffer.alloc(0)],
];

for (const [label, content] of ODD_FILES) {
  test(`spool (c): spooler_get_task and parsefile agree on a ${label} file`, async () => {
    const path = join(instance.externalDir, `uwsgi_spoolfile_on_differential_${label}`);
    writeFileSync(path, content, { mode: 0o600 });
    const theirs = await instance.code("result = [uwsgi.spooler_get_task(args['path']), uwsgi.parsefile(args['path'])]", { path });
    configure(["--spooler", ourDir]);
    const ours = [uwsgi.spooler_get_task(path), uwsgi.parsefile(path)];
    assert.deepEqual(ours, theirs, `uWSGI: ${JSON.stringify(theirs)}\nours: ${JSON.stringify(ours)}`);
  });
}

test("spool: a file whose header is not modifier1 17 or 0 is malformed (uWSGI ignores the spool header's modifier1)", async () => {
  const content = Buffer.concat([Buffer.from([5]), encodeSpoolFile([["k", "v"]], Buffer.from("B")).subarray(1)]);
  const external = join(instance.externalDir, "uwsgi_spoolfile_on_differential_modifier1-5");
  writeFileSync(external, content, { mode: 0o600 });
  const [theirTask, theirParsed] = (await instance.code("result = [uwsgi.spooler_get_task(args['path']), uwsgi.parsefile(args['path'])]", { path: external })) as [SpoolTask, unknown];
  // uWSGI: spooler_get_task (and its spooler) take the file as a task; only parsefile checks the header.
  assert.deepEqual(theirTask, { k: Buffer.from("v"), spooler_task_name: Buffer.from(external), body: Buffer.from("B") });
  assert.equal(theirParsed, null);
  const spooled = join(instance.spoolDir, "uwsgi_spoolfile_on_differential_modifier1-5");
  writeFileSync(spooled, content, { mode: 0o600 });
  assert.deepEqual(await instance.spooledTask(basename(spooled)), { k: Buffer.from("v"), spooler_task_name: Buffer.from(basename(spooled)), body: Buffer.from("B") });

  configure(["--spooler", ourDir]);
  assert.equal(uwsgi.spooler_get_task(external), null);
  assert.equal(uwsgi.parsefile(external), null);
  const ours = join(ourDir, "uwsgi_spoolfile_on_differential_modifier1-5");
  writeFileSync(ours, content, { mode: 0o600 });
  uwsgi.spooler = () => uwsgi.SPOOL_OK;
  // The file's time is the wall clock at writing, a little after configure() started the stub's
  // manual clock: move the clock past it so the task is due.
  await advance(1_000);
  assert.deepEqual((await runSpooler()).map((o) => o.status), ["malformed"]);
});
