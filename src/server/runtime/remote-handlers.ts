/**
 * What this process answers for other nodes on its uwsgi socket: the cache (modifier1 111),
 * RPC (modifier1 173), remote spool (modifier1 17) and remote signal (modifier1 110) requests,
 * served from this process's runtime (RPC: any process of the instance that registered the
 * function; signals: routed by the master for the whole instance; each only once enabled by the
 * remote-operations gate).
 * @module
 */
import { Modifier1 } from "../../protocol/packet.js";
import { registerModifierHandler } from "../uwsgi-protocol/modifier-handlers.js";
import { createCacheRequestHandler } from "../remote/cache-request-handler.js";
import { createRpcRequestHandler } from "../remote/rpc-request-handler.js";
import { createSpoolRequestHandler } from "../remote/spool-request-handler.js";
import { createSignalRequestHandler } from "../remote/signal-request-handler.js";
import { raiseThroughMaster } from "./child-signals.js";
import { spoolerLink } from "../spooler/spooler-link.js";
import type { ChildRuntime } from "./child-context.js";

/** Registers the runtime's handlers for requests from other nodes. */
export function serveRuntimeOverSockets(runtime: ChildRuntime): void {
  registerModifierHandler(Modifier1.CACHE, createCacheRequestHandler(() => runtime.engines.caches()));
  registerModifierHandler(Modifier1.RPC, createRpcRequestHandler(() => runtime.engines.rpc(), () => runtime.rpcBus));
  registerModifierHandler(Modifier1.SPOOL, createSpoolRequestHandler(spoolerLink()));
  registerModifierHandler(Modifier1.SIGNAL, createSignalRequestHandler(raiseThroughMaster));
}
