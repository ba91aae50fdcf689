/**
 * The `uwsgi` module of a process spawned by the uwsgi-node server: the module factory over this
 * child's runtime, built on first use and kept on `globalThis` (a second copy of uwsgi-node in
 * the process, the CLI's and the app's, gets the same module and runtime).
 * @module
 */
import type { UwsgiModule } from "../../api.js";
import { UwsgiError } from "../../errors.js";
import { createModule } from "../../module/create-module.js";
import { readChildIdentity } from "../child-environment.js";
import { createChildRuntime, type ChildRuntime } from "./child-context.js";

/** This process's module and the runtime under it. */
export interface ServerModule {
  readonly uwsgi: UwsgiModule;
  readonly runtime: ChildRuntime;
}

const SLOT = Symbol.for("uwsgi-node.server-module");

/**
 * The module of this server-spawned process (built on the first call).
 * @throws UwsgiError UWSGI_ERR_INVALID_ARGUMENT when this process was not started by the master.
 */
export function serverModule(): ServerModule {
  const slot = globalThis as Record<symbol, ServerModule | undefined>;
  return (slot[SLOT] ??= build());
}

function build(): ServerModule {
  const identity = readChildIdentity();
  if (!identity) throw new UwsgiError("UWSGI_ERR_INVALID_ARGUMENT", "UWSGI_NODE_ROLE", "this process was not started by the uwsgi-node server");
  const runtime = createChildRuntime(identity);
  return { uwsgi: createModule(runtime.engines, runtime.context), runtime };
}
