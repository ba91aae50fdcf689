/**
 * `lock`, `unlock` and `is_locked` over a {@link LockTable}. A lock name (a string) asks for a
 * lock across nodes, which uwsgi-node refuses with the reason (docs/cluster.md).
 * @module
 */
import type { UwsgiModule } from "../api.js";
import { UwsgiError } from "../errors.js";
import type { LockTable } from "../engines/locks/lock-table.js";

/**
 * Why `lock("name")` is not a lock across nodes: the one place this is stated in code; the
 * longer statement is docs/cluster.md.
 */
export const CLUSTER_LOCK_REFUSAL =
  "a lease in Redis can expire while its holder is paused (GC, SIGSTOP, swap) and still running its critical section, " +
  "and uwsgi.lock() hands no fencing token to the resource it protects, so two nodes could run it at once; " +
  "use the Redis legion's Lord (i_am_the_lord(), --legion-redis, which carries a fencing token) or a store's own transactions (see docs/cluster.md)";

function lockNumber(n: unknown): number {
  if (typeof n === "string") throw new UwsgiError("UWSGI_ERR_LOCK_CLUSTER", `lock(${JSON.stringify(n)}): ${CLUSTER_LOCK_REFUSAL}`);
  return n as number;
}

/** Builds the user-lock functions. */
export function lockFunctions(locks: () => LockTable): Pick<UwsgiModule, "lock" | "unlock" | "is_locked"> {
  return {
    lock: (n = 0) => {
      locks().lock(lockNumber(n));
    },
    unlock: (n = 0) => locks().unlock(lockNumber(n)),
    is_locked: (n = 0) => locks().isLocked(lockNumber(n)),
  };
}
