/**
 * The POSIX record lock (`fcntl(F_SETLK)` with a whole-file `F_WRLCK`) that uWSGI's spooler holds
 * on a task file while it runs it, and that uWSGI's writer holds while it writes one. Taking the
 * same lock is what lets a uWSGI spooler and ours share a directory without running a task twice.
 *
 * POSIX semantics to keep in mind: the lock belongs to the process (two descriptors of one process
 * never conflict), and closing ANY descriptor of the file in this process drops it, as does exit.
 * @module
 */
import { UwsgiError } from "../errors.js";
import { loadNativeAddon } from "./native-addon.js";

/** `err` from a record-lock call on `what`, as UWSGI_ERR_SPOOL_LOCK (a UwsgiError passes as is). */
export function lockError(what: string, err: unknown): UwsgiError {
  if (err instanceof UwsgiError) return err;
  const wrapped = new UwsgiError("UWSGI_ERR_SPOOL_LOCK", what, err instanceof Error ? err.message : String(err));
  wrapped.cause = err;
  return wrapped;
}

/**
 * Takes the write lock on the open file `fd` without waiting.
 * @param what names the file in errors.
 * @returns true when this process now holds it, false when another process does.
 * @throws UwsgiError UWSGI_ERR_SPOOL_LOCK for a bad descriptor or another fcntl failure.
 * @example
 * ```ts
 * const fd = openSync(path, "r+");
 * if (tryLockFile(fd, path)) { ... closeSync(fd); } // closing releases it
 * ```
 */
export function tryLockFile(fd: number, what = `fd ${fd}`): boolean {
  try {
    return loadNativeAddon().fcntlLock(fd, false);
  } catch (err) {
    throw lockError(what, err);
  }
}

/**
 * Takes the write lock on `fd`, waiting while another process holds it (`F_SETLKW`, what
 * uWSGI's writer does while it writes a task).
 * @throws UwsgiError UWSGI_ERR_SPOOL_LOCK when fcntl fails (e.g. EDEADLK).
 * @example
 * ```ts
 * lockFile(fd, path);
 * ```
 */
export function lockFile(fd: number, what = `fd ${fd}`): void {
  try {
    loadNativeAddon().fcntlLock(fd, true);
  } catch (err) {
    throw lockError(what, err);
  }
}

/**
 * The pid of another process holding a lock on `fd`'s file, or 0 (the lock is not taken).
 * @throws UwsgiError UWSGI_ERR_SPOOL_LOCK when fcntl fails.
 * @example
 * ```ts
 * if (fileLockHolder(fd) !== 0) console.log("a spooler runs it");
 * ```
 */
export function fileLockHolder(fd: number, what = `fd ${fd}`): number {
  try {
    return loadNativeAddon().fcntlLockHolder(fd);
  } catch (err) {
    throw lockError(what, err);
  }
}
