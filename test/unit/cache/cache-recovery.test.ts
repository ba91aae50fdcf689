// A process that dies holding a cache mutex is simulated in-process: a Mutex double remembers
// that its holder "died" (it was unlocked while the world was dying), and its next lock() returns
// true, as a robust mutex does. The dying operation is cut short by making one internal write
// throw half-way.
import { test } from "node:test";
import assert from "node:assert/strict";
import { ManualClock } from "../../../src/core/clock.js";
import type { Mutex } from "../../../src/core/mutex.js";
import { UwsgiError } from "../../../src/errors.js";
import { BlockBitmap } from "../../../src/engines/cache/block-bitmap.js";
import { BucketChains } from "../../../src/engines/cache/bucket-chains.js";
import type { CacheEngine } from "../../../src/engines/cache/cache-engine.js";
import { ITEM, META_U32, cacheLayout } from "../../../src/engines/cache/cache-layout.js";
import { parseCache2Option, type CacheOptions } from "../../../src/engines/cache/cache-options.js";
import { CacheMeta } from "../../../src/engines/cache/cache-meta.js";
import { CacheSlots } from "../../../src/engines/cache/cache-slots.js";
import { LruList } from "../../../src/engines/cache/lru-list.js";
import { B, START_MS, engineOver, keyNames, sharedSetup } from "./make-cache.js";

const world = { dying: false };
const KILLED = new Error("killed");

/** A mutex whose next lock() reports a dead owner if it was released while the world was dying. */
class DoubleMutex implements Mutex {
  held = false;
  abandoned = false;
  recoveries = 0;
  lock(): boolean {
    if (this.held) throw new UwsgiError("UWSGI_ERR_LOCK_REENTRANT", "double", process.pid);
    this.held = true;
    const dead = this.abandoned;
    this.abandoned = false;
    if (dead) this.recoveries++;
    return dead;
  }
  unlock(): void {
    if (!this.held) throw new UwsgiError("UWSGI_ERR_LOCK_NOT_OWNER", "double");
    this.held = false;
    if (world.dying) this.abandoned = true;
  }
  tryLock(): boolean {
    if (this.held) return false;
    this.held = true;
    return true;
  }
  ownerPid(): number {
    return this.held ? process.pid : 0;
  }
}

/** Replaces `proto[name]` so that its `nth` call (1-based) runs `onCall` instead (which may throw); returns the undo. */
function sabotage<T extends object>(proto: T, name: keyof T & string, nth: number, onCall: (original: (...args: unknown[]) => unknown, self: unknown, args: unknown[]) => unknown): () => void {
  const original = proto[name] as unknown as (...args: unknown[]) => unknown;
  let calls = 0;
  (proto as Record<string, unknown>)[name] = function (this: unknown, ...args: unknown[]) {
    if (++calls === nth) return onCall(original, this, args);
    return original.apply(this, args);
  };
  return () => {
    (proto as Record<string, unknown>)[name] = original;
  };
}

/** Runs `op` on `victim` as a process that dies when the sabotaged call happens. */
function dieDuring(op: () => unknown, undo: () => void): void {
  world.dying = true;
  try {
    assert.throws(op, (err) => err === KILLED);
  } finally {
    world.dying = false;
    undo();
  }
}

interface Rig {
  opts: CacheOptions;
  dead: CacheEngine;
  survivor: CacheEngine;
  locks: DoubleMutex[];
  clock: ManualClock;
  data: Buffer;
  meta: ArrayBuffer;
}

function rig(spec: string, keys: string[]): Rig {
  const opts = parseCache2Option(spec);
  const locks: DoubleMutex[] = [];
  const setup = sharedSetup(opts, () => {
    const m = new DoubleMutex();
    locks.push(m);
    return m;
  });
  const clock = new ManualClock(START_MS);
  const dead = engineOver(opts, setup, clock, "init");
  const survivor = engineOver(opts, setup, clock, "attach");
  for (const k of keys) assert.equal(dead.set(B(k), B(`value of ${k}`)), true);
  return { opts, dead, survivor, locks, clock, data: Buffer.from(setup.regions.data), meta: setup.regions.meta };
}

/** The cache is internally consistent: counts agree, every key reads back, and the free slots are all usable. */
function assertConsistent(cache: CacheEngine, expected: Record<string, string>): void {
  const names = keyNames(cache);
  assert.deepEqual(names, Object.keys(expected).sort());
  assert.equal(new Set(names).size, names.length);
  assert.equal(cache.stats().items, names.length);
  for (const [k, v] of Object.entries(expected)) assert.deepEqual(cache.get(B(k)), B(v), k);
  const room = cache.options.items - 1 - names.length;
  const fullBefore = cache.stats().full;
  for (let i = 0; i < room; i++) assert.equal(cache.set(B(`fill${i}`), B("f")), true, "every free slot is reachable");
  assert.equal(cache.stats().full, fullBefore, "no eviction or refusal was needed for them");
  if (!cache.options.purgeLru) assert.equal(cache.set(B("one-too-many"), B("f")), false);
  for (let i = 0; i < room; i++) assert.equal(cache.del(B(`fill${i}`)), true);
  assert.equal(cache.stats().items, names.length);
}

