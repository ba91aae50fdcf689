/**
 * This process's RPC in the server: its own function table, reachable from the other processes of
 * the instance through the master ({@link RpcBus}) and from other nodes over modifier1 173.
 * @module
 */
import type { UwsgiModule } from "../../api.js";
import { RpcClient } from "../../client/rpc-client.js";
import { RpcRegistry } from "../../engines/rpc/rpc-registry.js";
import { rpcFunctions } from "../../module/rpc-functions.js";
import { Modifier1 } from "../../protocol/packet.js";
import { readChildIdentity } from "../child-environment.js";
import { createRpcRequestHandler } from "../remote/rpc-request-handler.js";
import { registerModifierHandler } from "../uwsgi-protocol/modifier-handlers.js";
import { RpcBus } from "./rpc-bus.js";

function optNumber(uwsgi: UwsgiModule, name: string, fallback: number): number {
  const v = (uwsgi.opt as Record<string, unknown>)[name];
  const last = Array.isArray(v) ? v.at(-1) : v;
  const n = Number(Buffer.isBuffer(last) ? last.toString() : last);
  return Number.isInteger(n) && n > 0 ? n : fallback;
}

/**
 * Points the RPC functions of `uwsgi` (and the modifier1 173 handler) at a table of this process
 * that the rest of the instance reaches through the master. Until the module factory builds them
 * over the process context, the server's module is the stub's with its process-level names
 * replaced; this replaces the RPC names the same way.
 */
export function attachServerRpc(uwsgi: UwsgiModule): void {
  const identity = readChildIdentity();
  if (!identity) return;
  const registry = new RpcRegistry(optNumber(uwsgi, "rpc-max", 64), (err, name) =>
    process.stderr.write(`[uwsgi-rpc] error in rpc function ${JSON.stringify(name.toString("latin1"))}: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}\n`),
  );
  const bus = new RpcBus({ instance: identity.instance, role: identity.role, id: identity.id, registry: () => registry });
  const client = new RpcClient(() => optNumber(uwsgi, "socket-timeout", 4) * 1000);
  const fns = rpcFunctions(() => registry, () => client, () => true, () => bus);
  for (const [name, value] of Object.entries(fns)) {
    Object.defineProperty(uwsgi, name, { value, enumerable: true, writable: true, configurable: true });
  }
  registerModifierHandler(Modifier1.RPC, createRpcRequestHandler(() => registry, () => bus));
}
