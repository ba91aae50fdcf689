/**
 * The facade: picks the `uwsgi` backend once, at import. Under the `uwsgi-node` server (the
 * master marks its children with `UWSGI_NODE_ROLE`) it is the runtime backend; anywhere else,
 * or with `UWSGICONF_FORCE_STUB` set to 1/true/yes, it is the in-process stub.
 * @module
 */
import type { UwsgiModule } from "./api.js";
import { trackRequests } from "./core/request-context.js";
import { StubRuntime } from "./stub/stub-runtime.js";
import { createStubModule } from "./stub/stub-module.js";

/** True when `UWSGICONF_FORCE_STUB` asks for the stub (1, true or yes, any case). */
export function stubForced(env: NodeJS.ProcessEnv = process.env): boolean {
  return ["1", "true", "yes"].includes((env.UWSGICONF_FORCE_STUB ?? "").trim().toLowerCase());
}

/** True when this process was started by the uwsgi-node server. */
export function underServer(env: NodeJS.ProcessEnv = process.env): boolean {
  return !!env.UWSGI_NODE_ROLE;
}

let stub: StubRuntime | null = null;

async function selectBackend(): Promise<UwsgiModule> {
  if (underServer() && !stubForced()) {
    const { runtimeBackend } = await import("./server/runtime-backend.js");
    return runtimeBackend();
  }
  stub = new StubRuntime();
  return createStubModule(stub);
}

/**
 * The `uwsgi` module.
 * @example
 * ```ts
 * import { uwsgi } from "uwsgi-node";
 * uwsgi.cache_update("k", "v");
 * ```
 */
export const uwsgi: UwsgiModule = await selectBackend();

// Code that can read the current request (`uwsgi.env` ...) is loaded: from now on the request
// context follows async code (a worker whose app never loads this module does not pay for it).
trackRequests();

/** The stub's runtime when the stub backend is live, else null (used by `uwsgi-node/testing`). */
export function stubRuntime(): StubRuntime | null {
  return stub;
}
