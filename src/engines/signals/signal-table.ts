/**
 * One process's signal table: which handler runs for each of the 256 signal numbers and where
 * the master routes them. As in uWSGI each process has its own table; entries registered by the
 * master (worker id 0, before the workers start) are known everywhere, entries registered inside
 * a worker only there.
 * @module
 */
import { Buffer } from "node:buffer";
import { UwsgiError } from "../../errors.js";
import type { SignalHandler } from "../../api.js";
import { checkSignalNumber } from "./signal-number.js";
import { parseSignalTarget, type SignalTarget } from "./signal-target.js";

export type { SignalHandler } from "../../api.js";

/** Longest target string uWSGI stores (its receiver field is 64 bytes with the NUL). */
export const MAX_SIGNAL_TARGET_BYTES = 63;

/** Who is registering a handler. */
export interface SignalRegistrant {
  /** Worker id of the registering process; 0 for the master (code run before the workers start). */
  readonly workerId: number;
  /** The process role; mules and spoolers may not register (as in uWSGI). Default: from workerId. */
  readonly role?: "master" | "worker" | "mule" | "spooler";
}

/** One registered signal. */
export interface SignalEntry {
  readonly num: number;
  /** The target as given. */
  readonly target: string;
  readonly parsedTarget: SignalTarget;
  readonly handler: SignalHandler;
  /** Worker id of the registrant (0 = master: the handler may run in any process). */
  readonly workerId: number;
}

/**
 * The signal table of one process.
 * @example
 * const table = new SignalTable();
 * table.register(17, "workers", (n) => console.log("signal", n), { workerId: 0 });
 * table.handlerFor(17)?.handler(17);
 */
export class SignalTable {
  readonly #entries = new Map<number, SignalEntry>();

  /**
   * Registers `handler` for signal `num`, routed to `target`.
   * @throws UwsgiError `UWSGI_ERR_SIGNAL_INVALID` for a number outside 0..255 (uWSGI wraps it
   *   modulo 256); `UWSGI_ERR_SIGNAL_REGISTER` for a target longer than 63 bytes or unknown
   *   (uWSGI accepts it and drops the signal later), a non-function handler, a mule or spooler
   *   registrant, or a number the master already registered.
   */
  register(num: number, target: string, handler: SignalHandler, registrant: SignalRegistrant): void {
    checkSignalNumber(num);
    const fail = (why: string): never => {
      throw new UwsgiError("UWSGI_ERR_SIGNAL_REGISTER", num, why);
    };
    if (registrant.role === "mule" || registrant.role === "spooler") fail("only the master and the workers can register signal handlers");
    if (typeof target !== "string") fail("the target must be a string");
    if (Buffer.byteLength(target) > MAX_SIGNAL_TARGET_BYTES) fail(`target is longer than ${MAX_SIGNAL_TARGET_BYTES} bytes`);
    const parsedTarget = parseSignalTarget(target);
    if (parsedTarget === null) fail(`unsupported signal target ${JSON.stringify(target)}`);
    if (typeof handler !== "function") fail("the handler must be a function");
    if (registrant.workerId === 0 && this.#entries.has(num)) fail("you cannot re-register a signal as the master");
    this.#entries.set(num, { num, target, parsedTarget: parsedTarget!, handler, workerId: registrant.workerId });
  }

  /** True when signal `num` has a handler in this table. */
  isRegistered(num: number): boolean {
    return this.#entries.has(num);
  }

  /** The entry of signal `num`, or null. */
  entry(num: number): SignalEntry | null {
    return this.#entries.get(num) ?? null;
  }

  /**
   * The entry whose handler this process may run for `num`, or null. With `runnerWorkerId`,
   * an entry registered inside another worker is refused (uWSGI: "only that process will be
   * able to run it"); master entries (worker id 0) run anywhere.
   */
  handlerFor(num: number, runnerWorkerId?: number): SignalEntry | null {
    const entry = this.#entries.get(num);
    if (!entry) return null;
    if (runnerWorkerId !== undefined && entry.workerId !== 0 && entry.workerId !== runnerWorkerId) return null;
    return entry;
  }

  /** Every entry, by signal number. */
  entries(): SignalEntry[] {
    return [...this.#entries.values()].sort((a, b) => a.num - b.num);
  }
}