const base = (keys: string[]): Record<string, string> => Object.fromEntries(keys.map((k) => [k, `value of ${k}`]));
const KEYS = ["a", "b", "c", "d", "e"];

test("dead owner mid-update: the half-written value is dropped, everything else survives", () => {
  const r = rig("name=r,items=10,blocksize=32,hashsize=4,purge_lru=1,lastmod=1", KEYS);
  const undo = sabotage(CacheSlots.prototype, "writeValue", 1, (original, self, args) => {
    const [block, value] = args as [number, Buffer];
    original.call(self, block, value.subarray(0, 5));
    throw KILLED;
  });
  dieDuring(() => r.dead.update(B("c"), B("a brand new and longer value")), undo);
  assert.ok(r.locks.some((m) => m.abandoned), "the dying op left a mutex abandoned");
  const { c: _gone, ...rest } = base(KEYS);
  assertConsistent(r.survivor, rest);
  assert.ok(r.locks.some((m) => m.recoveries > 0), "a survivor lock() reported the dead owner");
  assert.ok(r.locks.every((m) => !m.held && !m.abandoned));
  assertConsistent(r.dead, rest);
});

test("dead owner mid-insert, before the key is written: the slot returns to the free stack", () => {
  const r = rig("name=r,items=8,blocksize=32,hashsize=4", KEYS);
  const undo = sabotage(CacheSlots.prototype, "set", 1, () => {
    throw KILLED;
  });
  dieDuring(() => r.dead.set(B("new"), B("value")), undo);
  assertConsistent(r.survivor, base(KEYS));
});

test("dead owner mid-insert, after the key is written but before it is linked", () => {
  const r = rig("name=r,items=8,blocksize=32,hashsize=2,purge_lru=1", KEYS);
  const undo = sabotage(BucketChains.prototype, "append", 1, () => {
    throw KILLED;
  });
  dieDuring(() => r.dead.set(B("new"), B("value")), undo);
  assertConsistent(r.survivor, base(KEYS));
  assert.equal(r.survivor.set(B("new"), B("again")), true);
});

test("dead owner mid-delete, holding the global mutex: the key is gone and its slot is free", () => {
  const r = rig("name=r,items=8,blocksize=32,hashsize=4,purge_lru=1", KEYS);
  const undo = sabotage(LruList.prototype, "remove", 1, () => {
    throw KILLED;
  });
  dieDuring(() => r.dead.del(B("b")), undo);
  // The LRU list survives the repair minus b: with 4 keys left in 7 slots, the 4th new key
  // evicts a, the oldest.
  for (const k of ["x", "y", "z", "w"]) assert.equal(r.survivor.set(B(k), B(k)), true);
  assert.deepEqual(keyNames(r.survivor), ["c", "d", "e", "w", "x", "y", "z"]);
  for (const k of ["x", "y", "z", "w"]) r.survivor.del(B(k));
  const { a: _evicted, b: _gone, ...rest } = base(KEYS);
  assertConsistent(r.survivor, rest);
});

test("dead owner mid bitmap update: no block is leaked or shared", () => {
  const r = rig("name=r,items=6,blocks=12,blocksize=8,bitmap=1,hashsize=4", ["a", "b"]);
  const undo = sabotage(BlockBitmap.prototype, "unmark", 1, (original, self, args) => {
    const [first, count] = args as [number, number];
    original.call(self, first, Math.max(1, count - 1));
    throw KILLED;
  });
  dieDuring(() => r.dead.update(B("a"), Buffer.alloc(40, 7)), undo);
  assertConsistent(r.survivor, { b: "value of b" });
  // 12 blocks; a's old copy was at 0-1, b is at 2-3, a's dropped new copy was at 4-8: a 64-byte
  // value (8 blocks) fits in 4-11 only if those blocks were reclaimed.
  assert.equal(r.survivor.set(B("big"), Buffer.alloc(64, 1)), true, "the blocks of the dropped copy were reclaimed");
  assert.equal(r.survivor.set(B("more"), Buffer.alloc(24, 1)), false, "only blocks 0-1 are left");
});

test("dead owner mid clear: the cache is left partly cleared but consistent", () => {
  const keys = ["a", "b", "c", "d", "e", "f", "g"];
  const r = rig("name=r,items=10,blocksize=16,hashsize=8", keys);
  const undo = sabotage(CacheSlots.prototype, "clearItem", 3, () => {
    throw KILLED;
  });
  dieDuring(() => r.dead.clear(), undo);
  const left = keyNames(r.survivor);
  assert.ok(left.length > 0 && left.length < keys.length, `some keys survive: ${left.join(",")}`);
  assertConsistent(r.survivor, Object.fromEntries(left.map((k) => [k, `value of ${k}`])));
});

