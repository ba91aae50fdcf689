/**
 * {@link Mutex} over a robust, process-shared lock living inside a shared ArrayBuffer (a
 * {@link SharedRegion} or `FileRegion`), so every process mapping the region locks the same lock.
 *
 * The lock is a futex word holding the holder's thread id. Taking a free lock and releasing one
 * nobody waits for are one `Atomics.compareExchange` each, in JS: no native call on the fast path
 * (a Node-API call costs more than the cache operation the lock guards). Waiting sleeps in the
 * kernel (futex) through the addon. A holder that died is detected by the next locker (its id no
 * longer exists; a waiter re-checks every 20 ms) or marked at once by the master when the child
 * exits ({@link releaseLocksOf}); `lock()` then takes the lock over and reports the recovery, so
 * the guarded data can be repaired. Error checking: re-locking a lock this thread holds and
 * unlocking one it does not hold both throw.
 * @module
 */
import { UwsgiError } from "../errors.js";
import type { Mutex } from "../core/mutex.js";
import { LOCK_BITS, MUTEX_MAGIC, MUTEX_WORD, loadNativeAddon, type NativeAddon, type NativeMutexBinding } from "./native-addon.js";
import { nativeErrno, shmError } from "./native-error.js";

/** Int32 words per mutex slot. */
let slotWords = 0;
/** This thread's id, what the locks it takes record (read once: a process never changes threads' ids). */
let self = 0;

/** How often (ms) a failing `tryLock` may ask the kernel whether the same holder is still alive. */
const LIVENESS_CHECK_MS = 1;

/** A robust, process-shared, error-checking mutex at `offset` in a shared buffer. */
export class RobustMutex implements Mutex {
  readonly #addon: NativeAddon;
  readonly #binding: NativeMutexBinding;
  readonly #index: number;
  /** The area's words; this slot's lock word is at {@link #at}. */
  readonly #words: Int32Array;
  readonly #at: number;
  #checkedOwner = 0;
  #checkedAt = 0;

  /**
   * Binds to a mutex that {@link RobustMutex.init} (or `MutexArea.init`) already initialized.
   * @param buffer the shared mapping holding the mutex.
   * @param offset byte offset of the mutex slot, 8-byte aligned; it occupies {@link RobustMutex.size} bytes.
   * @param label names the lock in error messages (e.g. `"cache_default"` or a lock number).
   * @param slot the slot within an area bound by its owner (`MutexArea` binds all its slots at once);
   *   by default the mutex binds itself.
   * @throws UwsgiError UWSGI_ERR_SHM for a bad offset (out of bounds, unaligned).
   */
  constructor(
    readonly buffer: ArrayBuffer,
    readonly offset: number,
    readonly label: string = `mutex@${offset}`,
    slot?: { binding: NativeMutexBinding; words: Int32Array; index: number },
  ) {
    this.#addon = loadNativeAddon();
    if (self === 0) {
      self = this.#addon.selfId();
      slotWords = this.#addon.mutexSize() / 4;
    }
    if (slot) {
      this.#binding = slot.binding;
      this.#words = slot.words;
      this.#index = slot.index;
    } else {
      try {
        this.#binding = this.#addon.mutexBind(buffer, offset, 1);
      } catch (err) {
        throw shmError(err);
      }
      this.#words = new Int32Array(buffer, offset, slotWords);
      this.#index = 0;
    }
    this.#at = this.#index * slotWords + MUTEX_WORD.lock;
  }

  /** Bytes one mutex slot takes in a buffer (a multiple of 64). */
  static get size(): number {
    return loadNativeAddon().mutexSize();
  }

  /**
   * Initializes a fresh mutex at `offset` and returns it. Do this once, in the process that
   * creates the region, before any other process uses it; re-initializing a lock in use breaks it.
   * @throws UwsgiError UWSGI_ERR_SHM for a bad offset (out of bounds, unaligned).
   * @example
   * ```ts
   * const region = SharedRegion.create(regionName(process.pid, "locks"), 4096);
   * const mutex = RobustMutex.init(region.buffer, 0, "lock 0");
   * withLock(mutex, () => { ... });
   * ```
   */
  static init(buffer: ArrayBuffer, offset: number, label?: string): RobustMutex {
    try {
      loadNativeAddon().mutexInit(buffer, offset);
    } catch (err) {
      throw shmError(err);
    }
    return new RobustMutex(buffer, offset, label);
  }

