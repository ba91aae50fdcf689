/**
 * In-process mules: per-mule, shared and per-farm queues. A message goes to a mule waiting in
 * `mule_get_msg`/`farm_get_msg` if there is one, else to `uwsgi.mule_msg_hook` (run as that mule,
 * like uWSGI's message-loop mules), else it waits in its queue for a later `mule_get_msg`.
 * @module
 */
import { Buffer } from "node:buffer";
import type { FarmConfig, MuleConfig } from "../config/instance-config.js";
import { MULE_QUEUE_MESSAGES, type MuleTarget, type MuleTransport } from "../module/mule-functions.js";
import { UwsgiError } from "../errors.js";
import { runAsRole } from "./stub-role.js";

interface Waiter {
  readonly muleId: number;
  readonly farms: boolean;
  readonly farmsOnly: boolean;
  readonly resolve: (msg: Buffer | null) => void;
  timer: NodeJS.Timeout | null;
}

/** Queues and waiters of the stub's mules. */
export class StubMules implements MuleTransport {
  #private = new Map<number, Buffer[]>();
  #shared: Buffer[] = [];
  #farm = new Map<string, Buffer[]>();
  #waiters: Waiter[] = [];
  /** Messages handed to the hook, for tests to count. */
  delivered = 0;

  constructor(
    private readonly muleList: () => readonly MuleConfig[],
    private readonly farmList: () => readonly FarmConfig[],
    private readonly hook: () => ((message: Buffer) => unknown) | null,
    private readonly onError: (message: string, err?: unknown) => void,
  ) {}

  mules(): readonly MuleConfig[] {
    return this.muleList();
  }
  farms(): readonly FarmConfig[] {
    return this.farmList();
  }

  #farmsOf(muleId: number): FarmConfig[] {
    return this.farmList().filter((f) => f.mules.includes(muleId));
  }

  #accepts(w: Waiter, target: MuleTarget): boolean {
    if (target.kind === "farm") return w.farms && this.#farmsOf(w.muleId).some((f) => f.name === target.name);
    if (w.farmsOnly) return false;
    return target.kind === "any" || target.id === w.muleId;
  }

  send(target: MuleTarget, message: Buffer): boolean {
    const copy = Buffer.from(message);
    const waiter = this.#waiters.find((w) => this.#accepts(w, target));
    if (waiter) {
      this.#settle(waiter, copy);
      return true;
    }
    const hook = this.hook();
    if (typeof hook === "function") {
      const muleId = target.kind === "mule" ? target.id
        : target.kind === "farm" ? (this.farmList().find((f) => f.name === target.name)?.mules[0] ?? 1) : 1;
      this.delivered++;
      setImmediate(() => {
        runAsRole({ kind: "mule", id: muleId }, async () => {
          try {
            await hook(copy);
          } catch (err) {
            this.onError(`mule ${muleId}: mule_msg_hook failed`, err);
          }
        });
      });
      return true;
    }
    const queue = this.#queueFor(target);
    if (queue.length >= MULE_QUEUE_MESSAGES) {
      throw new UwsgiError("UWSGI_ERR_MULE_QUEUE_FULL", `the ${target.kind === "any" ? "shared" : target.kind === "mule" ? `mule ${target.id}` : `farm ${target.name}`} queue holds ${MULE_QUEUE_MESSAGES} messages`);
    }
    queue.push(copy);
    return true;
  }

  #queueFor(target: MuleTarget): Buffer[] {
    if (target.kind === "any") return this.#shared;
    const map = target.kind === "mule" ? this.#private : this.#farm;
    const key = target.kind === "mule" ? target.id : target.name;
    let q = (map as Map<number | string, Buffer[]>).get(key);
    if (!q) (map as Map<number | string, Buffer[]>).set(key, (q = []));
    return q;
  }

  receive(muleId: number, opts: { farms: boolean; farmsOnly: boolean; timeoutMs: number | null }): Promise<Buffer | null> {
    const queues: Buffer[][] = [];
    if (!opts.farmsOnly) queues.push(this.#private.get(muleId) ?? [], this.#shared);
    if (opts.farms || opts.farmsOnly) for (const f of this.#farmsOf(muleId)) queues.push(this.#farm.get(f.name) ?? []);
    for (const q of queues) if (q.length > 0) return Promise.resolve(q.shift()!);
    return new Promise((resolve) => {
      const waiter: Waiter = { muleId, farms: opts.farms || opts.farmsOnly, farmsOnly: opts.farmsOnly, resolve, timer: null };
      if (opts.timeoutMs !== null) waiter.timer = setTimeout(() => this.#settle(waiter, null), opts.timeoutMs);
      this.#waiters.push(waiter);
    });
  }

  #settle(w: Waiter, msg: Buffer | null): void {
    this.#waiters = this.#waiters.filter((x) => x !== w);
    if (w.timer) clearTimeout(w.timer);
    w.resolve(msg);
  }

  /** Messages still queued, per queue, for tests. */
  pending(): { shared: number; mules: Record<number, number>; farms: Record<string, number> } {
    return {
      shared: this.#shared.length,
      mules: Object.fromEntries([...this.#private].map(([k, q]) => [k, q.length])),
      farms: Object.fromEntries([...this.#farm].map(([k, q]) => [k, q.length])),
    };
  }

  /** Drops every queued message and releases waiters with null. */
  clear(): void {
    for (const w of [...this.#waiters]) this.#settle(w, null);
    this.#private.clear();
    this.#shared = [];
    this.#farm.clear();
    this.delivered = 0;
  }
}
