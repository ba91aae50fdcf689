/**
 * `lock`, `unlock` and `is_locked` over a {@link LockTable}.
 * @module
 */
import type { UwsgiModule } from "../api.js";
import type { LockTable } from "../engines/locks/lock-table.js";

/** Builds the user-lock functions. */
export function lockFunctions(locks: () => LockTable): Pick<UwsgiModule, "lock" | "unlock" | "is_locked"> {
  return {
    lock: (n = 0) => {
      locks().lock(n);
    },
    unlock: (n = 0) => locks().unlock(n),
    is_locked: (n = 0) => locks().isLocked(n),
  };
}