  /**
   * Blocks until this thread holds the lock.
   * @returns true when the previous holder died holding it (guarded data may be half-written).
   * @throws UwsgiError UWSGI_ERR_LOCK_REENTRANT when this thread already holds it.
   */
  lock(): boolean {
    const w = this.#words;
    const at = this.#at;
    if (w[at + MUTEX_WORD.magic] !== MUTEX_MAGIC) this.#uninitialized();
    const c = Atomics.compareExchange(w, at, 0, self);
    if (c === 0) return false;
    if ((c & LOCK_BITS.idMask) === self && (c & LOCK_BITS.ownerDied) === 0) {
      throw new UwsgiError("UWSGI_ERR_LOCK_REENTRANT", this.label, process.pid);
    }
    try {
      return this.#binding.lockSlow(this.#index, self);
    } catch (err) {
      throw this.#translate(err);
    }
  }

  /** Takes the lock if it is free or its holder died; false (never blocks) when anyone holds it, this thread included. */
  tryLock(): boolean {
    const w = this.#words;
    const at = this.#at;
    if (w[at + MUTEX_WORD.magic] !== MUTEX_MAGIC) this.#uninitialized();
    const c = Atomics.compareExchange(w, at, 0, self);
    if (c === 0) return true;
    const owner = c & LOCK_BITS.idMask;
    if (owner === self && (c & LOCK_BITS.ownerDied) === 0) return false;
    if ((c & LOCK_BITS.ownerDied) === 0) {
      // Held: ask whether the holder is alive at most once a millisecond per holder, so that a
      // caller spinning on tryLock does not make a system call per attempt.
      const now = Date.now();
      if (owner === this.#checkedOwner && now - this.#checkedAt < LIVENESS_CHECK_MS) return false;
      this.#checkedOwner = owner;
      this.#checkedAt = now;
    }
    try {
      return this.#binding.tryLockSlow(this.#index, self) >= 0;
    } catch (err) {
      throw this.#translate(err);
    }
  }

  /** Releases the lock. @throws UwsgiError UWSGI_ERR_LOCK_NOT_OWNER when this thread does not hold it. */
  unlock(): void {
    const c = Atomics.compareExchange(this.#words, this.#at, self, 0);
    if (c === self) return;
    if ((c & LOCK_BITS.idMask) !== self || (c & LOCK_BITS.ownerDied) !== 0) {
      if (this.#words[this.#at + MUTEX_WORD.magic] !== MUTEX_MAGIC) this.#uninitialized();
      throw new UwsgiError("UWSGI_ERR_LOCK_NOT_OWNER", this.label);
    }
    try {
      this.#binding.unlockSlow(this.#index, self);
    } catch (err) {
      throw this.#translate(err);
    }
  }

  /** Id of the live thread holding the lock (the pid for a process's main thread), or 0 when it is free or its holder died. */
  ownerPid(): number {
    const c = Atomics.load(this.#words, this.#at);
    if (c === 0 || (c & LOCK_BITS.ownerDied) !== 0) return 0;
    const id = c & LOCK_BITS.idMask;
    return id === self || this.#addon.pidAlive(id) ? id : 0;
  }

  #uninitialized(): never {
    throw new UwsgiError("UWSGI_ERR_SHM", `no initialized mutex at offset ${this.offset} (call mutexInit first)`);
  }

  #translate(err: unknown): UwsgiError {
    switch (nativeErrno(err)) {
      case "EDEADLK":
        return new UwsgiError("UWSGI_ERR_LOCK_REENTRANT", this.label, process.pid);
      case "EPERM":
        return new UwsgiError("UWSGI_ERR_LOCK_NOT_OWNER", this.label);
      default:
        return shmError(err);
    }
  }
}
