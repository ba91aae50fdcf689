/**
 * Differential: signal registration in a real uWSGI 2.0.21 vs our stub. Registrations at import
 * time run in uWSGI's master (before the fork); ours run as the stub's master role.
 */
import assert from "node:assert/strict";
import { after, before, test } from "node:test";
import { configure } from "../../src/testing.js";
import { both, sideBySide } from "./compare.js";
import { type Op, assertSame, fn, isRaised, runOurs, table } from "./scenario-ops.js";
import { UwsgiInstance } from "./uwsgi-instance.js";

const OPTIONS: string[] = [];

/** Run at import in uWSGI's master, and as the master in our stub. */
const IMPORT_OPS: Op[] = [
  ["register_signal", 20, "workers", fn("on_signal")],
  ["register_signal", 20, "workers", fn("on_signal")],
  ["register_signal", 21, "", fn("on_signal")],
  ["signal_registered", 20],
  ["signal_registered", 22],
];

let instance: UwsgiInstance;
let oursAtImport: unknown[] = [];

before(async () => {
  instance = await UwsgiInstance.start({ options: OPTIONS, importOps: IMPORT_OPS });
  configure(OPTIONS);
  oursAtImport = await runOurs(IMPORT_OPS, "master");
});

after(async () => {
  await instance?.stop();
});

test("signals: the master registers once; re-registering a number there fails", async () => {
  const theirs = await instance.importResults();
  assertSame(IMPORT_OPS, theirs, oursAtImport);
  assert.deepEqual(theirs[0], null);
  assert.ok(isRaised(theirs[1]) && theirs[1].message === "unable to register signal", table(IMPORT_OPS, theirs, oursAtImport));
});

test("signals: the worker sees the master's registrations", async () => {
  const { theirs } = await both(instance, [
    ["signal_registered", 20],
    ["signal_registered", 21],
    ["signal_registered", 22],
  ]);
  assert.deepEqual(theirs, [true, true, null]);
});

test("signals: register_signal then signal_registered in a worker; re-registering there overwrites", async () => {
  const { theirs } = await both(instance, [
    ["signal_registered", 30],
    ["register_signal", 30, "workers", fn("on_signal")],
    ["signal_registered", 30],
    ["register_signal", 30, "worker", fn("on_signal")],
    ["register_signal", 20, "worker", fn("on_signal")],
    ["signal_registered", 31],
    ["register_signal", 0, "workers", fn("on_signal")],
    ["register_signal", 255, "workers", fn("on_signal")],
    ["signal_registered", 0],
    ["signal_registered", 255],
  ]);
  assert.deepEqual(theirs.slice(0, 4), [null, null, true, null]);
});

test("signals: the documented targets register", async () => {
  await both(instance, [
    ["register_signal", 40, "worker", fn("on_signal")],
    ["register_signal", 41, "workers", fn("on_signal")],
    ["register_signal", 42, "worker1", fn("on_signal")],
    ["register_signal", 43, "active-workers", fn("on_signal")],
    ["register_signal", 44, "", fn("on_signal")],
    ["register_signal", 45, "spooler", fn("on_signal")],
    ["register_signal", 46, "mules", fn("on_signal")],
    ["register_signal", 47, "mule", fn("on_signal")],
    ["register_signal", 48, "mule1", fn("on_signal")],
  ]);
});

test("signals: a 63-byte target registers, a 64-byte one raises", async () => {
  const { theirs } = await both(instance, [
    ["register_signal", 51, `farm_${"f".repeat(58)}`, fn("on_signal")],
    ["signal_registered", 51],
    ["register_signal", 50, `farm_${"f".repeat(59)}`, fn("on_signal")],
    ["signal_registered", 50],
  ]);
  assert.deepEqual(theirs.slice(0, 2), [null, true]);
  assert.ok(isRaised(theirs[2]));
});

// ---------------------------------------------------------------- deliberate differences -----

test("signals: numbers outside 0..255 are refused (uWSGI takes them modulo 256)", async () => {
  const ops: Op[] = [
    ["register_signal", 256 + 80, "workers", fn("on_signal")],
    ["signal_registered", 80],
    ["register_signal", -2, "workers", fn("on_signal")],
    ["signal_registered", 254],
  ];
  const { theirs, ours } = await sideBySide(instance, ops);
  const why = table(ops, theirs, ours);
  assert.deepEqual(theirs, [null, true, null, true], why);
  assert.ok(isRaised(ours[0]) && isRaised(ours[2]), why);
  assert.deepEqual([ours[1], ours[3]], [false, false], why);
});

test("signals: an unknown target is refused at registration (uWSGI accepts it)", async () => {
  const ops: Op[] = [
    ["register_signal", 70, "nosuchtarget", fn("on_signal")],
    ["signal_registered", 70],
  ];
  const { theirs, ours } = await sideBySide(instance, ops);
  const why = table(ops, theirs, ours);
  assert.deepEqual(theirs, [null, true], why);
  assert.ok(isRaised(ours[0]), why);
  assert.equal(ours[1], false, why);
});
