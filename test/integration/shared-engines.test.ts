/**
 * Caches, metrics and locks over shared memory, used by several real processes at once:
 * exact totals, no torn values, recovery after a SIGKILL mid-operation or while holding a lock,
 * and a store= cache surviving a restart.
 */
import { test, after } from "node:test";
import assert from "node:assert/strict";
import { eventually } from "../support/eventually.js";
import { spawn, type ChildProcess } from "node:child_process";
import { createInterface } from "node:readline";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { OptionSet, type OptionEntry } from "../../src/config/option-set.js";
import { buildInstanceConfig } from "../../src/config/instance-config.js";
import { createSharedEngines, type SharedEngines } from "../../src/server/shared-memory/shared-engines.js";
import { systemClock } from "../../src/core/clock.js";

const fixture = join(import.meta.dirname, "..", "..", "..", "test", "fixtures", "shared", "engine-child.mjs");
const children = new Set<ChildProcess>();
const toUnlink: SharedEngines[] = [];
const tmp = mkdtempSync(join(tmpdir(), "uwsgi-node-shared-"));
let instanceSeq = 0;

after(() => {
  for (const c of children) if (c.exitCode === null) c.kill("SIGKILL");
  for (const e of toUnlink) e.unlink();
  rmSync(tmp, { recursive: true, force: true });
});

function instance(entries: Array<[string, string | true]>) {
  const id = `${process.pid}-t${++instanceSeq}`;
  const list: OptionEntry[] = entries.map(([name, value]) => ({ name, value }));
  const engines = createSharedEngines(buildInstanceConfig(new OptionSet(list)), id, systemClock, "create");
  toUnlink.push(engines);
  return { id, engines, json: JSON.stringify(list) };
}

function child(id: string, json: string, scenario: string, n = 0): { proc: ChildProcess; lines: AsyncIterator<string> } {
  const proc = spawn(process.execPath, [fixture, id, json, scenario, String(n)], { stdio: ["ignore", "pipe", "inherit"] });
  children.add(proc);
  proc.once("exit", () => children.delete(proc));
  return { proc, lines: createInterface({ input: proc.stdout! })[Symbol.asyncIterator]() };
}

async function nextMessage(lines: AsyncIterator<string>): Promise<Record<string, unknown>> {
  const { value, done } = await lines.next();
  assert.ok(!done, "child exited before reporting");
  return JSON.parse(value);
}

test("N processes x M mixed cache ops: exact counter total and no torn values", async () => {
  const { id, engines, json } = instance([["cache2", "name=default,items=64,blocksize=64"]]);
  const N = 4;
  const M = 3000;
  const runs = Array.from({ length: N }, () => child(id, json, "mixed", M));
  const reports = await Promise.all(runs.map((r) => nextMessage(r.lines)));
  for (const r of reports) {
    assert.equal(r.torn, 0);
    assert.equal(r.counted, M);
  }
  const cache = engines.caches.byName(null)!;
  assert.equal(cache.num(Buffer.from("counter")), BigInt(N * M));
  const keys = cache.keys().map((k) => k.toString());
  assert.ok(keys.includes("shared") && keys.includes("counter"));
  for (const k of keys) assert.ok(cache.exists(Buffer.from(k)), `listed key ${k} exists`);
});

test("a process SIGKILLed in the middle of cache operations leaves a consistent, working cache", async () => {
  const { id, engines, json } = instance([["cache2", "name=default,items=16,blocksize=32"]]);
  const busy = child(id, json, "inc-forever");
  await nextMessage(busy.lines);
  // killed while its loop of increments is well under way (likely inside one, with its locks held)
  const counter = engines.caches.byName(null)!;
  await eventually(() => counter.num(Buffer.from("busy")) > 1000n, 10000, "the child to be incrementing");
  busy.proc.kill("SIGKILL");
  await new Promise((r) => busy.proc.once("exit", r));
  const cache = engines.caches.byName(null)!;
  const before = cache.num(Buffer.from("busy"));
  assert.ok(before > 0n);
  for (let i = 0; i < 10; i++) assert.equal(cache.math("inc", Buffer.from("busy"), 1n, 0), true);
  assert.equal(cache.num(Buffer.from("busy")), before + 10n);
  assert.equal(cache.set(Buffer.from("after"), Buffer.from("ok"), 0), true);
  assert.deepEqual(cache.get(Buffer.from("after")), Buffer.from("ok"));
  assert.deepEqual(cache.keys().map(String).sort(), ["after", "busy"]);
});

test("a user lock whose owner was SIGKILLed is recovered by the next lock() within 100 ms", async () => {
  const { id, engines, json } = instance([["locks", "2"]]);
  const holder = child(id, json, "hold-lock");
  assert.deepEqual(await nextMessage(holder.lines), { locked: true });
  assert.equal(engines.lockMutexes[1]!.ownerPid(), holder.proc.pid);
  holder.proc.kill("SIGKILL");
  await new Promise((r) => holder.proc.once("exit", r));
  const started = process.hrtime.bigint();
  assert.equal(engines.lockMutexes[1]!.lock(), true, "lock() reports the recovery");
  const ms = Number(process.hrtime.bigint() - started) / 1e6;
  assert.ok(ms < 100, `recovered in ${ms} ms`);
  assert.equal(engines.lockMutexes[1]!.ownerPid(), process.pid);
  engines.lockMutexes[1]!.unlock();
});

test("a store= cache keeps its items across a restart of the instance", () => {
  const store = join(tmp, "c.store");
  const first = instance([["cache2", `name=persist,items=8,blocksize=32,store=${store}`]]);
  const c1 = first.engines.caches.byName("persist")!;
  assert.equal(c1.set(Buffer.from("k1"), Buffer.from("v1"), 0), true);
  assert.equal(c1.math("inc", Buffer.from("n"), 41n, 0), true);
  first.engines.sync(false);
  first.engines.unlink();
  const second = instance([["cache2", `name=persist,items=8,blocksize=32,store=${store}`]]);
  const c2 = second.engines.caches.byName("persist")!;
  assert.deepEqual(c2.get(Buffer.from("k1")), Buffer.from("v1"));
  assert.equal(c2.num(Buffer.from("n")), 41n);
  assert.equal(c2.set(Buffer.from("k1"), Buffer.from("other"), 0), false, "restored keys are found by the rebuilt hash table");
});

test("a store file of the wrong size is refused with an error naming it, unless store_delete", () => {
  const store = join(tmp, "wrong.store");
  instance([["cache2", `name=s,items=4,blocksize=16,store=${store}`]]);
  assert.throws(() => instance([["cache2", `name=s,items=8,blocksize=16,store=${store}`]]), /wrong\.store.*store_delete/s);
  const fresh = instance([["cache2", `name=s,items=8,blocksize=16,store=${store},store_delete=1`]]);
  assert.equal(fresh.engines.caches.byName("s")!.keys().length, 0);
});