test("dead owner mid sweep: expired items stay invisible, the rest is intact", () => {
  const r = rig("name=r,items=10,blocksize=16,hashsize=8", ["keep1", "keep2"]);
  for (const k of ["x1", "x2", "x3", "x4"]) r.dead.set(B(k), B("soon"), 1);
  r.clock.advance(1000);
  const undo = sabotage(CacheSlots.prototype, "clearItem", 2, () => {
    throw KILLED;
  });
  dieDuring(() => r.dead.sweep(), undo);
  assertConsistent(r.survivor, { keep1: "value of keep1", keep2: "value of keep2" });
  assert.equal(r.survivor.sweep(), 0, "the repair dropped the remaining expired items");
});

test("a corrupt bucket chain is detected and repaired instead of looping", () => {
  const r = rig("name=r,items=8,blocksize=16,hashsize=1", KEYS);
  const layout = cacheLayout(r.opts);
  // Point the last slot of the single chain back at itself: a lookup for a missing key would loop.
  for (let slot = 1; slot < r.opts.items; slot++) {
    const off = slot * layout.slotBytes;
    if (r.data.readBigUInt64LE(off + ITEM.keysize) !== 0n && r.data.readBigUInt64LE(off + ITEM.next) === 0n) {
      r.data.writeBigUInt64LE(BigInt(slot), off + ITEM.next);
    }
  }
  assert.equal(r.survivor.get(B("missing")), null);
  assertConsistent(r.survivor, base(KEYS));
});

test("a repair flag left set (its repairer died too) is honoured by the next operation", () => {
  const r = rig("name=r,items=8,blocksize=16,hashsize=4", KEYS);
  const meta = new Uint32Array(r.meta);
  // A half-done repair: the free stack was emptied and the buckets not refilled yet.
  meta[META_U32.freeTop] = 0;
  new Uint32Array(r.meta, cacheLayout(r.opts).bucketsOffset, 4).fill(0);
  meta[META_U32.repair] = 1;
  assertConsistent(r.survivor, base(KEYS));
  assert.equal(meta[META_U32.repair], 0);
});

test("dead owner between the two halves of an in-place counter write: the counter keeps its old value", () => {
  for (const spec of ["name=r,items=8,blocksize=16,hashsize=4", "name=r,items=8,blocks=16,blocksize=8,bitmap=1,hashsize=4,purge_lru=1"]) {
    const r = rig(spec, KEYS);
    assert.equal(r.dead.math("inc", B("n"), 0xffffffffn), true);
    const undo = sabotage(CacheSlots.prototype, "writeCounter", 1, (original, self, args) => {
      const [block, low] = args as [number, number, number];
      // The low half of 2^32 is written, the carry into the high half is not.
      original.call(self, block, low, 0);
      throw KILLED;
    });
    dieDuring(() => r.dead.math("inc", B("n"), 1n), undo);
    assert.equal(r.survivor.num(B("n")), 0xffffffffn, spec);
    assert.equal(r.survivor.math("inc", B("n"), 1n), true);
    assert.equal(r.survivor.num(B("n")), 0x100000000n);
    r.survivor.del(B("n"));
    assertConsistent(r.survivor, base(KEYS));
  }
});

test("dead owner after writing a counter, before clearing its journal entry: the counter keeps its old value", () => {
  const r = rig("name=r,items=8,blocksize=16,hashsize=4,lastmod=1", KEYS);
  assert.equal(r.dead.math("inc", B("n"), 41n), true);
  const undo = sabotage(CacheMeta.prototype, "setJournal", 1, () => {
    throw KILLED;
  });
  dieDuring(() => r.dead.math("inc", B("n"), 1n), undo);
  assert.equal(r.survivor.num(B("n")), 41n);
  r.survivor.del(B("n"));
  assertConsistent(r.survivor, base(KEYS));
});

test("dead owner mid-math on a value that is not 8 bytes: that item is dropped (it was being rewritten)", () => {
  const r = rig("name=r,items=8,blocksize=16,hashsize=4", KEYS);
  const undo = sabotage(CacheSlots.prototype, "writeCounter", 1, () => {
    throw KILLED;
  });
  dieDuring(() => r.dead.math("inc", B("a"), 1n), undo);
  const { a: _gone, ...rest } = base(KEYS);
  assertConsistent(r.survivor, rest);
});

test("dead owner after a bitmap counter moved to fresh blocks, before the old ones were freed: old value, no block leaked", () => {
  const r = rig("name=r,items=6,blocks=6,blocksize=8,bitmap=1,hashsize=4", ["a"]);
  assert.equal(r.dead.math("inc", B("n"), 9n), true);
  const undo = sabotage(BlockBitmap.prototype, "unmark", 1, () => {
    throw KILLED;
  });
  dieDuring(() => r.dead.math("inc", B("n"), 1n), undo);
  assert.equal(r.survivor.num(B("n")), 9n);
  // 6 blocks: a takes 2, n one, so the 3 left (one of them n's other copy) must all be free again.
  for (const k of ["x", "y", "z"]) assert.equal(r.survivor.set(B(k), Buffer.alloc(8, 1)), true, `${k}: every other block is free`);
});
