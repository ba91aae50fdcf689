/**
 * The master's end of the signal channels of the process bus: one connection per child process
 * (worker, mule, spooler). Frames from a child register handlers' targets, raise signals, add
 * timers/crons/monitors and acknowledge handled signals; deliveries go down the same connection.
 * A child is reachable for signals once its connection is up (what waited for it is sent then).
 * @module
 */
import type { Buffer } from "node:buffer";
import type { BusConnection } from "../process-bus/bus-connection.js";
import { Frame, type BusPeer } from "../process-bus/bus-frames.js";
import type { ChannelHandler } from "../process-bus/bus-server.js";
import type { SignalChild } from "./master-signals.js";
import type { SignalChildKind } from "./signal-endpoints.js";
import { decodeRegister, decodeSource, encodeNum } from "./signal-frames.js";

/** What the hub does with a child's frames. */
export interface SignalBusSink {
  register(child: SignalChild, num: number, target: string): void;
  raise(num: number): void;
  addSource(child: SignalChild, spec: NonNullable<ReturnType<typeof decodeSource>>): void;
  acknowledge(child: SignalChild): void;
  /** A child connected: send what waits for it. */
  reachable(): void;
}

const KINDS: ReadonlySet<string> = new Set<SignalChildKind>(["worker", "mule", "spooler"]);

/** The master's signal connections, by child pid. */
export class SignalBusHub implements ChannelHandler {
  readonly #byPid = new Map<number, BusConnection>();

  constructor(private readonly sink: SignalBusSink) {}

  /** True when child `pid` has its signal connection up. */
  reachable(pid: number): boolean {
    const c = this.#byPid.get(pid);
    return c !== undefined && !c.closed;
  }

  /** Sends "run signal `num`" to child `pid`; false when it has no connection. */
  deliver(pid: number, num: number): boolean {
    const c = this.#byPid.get(pid);
    if (!c || c.closed) return false;
    c.send(Frame.SIG_DELIVER, encodeNum(num));
    return true;
  }

  connected(peer: BusPeer, conn: BusConnection): { frame(type: number, body: Buffer): void; closed(): void } {
    if (!KINDS.has(peer.role)) {
      conn.close();
      return { frame: () => undefined, closed: () => undefined };
    }
    const child: SignalChild = { kind: peer.role as SignalChildKind, id: peer.id, pid: peer.pid };
    this.#byPid.set(peer.pid, conn);
    const sink = this.sink;
    sink.reachable();
    return {
      frame(type, body) {
        switch (type) {
          case Frame.SIG_RAISE:
            if (body.length === 1) sink.raise(body[0]!);
            break;
          case Frame.SIG_DONE:
            if (body.length === 2) sink.acknowledge(child);
            break;
          case Frame.SIG_REGISTER: {
            const r = decodeRegister(body);
            if (r) sink.register(child, r.num, r.target);
            break;
          }
          case Frame.SIG_SOURCE: {
            const spec = decodeSource(body);
            if (spec) sink.addSource(child, spec);
            break;
          }
          case Frame.SIG_SYNC:
            // frames of one connection are handled in order: everything sent before is done
            conn.send(Frame.SIG_SYNC);
            break;
        }
      },
      closed: () => {
        if (this.#byPid.get(peer.pid) === conn) this.#byPid.delete(peer.pid);
      },
    };
  }
}
