/**
 * A child's side of RPC across the instance: it announces to the master every function this
 * process registers, answers the calls the master routes to it from this process's registry, and
 * sends the calls this process cannot answer itself to the master. It is the server's
 * {@link RpcRouting}.
 * @module
 */
import type { Buffer } from "node:buffer";
import type { RpcRegistry } from "../../engines/rpc/rpc-registry.js";
import type { RpcRouting } from "../../module/rpc-functions.js";
import type { RoleKind } from "../../module/process-role.js";
import { connectBus } from "../process-bus/bus-client.js";
import type { BusConnection } from "../process-bus/bus-connection.js";
import { Channel, Frame } from "../process-bus/bus-frames.js";
import { decodeCall, decodeResult, encodeCall, encodeResult } from "./rpc-frames.js";

/** What the RPC bus needs to know about its process. */
export interface RpcBusOptions {
  /** The instance id (`UWSGI_NODE_INSTANCE`): the bus is found by it. */
  readonly instance: string;
  readonly role: RoleKind;
  readonly id: number;
  readonly registry: () => RpcRegistry;
}

/** RPC routing of one process. */
export class RpcBus implements RpcRouting {
  #conn: BusConnection | null = null;
  readonly #pending = new Map<number, (value: Buffer | null) => void>();
  #nextId = 1;

  constructor(private readonly opts: RpcBusOptions) {}

  #connection(): BusConnection {
    if (this.#conn && !this.#conn.closed) return this.#conn;
    const { instance, role, id } = this.opts;
    const conn = connectBus(instance, { channel: Channel.RPC, role, id, pid: process.pid }, (type, body) => this.#onFrame(type, body), () => this.#onClose(conn));
    this.#conn = conn;
    // a new connection (first use, or the old one broke): the master learns every name again
    for (const name of this.opts.registry().list()) conn.send(Frame.RPC_REGISTER, name);
    return conn;
  }

  registered(name: Buffer): void {
    const fresh = !this.#conn || this.#conn.closed;
    const conn = this.#connection();
    if (!fresh) conn.send(Frame.RPC_REGISTER, name);
  }

  call(func: Buffer, args: readonly Buffer[]): Promise<Buffer | null> {
    const id = this.#nextId++;
    if (this.#nextId > 0xffffffff) this.#nextId = 1;
    const conn = this.#connection();
    return new Promise((resolve) => {
      this.#pending.set(id, resolve);
      conn.send(Frame.RPC_CALL, ...encodeCall(id, func, args));
    });
  }

  #onFrame(type: number, body: Buffer): void {
    if (type === Frame.RPC_RESULT) {
      const r = decodeResult(body);
      const resolve = r ? this.#pending.get(r.id) : undefined;
      if (!r || !resolve) return;
      this.#pending.delete(r.id);
      // the value is a view into the socket's chunk, which nothing else holds: no copy needed
      resolve(r.value);
    } else if (type === Frame.RPC_CALL) {
      const call = decodeCall(body);
      if (!call) return;
      const conn = this.#conn;
      const table = this.opts.registry();
      const entry = table.find(call.func);
      // a synchronous function is answered at once, without a promise
      const value = entry ? table.runNow(entry, call.args) : null;
      if (value instanceof Promise) void value.then((v) => conn?.send(Frame.RPC_RESULT, ...encodeResult(call.id, v)));
      else conn?.send(Frame.RPC_RESULT, ...encodeResult(call.id, value));
    }
  }

  #onClose(conn: BusConnection): void {
    if (this.#conn === conn) this.#conn = null;
    for (const resolve of this.#pending.values()) resolve(null);
    this.#pending.clear();
  }
}
