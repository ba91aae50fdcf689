/**
 * `register_rpc`, `rpc`, `call` and `rpc_list`: local calls run in this process's registry,
 * calls with an address go to another node through a {@link RemoteRpc}.
 * @module
 */
import type { RpcFunction, UwsgiModule } from "../api.js";
import { Buffer } from "node:buffer";
import { type BytesLike, stringToBuffer, toBuffer } from "../core/bytes.js";
import { UwsgiError } from "../errors.js";
import { MAX_RPC_NAME_BYTES, type RpcRegistry } from "../engines/rpc/rpc-registry.js";

/** Most arguments of one call (uWSGI's limit: 254). */
export const RPC_MAX_ARGS = 254;
/** Largest total size of the arguments of a call routed to another process of the instance. */
export const RPC_ROUTED_MAX_BYTES = 16 * 1024 * 1024;

/**
 * Calls to functions registered in other processes of the same instance (the server routes them
 * through its master; the stub has none).
 */
export interface RpcRouting {
  /** This process registered `name`: other processes may now reach it. */
  registered(name: Buffer): void;
  /** Calls `func` in a process that registered it; null when none did or it failed. */
  call(func: Buffer, args: readonly Buffer[]): Promise<Buffer | null>;
}

/** The client side of uWSGI's RPC protocol (modifier1 173). */
export interface RemoteRpc {
  call(address: string, func: Buffer, args: Buffer[]): Promise<Buffer | null>;
}

/** Checks a call's arguments against the stated limits and converts them. */
function callArgs(func: Buffer, args: readonly BytesLike[]): Buffer[] {
  if (args.length > RPC_MAX_ARGS) throw new UwsgiError("UWSGI_ERR_RPC_CALL", JSON.stringify(func.toString("latin1")), `at most ${RPC_MAX_ARGS} arguments, got ${args.length}`);
  const argv = new Array<Buffer>(args.length);
  for (let i = 0; i < args.length; i++) {
    const a = args[i]!;
    // no label built for the usual string or Buffer
    argv[i] = typeof a === "string" ? stringToBuffer(a) : Buffer.isBuffer(a) ? a : toBuffer(a, `argument ${i + 1}`);
  }
  return argv;
}

/**
 * Builds the RPC functions. `canRegister` tells whether this process may register; `routing`,
 * when given, reaches functions registered in other processes of the instance (the caller's own
 * registry is asked first).
 */
export function rpcFunctions(
  registry: () => RpcRegistry,
  remote: () => RemoteRpc,
  canRegister: () => boolean,
  routing?: () => RpcRouting | null,
): Pick<UwsgiModule, "register_rpc" | "rpc" | "call" | "rpc_list"> {
  const callLocal = (func: BytesLike, args: readonly BytesLike[]): Promise<Buffer | null> => {
    const table = registry();
    const own = table.find(func, "func_name");
    // the caller's own function runs here, without a second look-up
    if (own) return table.run(own, callArgs(own.name, args));
    const name = toBuffer(func, "func_name");
    const argv = callArgs(name, args);
    const router = routing?.();
    // names longer than 255 bytes cannot be registered anywhere: unknown, as in uWSGI
    if (!router || name.length === 0 || name.length > MAX_RPC_NAME_BYTES) return Promise.resolve(null);
    let total = 0;
    for (const a of argv) total += a.length;
    if (total > RPC_ROUTED_MAX_BYTES) {
      throw new UwsgiError("UWSGI_ERR_RPC_CALL", JSON.stringify(name.toString("latin1")), `${total} bytes of arguments exceed the ${RPC_ROUTED_MAX_BYTES} bytes a call to another process may carry`);
    }
    return router.call(name, argv);
  };
  return {
    register_rpc(name: string, func: RpcFunction): boolean {
      if (typeof func !== "function") throw new UwsgiError("UWSGI_ERR_RPC_REGISTER", name, "the function is not callable");
      if (!canRegister()) throw new UwsgiError("UWSGI_ERR_RPC_REGISTER", name, "only the master and the workers can register RPC functions");
      const ok = registry().register(name, func);
      routing?.()?.registered(toBuffer(name, "name"));
      return ok;
    },
    // not async: the promise of the call itself is returned (an async wrapper and its await
    // cost a request's async hooks twice per call); argument errors still reject
    rpc(address: BytesLike | null, func_name: BytesLike, ...args: BytesLike[]): Promise<Buffer | null> {
      try {
        const addr = address === null || address === undefined ? "" : typeof address === "string" ? address : toBuffer(address, "address").toString("utf8");
        if (addr === "") return callLocal(func_name, args);
        const name = toBuffer(func_name, "func_name");
        return remote().call(addr, name, callArgs(name, args));
      } catch (error) {
        return Promise.reject(error);
      }
    },
    async call(func_name: BytesLike, ...args: BytesLike[]) {
      // The seed documents `func@address`; uWSGI 2.0 looks the whole string up locally instead.
      const name = toBuffer(func_name, "func_name");
      const at = name.indexOf(0x40);
      if (at > 0 && at < name.length - 1) {
        const func = name.subarray(0, at);
        return remote().call(name.subarray(at + 1).toString("utf8"), func, callArgs(func, args));
      }
      return callLocal(name, args);
    },
    rpc_list: () => registry().list(),
  };
}
