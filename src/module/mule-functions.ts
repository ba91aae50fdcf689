/**
 * Mule and farm messaging: `mule_msg`, `farm_msg`, `mule_get_msg`, `farm_get_msg`, `in_farm`,
 * `mule_id`, over a {@link MuleTransport} (in-process queues in the stub, sockets in the server).
 * @module
 */
import { Buffer } from "node:buffer";
import type { MuleGetMsgOptions, UwsgiModule } from "../api.js";
import { type BytesLike, toBuffer } from "../core/bytes.js";
import { UwsgiError } from "../errors.js";
import type { FarmConfig, MuleConfig } from "../config/instance-config.js";
import type { ProcessRole } from "./process-role.js";

/**
 * Messages one mule queue holds (each mule's own, the shared one, each farm's), in the server's
 * master and in the stub: beyond it `mule_msg` throws `UWSGI_ERR_MULE_QUEUE_FULL`.
 */
export const MULE_QUEUE_MESSAGES = 65536;

/** Where a mule message goes. */
export type MuleTarget = { kind: "any" } | { kind: "mule"; id: number } | { kind: "farm"; name: string };

/** Sends and receives mule messages. */
export interface MuleTransport {
  mules(): readonly MuleConfig[];
  farms(): readonly FarmConfig[];
  /** Queues `message` for `target` and returns true; throws `UWSGI_ERR_MULE_QUEUE_FULL` when its queue is full. */
  send(target: MuleTarget, message: Buffer): boolean;
  /**
   * Waits in mule `muleId` for the next message of its own queue, the shared queue and (with
   * `farms`) its farms' queues; `farmsOnly` waits on the farms alone. Resolves null on timeout.
   */
  receive(muleId: number, opts: { farms: boolean; farmsOnly: boolean; timeoutMs: number | null }): Promise<Buffer | null>;
}

type MuleFunctionName = "mule_id" | "mule_msg" | "mule_get_msg" | "farm_msg" | "farm_get_msg" | "in_farm";

/** Builds the mule functions. */
export function muleFunctions(transport: () => MuleTransport, role: () => ProcessRole): Pick<UwsgiModule, MuleFunctionName> {
  function farmNamed(name: string): FarmConfig {
    const farm = transport().farms().find((f) => f.name === name);
    if (!farm) throw new UwsgiError("UWSGI_ERR_FARM_UNKNOWN", JSON.stringify(name));
    return farm;
  }
  function inMule(): number {
    const r = role();
    if (r.kind !== "mule") throw new UwsgiError("UWSGI_ERR_NOT_IN_MULE");
    return r.id;
  }
  return {
    mule_id: () => (role().kind === "mule" ? role().id : 0),
    mule_msg(message: BytesLike, mule_farm?: string | number | null): boolean {
      const t = transport();
      const count = t.mules().length;
      if (count === 0) throw new UwsgiError("UWSGI_ERR_MULE_NONE");
      const msg = toBuffer(message, "message");
      if (mule_farm === undefined || mule_farm === null || mule_farm === 0) return t.send({ kind: "any" }, msg);
      if (typeof mule_farm === "number") {
        if (!Number.isInteger(mule_farm) || mule_farm < 0 || mule_farm > count) {
          throw new UwsgiError("UWSGI_ERR_MULE_INVALID", `${mule_farm} (mules are 1..${count})`);
        }
        return t.send({ kind: "mule", id: mule_farm }, msg);
      }
      const name = toBuffer(mule_farm, "mule_farm").toString("utf8");
      return t.send({ kind: "farm", name: farmNamed(name).name }, msg);
    },
    async mule_get_msg(signalsOrOptions?: boolean | null | MuleGetMsgOptions, farmsArg?: boolean | null, bufferSizeArg?: number, timeoutArg?: number): Promise<Buffer | null> {
      const opts: MuleGetMsgOptions =
        typeof signalsOrOptions === "object" && signalsOrOptions !== null ? signalsOrOptions : { farms: farmsArg, buffer_size: bufferSizeArg, timeout: timeoutArg };
      const { farms } = opts;
      const buffer_size = opts.buffer_size ?? 65536;
      const timeout = opts.timeout ?? -1;
      if (typeof buffer_size !== "number" || !(buffer_size >= 0)) throw new UwsgiError("UWSGI_ERR_INVALID_ARGUMENT", "buffer_size", `expected a number >= 0, got ${String(buffer_size)}`);
      if (typeof timeout !== "number" || Number.isNaN(timeout)) throw new UwsgiError("UWSGI_ERR_INVALID_ARGUMENT", "timeout", `expected seconds (-1 = forever), got ${String(timeout)}`);
      const id = inMule();
      const useFarms = farms !== false && farms !== null;
      const msg = await transport().receive(id, { farms: useFarms, farmsOnly: false, timeoutMs: timeout < 0 ? null : timeout * 1000 });
      if (msg === null) return Buffer.alloc(0);
      return msg.length > buffer_size ? msg.subarray(0, buffer_size) : msg;
    },
    farm_msg(farm: string, message: BytesLike): void {
      const name = farmNamed(String(farm)).name;
      transport().send({ kind: "farm", name }, toBuffer(message, "message"));
    },
    async farm_get_msg(): Promise<Buffer | null> {
      const id = inMule();
      return transport().receive(id, { farms: true, farmsOnly: true, timeoutMs: null });
    },
    in_farm(name?: string | null): boolean | null {
      const r = role();
      if (r.kind !== "mule") return null;
      return transport().farms().some((f) => f.mules.includes(r.id) && (name === undefined || name === null || f.name === name));
    },
  };
}
