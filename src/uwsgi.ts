/**
 * The facade: picks the `uwsgi` backend once, when first imported, synchronously (no top-level
 * await, so `require("uwsgi-node")` works too). Under the `uwsgi-node` server (the master marks
 * its children with `UWSGI_NODE_ROLE`) it is the server's module of this process; anywhere
 * else, or with `UWSGICONF_FORCE_STUB` set to 1/true/yes, it is the in-process stub. Both
 * factories are imported statically; nothing heavy (the native addon) loads until the server's
 * module attaches to shared memory.
 * @module
 */
import type { UwsgiModule } from "./api.js";
import { trackRequests } from "./core/request-context.js";
import { StubRuntime } from "./stub/stub-runtime.js";
import { createStubModule } from "./stub/stub-module.js";
import { serverModule } from "./server/runtime/server-module.js";

/** True when `UWSGICONF_FORCE_STUB` asks for the stub (1, true or yes, any case). */
export function stubForced(env: NodeJS.ProcessEnv = process.env): boolean {
  return ["1", "true", "yes"].includes((env.UWSGICONF_FORCE_STUB ?? "").trim().toLowerCase());
}

/** True when this process was started by the uwsgi-node server. */
export function underServer(env: NodeJS.ProcessEnv = process.env): boolean {
  return !!env.UWSGI_NODE_ROLE;
}

let stub: StubRuntime | null = null;

function selectBackend(): UwsgiModule {
  if (underServer() && !stubForced()) return serverModule().uwsgi;
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
export const uwsgi: UwsgiModule = selectBackend();

// Code that can read the current request (`uwsgi.env` ...) is loaded: from now on the request
// context follows async code (a worker whose app never loads this module does not pay for it).
trackRequests();

/** The stub's runtime when the stub backend is live, else null (used by `uwsgi-node/testing`). */
export function stubRuntime(): StubRuntime | null {
  return stub;
}
