/**
 * {@link Mutex} over a process-shared robust pthread mutex living inside a shared ArrayBuffer
 * (a {@link SharedRegion} or `FileRegion`), so every process mapping the region locks the same
 * lock. When a holder dies (even by SIGKILL) the next `lock()` gets the lock at once and reports
 * the recovery.
 * @module
 */
import { UwsgiError } from "../errors.js";
import type { Mutex } from "../core/mutex.js";
import { loadNativeAddon, type NativeAddon, type NativeMutexBinding } from "./native-addon.js";
import { nativeErrno, shmError } from "./native-error.js";

/** A robust, process-shared, error-checking mutex at `offset` in a shared buffer. */
export class RobustMutex implements Mutex {
  readonly #addon: NativeAddon;
  readonly #binding: NativeMutexBinding;
  readonly #index: number;

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
    slot?: { binding: NativeMutexBinding; index: number },
  ) {
    this.#addon = loadNativeAddon();
    if (slot) {
      this.#binding = slot.binding;
      this.#index = slot.index;
    } else {
      try {
        this.#binding = this.#addon.mutexBind(buffer, offset, 1);
      } catch (err) {
        throw shmError(err);
      }
      this.#index = 0;
    }
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
   * Blocks until this process holds the lock.
   * @returns true when the previous holder died holding it (guarded data may be half-written).
   * @throws UwsgiError UWSGI_ERR_LOCK_REENTRANT when this process already holds it.
   */
  lock(): boolean {
    try {
      return this.#binding.lock(this.#index);
    } catch (err) {
      throw this.#translate(err);
    }
  }

  /** Takes the lock if it is free or its holder died; false (never blocks) when anyone holds it, this process included. */
  tryLock(): boolean {
    try {
      return this.#binding.tryLock(this.#index) >= 0;
    } catch (err) {
      throw this.#translate(err);
    }
  }

  /** Releases the lock. @throws UwsgiError UWSGI_ERR_LOCK_NOT_OWNER when this process does not hold it. */
  unlock(): void {
    try {
      this.#binding.unlock(this.#index);
    } catch (err) {
      throw this.#translate(err);
    }
  }

  /** Pid of the live process holding the lock, or 0 when it is free or its holder died. */
  ownerPid(): number {
    let pid: number;
    try {
      pid = this.#binding.owner(this.#index);
    } catch (err) {
      throw this.#translate(err);
    }
    return pid !== 0 && (pid === process.pid || this.#addon.pidAlive(pid)) ? pid : 0;
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
