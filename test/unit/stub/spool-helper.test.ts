/**
 * spool(fn) in the stub: the typed enqueue function writes a uWSGI spool file carrying the
 * function's name and its JSON arguments; the spooler pass calls fn with them.
 */
import assert from "node:assert/strict";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, beforeEach, test } from "node:test";
import { spool, uwsgi } from "../../../src/index.js";
import { advance, configure, reset, runSpooler } from "../../../src/testing.js";
import { isUwsgiError } from "../../../src/errors.js";

const T0 = Date.UTC(2024, 0, 15, 12, 0, 0);
let dir: string;
beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), "uwsgi-node-spool-helper-"));
  configure(["--spooler", dir], { startMs: T0 });
});
afterEach(() => {
  reset();
  rmSync(dir, { recursive: true, force: true });
});

const calls: unknown[][] = [];
const sendMail = spool(function sendMail(to: string, tries: number, meta: { tags: string[] }) {
  calls.push([to, tries, meta]);
});

test("the enqueue function writes a task the spooler runs with the same arguments, once", async () => {
  calls.length = 0;
  spool(function sendMail(to: string, tries: number, meta: { tags: string[] }) {
    calls.push([to, tries, meta]);
  }, { name: "sendMail2" });
  const path = sendMail("a@example.com", 3, { tags: ["x", "é"] });
  assert.equal(typeof path, "string");
  const task = uwsgi.spooler_get_task(path)!;
  assert.equal(task.ud_spool_func?.toString(), "sendMail");
  assert.deepEqual(JSON.parse(task.body!.toString()), ["a@example.com", 3, { tags: ["x", "é"] }]);
  const outcomes = await runSpooler();
  assert.deepEqual(outcomes.map((o) => o.status), ["done"]);
  assert.deepEqual(calls, [["a@example.com", 3, { tags: ["x", "é"] }]]);
  assert.deepEqual(await runSpooler(), []);
});

test("withOptions: at delays the task; a function that throws is retried", async () => {
  calls.length = 0;
  let fail = true;
  const flaky = spool(async function flaky(n: number) {
    if (fail) throw new Error("not yet");
    calls.push([n]);
  });
  flaky.withOptions({ at: new Date(T0 + 60_000) })(7);
  assert.deepEqual(await runSpooler(), [], "not before at");
  await advance(60_000);
  const [first] = await runSpooler();
  assert.equal(first?.status, "failed");
  fail = false;
  await advance(30_000);
  const [second] = await runSpooler();
  assert.equal(second?.status, "done");
  assert.deepEqual(calls, [[7]]);
});

test("tasks without ud_spool_func still reach a callable set before; names must be unique", async () => {
  const seen: string[] = [];
  uwsgi.spooler = (t) => {
    seen.push(String(t.plain));
    return uwsgi.SPOOL_OK;
  };
  spool(function other() {});
  uwsgi.send_to_spooler({ plain: "yes" });
  sendMail("b@example.com", 1, { tags: [] });
  await runSpooler();
  assert.deepEqual(seen, ["yes"]);
  assert.throws(() => spool(() => undefined), (e: unknown) => isUwsgiError(e, "UWSGI_ERR_INVALID_ARGUMENT"));
  assert.throws(() => spool(function other() {}), (e: unknown) => isUwsgiError(e, "UWSGI_ERR_INVALID_ARGUMENT"));
});
