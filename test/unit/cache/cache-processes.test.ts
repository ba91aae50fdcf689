// Several processes on one cache in real shared memory with process-shared robust mutexes
// (the native addon), including processes SIGKILLed in the middle of cache operations.
import { after, test } from "node:test";
import assert from "node:assert/strict";
import { spawn, type ChildProcess } from "node:child_process";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { systemClock } from "../../../src/core/clock.js";
import { CacheEngine } from "../../../src/engines/cache/cache-engine.js";
import { SHARD_LINE, SHARD_LINE_BYTES, cacheLayout, cacheRegionSizes } from "../../../src/engines/cache/cache-layout.js";
import { parseCache2Option } from "../../../src/engines/cache/cache-options.js";
import { MutexArea } from "../../../src/native/mutex-area.js";
import { SharedRegion, regionName } from "../../../src/native/shared-region.js";
import { B } from "./make-cache.js";
import { eventually } from "../../support/eventually.js";

const CHILD = join(dirname(fileURLToPath(import.meta.url)), "..", "..", "..", "..", "test", "fixtures", "cache", "cache-child.mjs");
const SPEC = "name=mp,items=40,blocksize=48,keysize=16,hashsize=16";
const opts = parseCache2Option(SPEC);
const sizes = cacheRegionSizes(opts);
const instance = `${process.pid}-cacheproc`;
const names = { meta: regionName(instance, "meta"), data: regionName(instance, "data"), locks: regionName(instance, "locks") };
const meta = SharedRegion.create(names.meta, sizes.metaBytes, { replace: true });
const data = SharedRegion.create(names.data, sizes.dataBytes, { replace: true });
const lockRegion = SharedRegion.create(names.locks, MutexArea.bytesFor(sizes.shardCount + 1), { replace: true });
const area = MutexArea.init(lockRegion.buffer, 0, sizes.shardCount + 1, "cache ");
const cache = new CacheEngine(
  opts,
  { meta: meta.buffer, data: data.buffer },
  { shards: Array.from({ length: sizes.shardCount }, (_, i) => area.get(i)), global: area.get(sizes.shardCount) },
  systemClock,
  "init",
);
const logs: string[] = [];
cache.onLog = (line) => logs.push(line);

const children = new Set<ChildProcess>();
after(async () => {
  for (const child of children) child.kill("SIGKILL");
  await Promise.all([...children].map((c) => new Promise((resolve) => (c.exitCode !== null || c.signalCode !== null ? resolve(null) : c.once("exit", resolve)))));
  for (const r of [meta, data, lockRegion]) r.unlink();
});

interface Child {
  child: ChildProcess;
  lines: string[];
  waitFor(re: RegExp): Promise<string>;
  exited: Promise<unknown>;
}

function start(scenario: string, n = 0): Child {
  const child = spawn(process.execPath, [CHILD, SPEC, names.meta, names.data, names.locks, scenario, String(n)], { stdio: ["ignore", "pipe", "pipe"] });
  children.add(child);
  const lines: string[] = [];
  let stderr = "";
  let pending = "";
  const wakers: Array<() => void> = [];
  child.stdout!.setEncoding("utf8").on("data", (chunk: string) => {
    const parts = (pending + chunk).split("\n");
    pending = parts.pop()!;
    lines.push(...parts);
    wakers.splice(0).forEach((w) => w());
  });
  child.stderr!.setEncoding("utf8").on("data", (chunk: string) => (stderr += chunk));
  const exited = new Promise((resolve) =>
    child.once("exit", (code, signal) => {
      children.delete(child);
      wakers.splice(0).forEach((w) => w());
      resolve(code ?? signal);
    }),
  );
  const waitFor = (re: RegExp): Promise<string> =>
    new Promise((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`${scenario}: no line ${re} in 20 s; stderr: ${stderr}`)), 20_000);
      const check = (): void => {
        const line = lines.find((l) => re.test(l));
        if (line !== undefined) {
          clearTimeout(timer);
          resolve(line);
        } else if (child.exitCode !== null || child.signalCode !== null) {
          clearTimeout(timer);
          reject(new Error(`${scenario} exited before printing ${re}; stderr: ${stderr}`));
        } else wakers.push(check);
      };
      check();
    });
  return { child, lines, waitFor, exited };
}

