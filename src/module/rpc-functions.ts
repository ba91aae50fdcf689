/**
 * `register_rpc`, `rpc`, `call` and `rpc_list`: local calls run in this process's registry,
 * calls with an address go to another node through a {@link RemoteRpc}.
 * @module
 */
import type { RpcFunction, UwsgiModule } from "../api.js";
import { type BytesLike, toBuffer } from "../core/bytes.js";
import { UwsgiError } from "../errors.js";
import type { RpcRegistry } from "../engines/rpc/rpc-registry.js";

/** The client side of uWSGI's RPC protocol (modifier1 173). */
export interface RemoteRpc {
  call(address: string, func: Buffer, args: Buffer[]): Promise<Buffer | null>;
}

/** Builds the RPC functions. `canRegister` tells whether this process may register (not mules/spoolers). */
export function rpcFunctions(
  registry: () => RpcRegistry,
  remote: () => RemoteRpc,
  canRegister: () => boolean,
): Pick<UwsgiModule, "register_rpc" | "rpc" | "call" | "rpc_list"> {
  const callLocal = (func: BytesLike, args: BytesLike[]) =>
    registry().invoke(toBuffer(func, "func_name"), args.map((a, i) => toBuffer(a, `argument ${i + 1}`)));
  return {
    register_rpc(name: string, func: RpcFunction): boolean {
      if (typeof func !== "function") throw new UwsgiError("UWSGI_ERR_RPC_REGISTER", name, "the function is not callable");
      if (!canRegister()) throw new UwsgiError("UWSGI_ERR_RPC_REGISTER", name, "only the master and the workers can register RPC functions");
      return registry().register(name, func);
    },
    async rpc(address: BytesLike | null, func_name: BytesLike, ...args: BytesLike[]) {
      const addr = address === null || address === undefined ? "" : toBuffer(address, "address").toString("utf8");
      if (addr === "") return callLocal(func_name, args);
      return remote().call(addr, toBuffer(func_name, "func_name"), args.map((a, i) => toBuffer(a, `argument ${i + 1}`)));
    },
    async call(func_name: BytesLike, ...args: BytesLike[]) {
      // The seed documents `func@address`; uWSGI 2.0 looks the whole string up locally instead.
      const name = toBuffer(func_name, "func_name");
      const at = name.indexOf(0x40);
      if (at > 0 && at < name.length - 1) {
        return remote().call(name.subarray(at + 1).toString("utf8"), name.subarray(0, at), args.map((a, i) => toBuffer(a, `argument ${i + 1}`)));
      }
      return callLocal(name, args);
    },
    rpc_list: () => registry().list(),
  };
}
