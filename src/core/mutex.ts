/**
 * The lock interface engines are written against. The stub passes {@link LocalMutex} (one
 * process, so "blocking" on a held lock can only be a deadlock and is reported as such); the
 * server passes process-shared robust mutexes from the native addon, living in shared memory.
 * @module
 */
import { UwsgiError } from "../errors.js";

/** A mutual-exclusion lock that may be shared between processes. */
export interface Mutex {
  /**
   * Blocks until the lock is held by the calling process.
   * @returns true when the previous owner died while holding it and the lock was recovered
   *   (the caller should treat guarded data as possibly half-written), false otherwise.
   * @throws UwsgiError UWSGI_ERR_LOCK_REENTRANT if the calling process already holds it.
   */
  lock(): boolean;
  /** Releases the lock. Throws UWSGI_ERR_LOCK_NOT_OWNER if the caller does not hold it. */
  unlock(): void;
  /** Takes the lock if it is free (or its owner died); never blocks. */
  tryLock(): boolean;
  /** Pid of the process holding the lock, or 0 when free. */
  ownerPid(): number;
}

/** A single-process mutex: what the stub and plain-ArrayBuffer engines use. */
export class LocalMutex implements Mutex {
  #held = false;
  constructor(private readonly label: string = "mutex") {}
  lock(): boolean {
    if (this.#held) throw new UwsgiError("UWSGI_ERR_LOCK_REENTRANT", this.label, process.pid);
    this.#held = true;
    return false;
  }
  unlock(): void {
    if (!this.#held) throw new UwsgiError("UWSGI_ERR_LOCK_NOT_OWNER", this.label);
    this.#held = false;
  }
  tryLock(): boolean {
    if (this.#held) return false;
    this.#held = true;
    return true;
  }
  ownerPid(): number {
    return this.#held ? process.pid : 0;
  }
}

/** Runs `fn` while holding `mutex`, releasing it on every exit path. */
export function withLock<T>(mutex: Mutex, fn: () => T): T {
  mutex.lock();
  try {
    return fn();
  } finally {
    mutex.unlock();
  }
}
