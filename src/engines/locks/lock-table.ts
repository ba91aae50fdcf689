/**
 * User locks (`--locks N`): locks 0..N, shared by every process of the instance, backing
 * `uwsgi.lock()`, `unlock()` and `is_locked()`. The table only checks numbers, roles and
 * ownership; the {@link Mutex}es do the locking (process-shared robust mutexes in the server,
 * {@link LocalMutex} in the stub).
 * @module
 */
import { UwsgiError } from "../../errors.js";
import type { Mutex } from "../../core/mutex.js";

/** Highest `--locks` value accepted (uWSGI has no limit; this keeps the shared area sane). */
export const MAX_USER_LOCKS = 65535;

/**
 * Reads `--locks N`: the highest user lock number (locks 0..N exist; absent means 0).
 * @throws UwsgiError `UWSGI_ERR_OPTION_VALUE` naming `locks` unless N is an integer 0..65535.
 * @example
 * parseLocksOption("2"); // 2 -> locks 0, 1 and 2
 */
export function parseLocksOption(value: string | undefined): number {
  if (value === undefined) return 0;
  const text = value.trim();
  if (!/^\d+$/.test(text) || Number(text) > MAX_USER_LOCKS) {
    throw new UwsgiError("UWSGI_ERR_OPTION_VALUE", "locks", `expected an integer 0..${MAX_USER_LOCKS}, got ${JSON.stringify(value)}`);
  }
  return Number(text);
}

/** What the table needs to know about the calling process. */
export interface LockRole {
  /** Spoolers may not use user locks (as in uWSGI). */
  readonly isSpooler: boolean;
}

/** A user lock and the pid holding it (0 when free), as listed in stats. */
export interface LockOwner {
  readonly name: `user ${number}`;
  readonly pid: number;
}

/**
 * The user locks of one process's view of the instance.
 * @example
 * const locks = new LockTable([new LocalMutex("user 0"), new LocalMutex("user 1")], { isSpooler: false });
 * locks.lock(1);
 * try { critical(); } finally { locks.unlock(1); }
 */
export class LockTable {
  readonly #mutexes: readonly Mutex[];
  readonly #role: LockRole;

  /**
   * @param mutexes one per lock: `mutexes[n]` is lock n (length N+1 for `--locks N`; at least 1).
   * @param role the calling process's role.
   */
  constructor(mutexes: readonly Mutex[], role: LockRole) {
    if (mutexes.length < 1) throw new UwsgiError("UWSGI_ERR_INVALID_ARGUMENT", "mutexes", "lock 0 always exists: at least one mutex is needed");
    this.#mutexes = [...mutexes];
    this.#role = role;
  }

  /** Number of user locks (N+1). */
  get count(): number {
    return this.#mutexes.length;
  }

  /**
   * Takes lock `n`, blocking until it is free. A lock whose owner died is recovered.
   * @returns true when the lock was recovered from a dead owner (guarded data may be half-written).
   * @throws UwsgiError `UWSGI_ERR_LOCK_IN_SPOOLER`, `UWSGI_ERR_LOCK_INVALID`, or
   *   `UWSGI_ERR_LOCK_REENTRANT` when this process already holds it (uWSGI deadlocks instead).
   */
  lock(n = 0): boolean {
    const mutex = this.#mutex(n);
    if (mutex.ownerPid() === process.pid) throw new UwsgiError("UWSGI_ERR_LOCK_REENTRANT", n, process.pid);
    return mutex.lock();
  }

  /**
   * Releases lock `n`.
   * @throws UwsgiError `UWSGI_ERR_LOCK_NOT_OWNER` when this process does not hold it; the lock
   *   then stays as it was (uWSGI clears the owner while the mutex stays held).
   */
  unlock(n = 0): void {
    const mutex = this.#mutex(n);
    if (mutex.ownerPid() !== process.pid) throw new UwsgiError("UWSGI_ERR_LOCK_NOT_OWNER", n);
    mutex.unlock();
  }

  /**
   * Whether some process holds lock `n`. Never takes the lock. A lock whose owner died reads as
   * held until a `lock()` recovers it.
   */
  isLocked(n = 0): boolean {
    return this.#mutex(n).ownerPid() !== 0;
  }

  /** Every user lock with its owner pid (0 when free), for the stats `locks` list. */
  owners(): LockOwner[] {
    return this.#mutexes.map((m, n) => ({ name: `user ${n}` as const, pid: m.ownerPid() }));
  }

  #mutex(n: number): Mutex {
    if (this.#role.isSpooler) throw new UwsgiError("UWSGI_ERR_LOCK_IN_SPOOLER");
    if (typeof n !== "number" || !Number.isInteger(n) || n < 0 || n >= this.#mutexes.length) {
      throw new UwsgiError("UWSGI_ERR_LOCK_INVALID", `${String(n)} (valid: 0..${this.#mutexes.length - 1})`);
    }
    return this.#mutexes[n]!;
  }
}
