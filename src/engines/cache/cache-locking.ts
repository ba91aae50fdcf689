/**
 * The locks one cache operation holds (see "Locking" and "Recovery from a dead lock owner" in
 * `cache-engine.ts`): one shard mutex, or every shard in ascending order, plus maybe the global
 * mutex (always taken last, released first); the shards' sequence numbers made odd while held, so
 * that lock-free readers hold off; a dead owner or a pending repair turned into
 * {@link NEEDS_REPAIR}, thrown before anything is changed.
 * @module
 */
import type { Mutex } from "../../core/mutex.js";
import { META_U32, SHARD_LINE_BYTES } from "./cache-layout.js";
import type { CacheMeta } from "./cache-meta.js";

/** The mutexes guarding one cache: `shards.length` must equal `cacheRegionSizes(opts).shardCount`. */
export interface CacheLocks {
  shards: Mutex[];
  global: Mutex;
}

/** Thrown inside an operation to back out and repair; never escapes the engine. */
export const NEEDS_REPAIR = Symbol("cache needs repair");

/** Marks the region for repair and backs out of the current operation (throws {@link NEEDS_REPAIR}). */
export function corrupt(meta: CacheMeta): never {
  Atomics.store(meta.u32, META_U32.repair, 1);
  throw NEEDS_REPAIR;
}

const SHARD_LINE_WORDS = SHARD_LINE_BYTES / 4;
/** Looks at a busy shard's sequence number (a few ns each) before blocking on its mutex. */
const LOCK_SPINS = 200;

/** Takes and releases one cache's locks for one process; tracks which it holds. */
export class CacheLocking {
  readonly #locks: CacheLocks;
  readonly #u32: Uint32Array;
  /** Index in {@link #u32} of shard 0's sequence number. */
  readonly #seqBase: number;
  // The locks held right now: one shard, or shards 0..#allShards-1, plus maybe the global mutex.
  #shard = -1;
  #allShards = 0;
  #globalHeld = false;

  constructor(locks: CacheLocks, meta: CacheMeta) {
    this.#locks = locks;
    this.#u32 = meta.u32;
    this.#seqBase = meta.seqIndex(0);
  }

  /** Called right after taking a lock: flags a repair if its owner died; backs out if a repair is pending. */
  #locked(recovered: boolean): void {
    const u = this.#u32;
    if (recovered) Atomics.store(u, META_U32.repair, 1);
    if (u[META_U32.repair] !== 0) throw NEEDS_REPAIR;
  }

  // Plain stores suffice for the sequence numbers: only the shard mutex holder writes them, and
  // lock-free readers exist only on x86-64, where stores become visible in program order.

  /** Makes shard `s`'s sequence number odd (its mutex is held): lock-free readers hold off. */
  #seqEnter(s: number): void {
    const u = this.#u32;
    const i = this.#seqBase + s * SHARD_LINE_WORDS;
    const v = u[i]!;
    // Already odd when the previous holder died in the middle of a change.
    if ((v & 1) === 0) u[i] = v + 1;
  }

  /** Makes shard `s`'s sequence number even again, and different: readers that overlapped retry. */
  #seqExit(s: number): void {
    const u = this.#u32;
    const i = this.#seqBase + s * SHARD_LINE_WORDS;
    u[i] = (u[i]! | 1) + 1;
  }

  /**
   * Takes shard `s`'s mutex (the only lock held so far). When another process is at work in the
   * shard (odd sequence number), first waits a little for it in user space: a critical section
   * lasts a fraction of a microsecond, sleeping in the kernel and being woken costs several.
   * `tryLock` is used only once the number is even, i.e. when no change can be half-done, so a
   * dead owner it may silently take over needs no repair (one that died mid-change leaves the
   * number odd: `lock()` then reports it).
   * @throws NEEDS_REPAIR (the symbol) when a repair is due.
   */
  lockShard(s: number): void {
    const m = this.#locks.shards[s]!;
    const u = this.#u32;
    const i = this.#seqBase + s * SHARD_LINE_WORDS;
    if ((u[i]! & 1) !== 0) {
      for (let spin = 0; spin < LOCK_SPINS; spin++) {
        if ((Atomics.load(u, i) & 1) === 0 && m.tryLock()) {
          this.#shard = s;
          this.#seqEnter(s);
          this.#locked(false);
          return;
        }
      }
    }
    const recovered = m.lock();
    this.#shard = s;
    this.#seqEnter(s);
    this.#locked(recovered);
  }

  /** Takes every shard mutex in ascending order, then (if `global`) the global one. */
  lockAll(global: boolean): void {
    const shards = this.#locks.shards;
    for (let s = 0; s < shards.length; s++) {
      const recovered = shards[s]!.lock();
      this.#allShards = s + 1;
      this.#seqEnter(s);
      this.#locked(recovered);
    }
    if (global) this.needGlobal();
  }

  /** Takes the global mutex unless held already. */
  needGlobal(): void {
    if (this.#globalHeld) return;
    const recovered = this.#locks.global.lock();
    this.#globalHeld = true;
    this.#locked(recovered);
  }

  /** Releases the global mutex and keeps the shard(s). */
  releaseGlobal(): void {
    this.#globalHeld = false;
    this.#locks.global.unlock();
  }

  /**
   * Takes every lock for a repair, without backing out: a dead owner found on the way only sets
   * the repair flag.
   */
  lockForRepair(): void {
    const u = this.#u32;
    const shards = this.#locks.shards;
    for (let s = 0; s < shards.length; s++) {
      if (shards[s]!.lock()) Atomics.store(u, META_U32.repair, 1);
      this.#allShards = s + 1;
      this.#seqEnter(s);
    }
    if (this.#locks.global.lock()) Atomics.store(u, META_U32.repair, 1);
    this.#globalHeld = true;
  }

  /**
   * Releases every lock held, in reverse order of acquisition, making the shards' sequence
   * numbers even again unless `keepOdd` (an operation cut short by an unexpected error leaves its
   * shards to the locked paths until their next writer, like a writer that died).
   */
  releaseAll(keepOdd = false): void {
    if (this.#globalHeld) this.releaseGlobal();
    const shards = this.#locks.shards;
    if (this.#shard >= 0) {
      const s = this.#shard;
      this.#shard = -1;
      if (!keepOdd) this.#seqExit(s);
      shards[s]!.unlock();
    }
    while (this.#allShards > 0) {
      const s = --this.#allShards;
      if (!keepOdd) this.#seqExit(s);
      shards[s]!.unlock();
    }
  }
}
