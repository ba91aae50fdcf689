/**
 * The process role the stub pretends to be for the code running now: the master (code at import
 * time) by default; test helpers run code "as" a worker, a mule or a spooler.
 * @module
 */
import { AsyncLocalStorage } from "node:async_hooks";
import { MASTER_ROLE, type ProcessRole } from "../module/process-role.js";

const storage = new AsyncLocalStorage<ProcessRole>();

/** The role of the code running now. */
export function currentStubRole(): ProcessRole {
  return storage.getStore() ?? MASTER_ROLE;
}

/** Runs `fn` as if in a process of the given role. */
export function runAsRole<T>(role: ProcessRole, fn: () => T): T {
  return storage.run(Object.freeze({ ...role }), fn);
}