/** Every stored value is `<key>#<version>#` repeated (or an 8-byte counter); counts agree; free slots are usable. */
function assertConsistent(): void {
  const keys = cache.keys().map(String);
  assert.equal(new Set(keys).size, keys.length, "no duplicate keys");
  assert.equal(cache.stats().items, keys.length);
  for (const key of keys) {
    const value = cache.get(B(key));
    assert.ok(value, `${key} is readable`);
    if (key === "counter" || key === "flip") {
      assert.equal(value.length, 8);
      continue;
    }
    // `<key>#<version>#` repeated and cut to the value's length; a value shorter than one unit
    // is a prefix of it.
    const text = value.toString();
    if (key === "flip-v") {
      assert.ok(text === "a".repeat(40) || text === "b".repeat(64), `flip-v is not torn: ${text}`);
      continue;
    }
    assert.ok(text.startsWith(`${key}#`.slice(0, text.length)), `${key} holds its own pattern: ${text}`);
    const unit = /^[^#]+#\d+#/.exec(text)?.[0];
    if (unit) assert.equal(text, unit.repeat(Math.ceil(text.length / unit.length)).slice(0, text.length), `${key} is not torn: ${text}`);
  }
  const room = opts.items - 1 - keys.length;
  for (let i = 0; i < room; i++) assert.equal(cache.set(B(`fill${i}`), B("f")), true);
  assert.equal(cache.set(B("one-more"), B("f")), false);
  for (let i = 0; i < room; i++) assert.equal(cache.del(B(`fill${i}`)), true);
}

test("processes sharing a cache never lose an increment", async () => {
  cache.clear();
  const workers = [start("count", 1500), start("count", 1500), start("count", 1500)];
  for (const w of workers) assert.deepEqual(JSON.parse(await w.waitFor(/^\{/)), { failed: 0 });
  await Promise.all(workers.map((w) => w.exited));
  assert.equal(cache.num(B("counter")), 4500n);
  assertConsistent();
});

test("a process killed while holding a shard mutex mid-write: the next locker repairs the cache", async () => {
  cache.clear();
  for (let i = 0; i < 10; i++) cache.set(B(`k${i}`), Buffer.from(`k${i}#0#`));
  cache.set(B("victim"), Buffer.from("victim#1#"));
  const holder = start("die-holding");
  await holder.waitFor(/^holding$/);
  holder.child.kill("SIGKILL");
  await holder.exited;
  logs.length = 0;
  assert.equal(cache.get(B("victim")), null, "the half-written item was dropped");
  assert.match(logs.join("\n"), /rebuilt after a process died holding its lock: 10 items kept, 1 dropped/);
  for (let i = 0; i < 10; i++) assert.deepEqual(cache.get(B(`k${i}`)), Buffer.from(`k${i}#0#`));
  assertConsistent();
});

test("processes SIGKILLed at random points of a busy loop leave a consistent cache", async (t) => {
  cache.clear();
  logs.length = 0;
  for (let round = 0; round < 6; round++) {
    const a = start("churn");
    const b = start("churn");
    await Promise.all([a.waitFor(/^ready$/), b.waitFor(/^ready$/)]);
    // Kill points chosen by the work done, not by time: under load a timer could fire before
    // the children wrote anything. b must also get on after a's death (repairing a's lock if a
    // died holding one).
    await afterWrites(20 + round * 150);
    a.child.kill("SIGKILL");
    await a.exited;
    await afterWrites(10 + round * 7);
    b.child.kill("SIGKILL");
    await Promise.all([a.exited, b.exited]);
    assertConsistent();
  }
  // How many kills landed inside a cache operation varies from run to run; report it.
  t.diagnostic(`repairs after kills: ${logs.filter((l) => l.includes("rebuilt")).length} of 6 rounds`);
});

test("a counter whose incrementing process died half-way through writing it keeps its old value", async () => {
  cache.clear();
  for (let i = 0; i < 5; i++) cache.set(B(`k${i}`), Buffer.from(`k${i}#0#`));
  assert.equal(cache.math("inc", B("flip"), 7n), true);
  const holder = start("die-mid-counter");
  await holder.waitFor(/^holding$/);
  holder.child.kill("SIGKILL");
  await holder.exited;
  logs.length = 0;
  assert.equal(cache.num(B("flip")), 7n, "the old value was put back");
  assert.match(logs.join("\n"), /rebuilt after a process died holding its lock: 6 items kept, 0 dropped/);
  assert.equal(cache.math("inc", B("flip"), 1n), true);
  assert.equal(cache.num(B("flip")), 8n);
  assertConsistent();
});

test("a counter survives SIGKILLs of a process changing both of its halves, never torn", async (t) => {
  cache.clear();
  logs.length = 0;
  const base = 5n;
  assert.equal(cache.math("inc", B("flip"), base), true);
  for (let round = 0; round < 8; round++) {
    const child = start("flip-counter");
    await child.waitFor(/^ready$/);
    await afterWrites(10 + round * 97);
    child.child.kill("SIGKILL");
    await child.exited;
    const v = cache.num(B("flip"));
    assert.ok(v === base || v === base + 0x100000001n, `round ${round}: ${v} is the value before or after one operation`);
    assert.ok(cache.keys().map(String).includes("flip"), "the counter was kept");
    if (v !== base) assert.equal(cache.math("dec", B("flip"), 0x100000001n), true);
  }
  t.diagnostic(`repairs after kills: ${logs.filter((l) => l.includes("rebuilt")).length} of 8 rounds`);
  assertConsistent();
});

/** Resolves once the cache's shards have taken `n` more writes (their sequence numbers move by 2 each). */
async function afterWrites(n: number): Promise<void> {
  const total = () => shardSeqs().reduce((sum, q) => sum + q, 0);
  const from = total();
  await eventually(() => (total() - from) / 2 >= n, 20_000, `${n} more cache writes`, 1);
}

/** Sequence numbers of every shard, straight from the meta region. */
function shardSeqs(): number[] {
  const layout = cacheLayout(opts);
  const u = new Uint32Array(meta.buffer);
  return Array.from({ length: layout.shardCount }, (_, s) => u[(layout.shardLinesOffset + s * SHARD_LINE_BYTES) / 4 + SHARD_LINE.seq]!);
}

test("lock-free reads racing a writer in another process retry and never return a torn value", async () => {
  cache.clear();
  assert.equal(cache.update(B("flip-v"), Buffer.alloc(40, "a")), true);
  assert.equal(cache.math("inc", B("flip"), 3n), true);
  const before = { ...cache.optimisticReads };
  const writer = start("flip-both");
  await writer.waitFor(/^ready$/);
  let reads = 0;
  const until = Date.now() + 10_000;
  // Read until the writer has been caught at work a few times (or 10 s: then the assertion below says so).
  while (cache.optimisticReads.retries - before.retries < 20 && Date.now() < until) {
    for (let i = 0; i < 500; i++, reads++) {
      const v = cache.get(B("flip-v"));
      assert.ok(v, "flip-v is always there");
      const text = v.toString();
      assert.ok(text === "a".repeat(40) || text === "b".repeat(64), `not torn: ${text}`);
      const n = cache.num(B("flip"));
      assert.ok(n === 3n || n === 3n + 0x100000001n, `counter not torn: ${n}`);
      assert.equal(cache.exists(B("flip-v")), true);
    }
  }
  writer.child.kill("SIGKILL");
  await writer.exited;
  assert.ok(cache.optimisticReads.retries - before.retries >= 20, `reads retried while the writer was at work (${reads} reads)`);
  assertConsistent();
});

test("a writer that died holding a shard mutex leaves an odd sequence number: readers take the mutex, which repairs", async () => {
  cache.clear();
  for (let i = 0; i < 10; i++) cache.set(B(`k${i}`), Buffer.from(`k${i}#0#`));
  cache.set(B("victim"), Buffer.from("victim#1#"));
  assert.ok(shardSeqs().every((q) => q % 2 === 0), "no writer at work");
  const holder = start("die-holding");
  await holder.waitFor(/^holding$/);
  holder.child.kill("SIGKILL");
  await holder.exited;
  assert.equal(shardSeqs().filter((q) => q % 2 === 1).length, 1, "the dead writer's shard is left odd");
  const before = { ...cache.optimisticReads };
  logs.length = 0;
  assert.equal(cache.get(B("victim")), null, "the half-written item is never read");
  assert.equal(cache.optimisticReads.fallbacks, before.fallbacks + 1, "the read fell back to the mutex");
  assert.match(logs.join("\n"), /rebuilt after a process died holding its lock: 10 items kept, 1 dropped/);
  assert.ok(shardSeqs().every((q) => q % 2 === 0), "the repair left every sequence number even");
  for (let i = 0; i < 10; i++) assert.deepEqual(cache.get(B(`k${i}`)), Buffer.from(`k${i}#0#`));
  assert.equal(cache.optimisticReads.fallbacks, before.fallbacks + 1, "later reads are lock-free again");
  assertConsistent();
});
