/**
 * A child's signal channel to the master on the process bus: registrations, raises, timer/cron/
 * monitor requests and acknowledgements go up, deliveries come down, all in one ordered binary
 * connection (a raise right after a registration is routed by it). Opened when the child starts
 * receiving signals (the master delivers to a child only once it is connected), or on first use.
 * @module
 */
import type { RoleKind } from "../../module/process-role.js";
import { connectBus } from "../process-bus/bus-client.js";
import type { BusConnection } from "../process-bus/bus-connection.js";
import { Channel, Frame } from "../process-bus/bus-frames.js";
import { encodeDone, encodeNum, encodeRegister, encodeSource } from "./signal-frames.js";
import type { SignalSourceSpec } from "./signal-messages.js";

/** Wait before connecting again after the master closed a receiving connection. */
const RECONNECT_MS = 100;

/** Who this process is, for the master. */
export interface ChildSignalBusOptions {
  /** The instance id (`UWSGI_NODE_INSTANCE`): the bus is found by it. */
  readonly instance: string;
  readonly role: RoleKind;
  readonly id: number;
  /** Whether the master is there (default: this process's IPC channel to it is open). */
  readonly masterConnected?: () => boolean;
}

/** The signal channel of one child process. */
export class ChildSignalBus {
  #conn: BusConnection | null = null;
  #onDeliver: ((num: number) => void) | null = null;
  /** Callers of {@link synced} waiting for the master's echo, oldest first. */
  #syncs: (() => void)[] = [];

  constructor(private readonly opts: ChildSignalBusOptions) {}

  #masterConnected(): boolean {
    return this.opts.masterConnected ? this.opts.masterConnected() : process.connected === true;
  }

  #connection(): BusConnection | null {
    if (this.#conn && !this.#conn.closed) return this.#conn;
    if (!this.#masterConnected()) return null;
    const { instance, role, id } = this.opts;
    const conn = connectBus(
      instance,
      { channel: Channel.SIGNALS, role, id, pid: process.pid },
      (type, body) => {
        if (type === Frame.SIG_DELIVER && body.length === 1) this.#onDeliver?.(body[0]!);
        else if (type === Frame.SIG_SYNC) this.#syncs.shift()?.();
      },
      () => {
        // nothing will echo on this connection: release the waiters
        for (const resolve of this.#syncs.splice(0)) resolve();
        // the master is gone (then the process leaves too) or dropped us: a receiver reconnects
        if (this.#onDeliver && this.#masterConnected()) setTimeout(() => this.#connection(), RECONNECT_MS).unref();
      },
    );
    this.#conn = conn;
    return conn;
  }

  /** Starts receiving the signals the master delivers to this process (connects now). */
  receive(onDeliver: (num: number) => void): void {
    this.#onDeliver = onDeliver;
    this.#connection();
  }

  /**
   * Resolves once the master has handled every frame this process sent before the call (its
   * registrations, timers, crons): at once when nothing was sent or the master is gone.
   */
  synced(): Promise<void> {
    const conn = this.#conn;
    if (!conn || conn.closed) return Promise.resolve();
    return new Promise((resolve) => {
      this.#syncs.push(resolve);
      conn.send(Frame.SIG_SYNC);
    });
  }

  /** `register_signal(num, target)` ran here. */
  registered(num: number, target: string): void {
    this.#connection()?.send(Frame.SIG_REGISTER, encodeRegister(num, target));
  }

  /** Hands signal `num` to the master to route; false when the master is gone. */
  raise(num: number): boolean {
    const conn = this.#connection();
    if (!conn) return false;
    conn.send(Frame.SIG_RAISE, encodeNum(num));
    return true;
  }

  /** Asks the master to run a timer, cron or file monitor. */
  addSource(spec: SignalSourceSpec): void {
    this.#connection()?.send(Frame.SIG_SOURCE, encodeSource(spec));
  }

  /** Signal `num` delivered here was handled (`ok` false: no handler, or it threw). */
  done(num: number, ok: boolean): void {
    this.#connection()?.send(Frame.SIG_DONE, encodeDone(num, ok));
  }
}
