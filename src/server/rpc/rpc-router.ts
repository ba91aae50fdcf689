/**
 * The master's RPC router: every process announces the functions it registers; a call a process
 * cannot answer itself comes here and goes to a process that registered the name (round robin
 * when several did), and its result goes back. A call whose process dies answers null, as an
 * unreachable node does in uWSGI.
 * @module
 */
import { Buffer } from "node:buffer";
import type { BusConnection } from "../process-bus/bus-connection.js";
import { Frame, type BusPeer } from "../process-bus/bus-frames.js";
import type { ChannelHandler } from "../process-bus/bus-server.js";
import { encodeResult } from "./rpc-frames.js";

interface Pending {
  readonly caller: BusConnection;
  readonly callerId: number;
  readonly provider: BusConnection;
}

/** The router of one instance. */
export class RpcRouter implements ChannelHandler {
  /** Function name (latin1) → the connections of the processes that registered it. */
  readonly #providers = new Map<string, BusConnection[]>();
  readonly #pending = new Map<number, Pending>();
  #nextId = 1;
  #rr = 0;

  /** Names some process registered, for tests and the log. */
  names(): string[] {
    return [...this.#providers.keys()];
  }

  connected(_peer: BusPeer, conn: BusConnection): { frame(type: number, body: Buffer): void; closed(): void } {
    const mine = new Set<string>();
    return {
      frame: (type, body) => {
        if (type === Frame.RPC_REGISTER) {
          const name = body.toString("latin1");
          if (mine.has(name)) return;
          mine.add(name);
          const list = this.#providers.get(name);
          if (list) list.push(conn);
          else this.#providers.set(name, [conn]);
        } else if (type === Frame.RPC_CALL) {
          this.#route(conn, body);
        } else if (type === Frame.RPC_RESULT && body.length >= 5) {
          const id = body.readUInt32LE(0);
          const p = this.#pending.get(id);
          if (!p || p.provider !== conn) return;
          this.#pending.delete(id);
          const head = Buffer.from(body.subarray(0, 5));
          head.writeUInt32LE(p.callerId, 0);
          p.caller.send(Frame.RPC_RESULT, head, body.subarray(5));
        }
      },
      closed: () => {
        for (const name of mine) {
          const list = this.#providers.get(name)?.filter((c) => c !== conn) ?? [];
          if (list.length) this.#providers.set(name, list);
          else this.#providers.delete(name);
        }
        for (const [id, p] of this.#pending) {
          if (p.provider === conn) p.caller.send(Frame.RPC_RESULT, ...encodeResult(p.callerId, null));
          if (p.provider === conn || p.caller === conn) this.#pending.delete(id);
        }
      },
    };
  }

  /** The next provider in round robin, skipping the caller and closed connections (no copy of the list per call). */
  #pick(list: readonly BusConnection[] | undefined, caller: BusConnection): BusConnection | null {
    if (list === undefined) return null;
    const n = list.length;
    for (let i = 0; i < n; i++) {
      const c = list[this.#rr++ % n]!;
      if (c !== caller && !c.closed) return c;
    }
    return null;
  }

  #route(caller: BusConnection, body: Buffer): void {
    if (body.length < 6 || body.length < 5 + body[4]!) return;
    const callerId = body.readUInt32LE(0);
    const name = body.toString("latin1", 5, 5 + body[4]!);
    const provider = this.#pick(this.#providers.get(name), caller);
    if (provider === null) {
      caller.send(Frame.RPC_RESULT, ...encodeResult(callerId, null));
      return;
    }
    const id = this.#nextId++;
    if (this.#nextId > 0xffffffff) this.#nextId = 1;
    this.#pending.set(id, { caller, callerId, provider });
    const head = Buffer.allocUnsafe(4);
    head.writeUInt32LE(id, 0);
    provider.send(Frame.RPC_CALL, head, body.subarray(4));
  }
}
