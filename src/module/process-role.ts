/**
 * Which kind of process is running the code: decides who may register signals and RPC
 * functions, who may receive mule messages, and what `worker_id()`/`mule_id()` answer.
 * @module
 */

/** Kind of process, as uWSGI distinguishes them. */
export type RoleKind = "master" | "worker" | "mule" | "spooler";

/** The calling process's role and its 1-based id within that kind (0 for the master). */
export interface ProcessRole {
  readonly kind: RoleKind;
  readonly id: number;
}

/** The role of code that runs before any fork: what the stub is by default. */
export const MASTER_ROLE: ProcessRole = Object.freeze({ kind: "master", id: 0 });
