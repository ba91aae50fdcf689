/**
 * The master's signal routing (behaviour spec §4.2/§4.3): a raised signal goes to the process(es)
 * its target names, through the {@link SignalEndpoint}s the supervisors of each kind of child
 * offer, over each child's signal channel of the process bus ({@link SignalLink}). A signal for a
 * child that is not reachable now (respawning, still loading its code, not yet connected) waits
 * in a bounded queue in the master and is sent when the child is ready; a child that is busy gets
 * it in its channel and runs it when its event loop frees. Nothing is dropped
 * silently: past the bound the signal is refused with uWSGI's log line and counted.
 * @module
 */
import type { SignalTarget } from "../../engines/signals/signal-target.js";
import type { SignalChildKind, SignalEndpoint, SignalEndpointSource, SignalFarm, SignalLink } from "./signal-endpoints.js";

/** Default bound of signals waiting for one child (sent and not yet handled, or queued here). */
export const DEFAULT_SIGNAL_QUEUE = 1024;

/** Counters the stats and metrics show. */
export interface SignalRouterCounters {
  /** Signals handed to a child or queued for one (`core.routed_signals`). */
  routed: number;
  /** Signals refused: no such target, or its queue full (`core.unrouted_signals`). */
  unrouted: number;
}

interface Pending {
  /** Signal numbers waiting in the master, oldest first. */
  readonly queue: number[];
}

/** Routes signals to children. */
export class SignalRouter {
  readonly #sources = new Map<SignalChildKind, SignalEndpointSource>();
  /** Per child slot (`worker:3`) or per one-of target (`worker:*`, `farm:jobs`): signals waiting here. */
  readonly #pending = new Map<string, Pending>();
  /** Per pid: signals sent and not yet acknowledged. */
  readonly #outstanding = new Map<number, number>();
  /** Per child slot: signals handled (the `signals` counter of workers()). */
  readonly #handled = new Map<string, number>();
  #rr = 0;
  readonly counters: SignalRouterCounters = { routed: 0, unrouted: 0 };

  /**
   * @param farms the configured farms (for `farm_NAME` / `farmN`).
   * @param log where refusals are logged.
   * @param limit most signals waiting for one child or one-of target.
   * @param link how signals reach the children.
   */
  constructor(
    private readonly farms: () => readonly SignalFarm[],
    private readonly log: (line: string) => void,
    readonly limit: number,
    private readonly link: SignalLink,
  ) {}

  /** Can take a signal now: ready for its supervisor and connected. */
  #ready(e: SignalEndpoint): boolean {
    return e.ready && this.link.reachable(e.pid);
  }

  /** Offers the children of `kind` (replacing any previous source for it). */
  attach(kind: SignalChildKind, source: SignalEndpointSource): void {
    this.#sources.set(kind, source);
  }

  #endpoints(kind: SignalChildKind): readonly SignalEndpoint[] {
    return this.#sources.get(kind)?.() ?? [];
  }

  /**
   * Routes signal `num` to `target`. `prefer` (worker ids) narrows one-of worker targets to the
   * workers that registered a handler for it, when any of them is running.
   */
  route(num: number, target: SignalTarget, prefer: ReadonlySet<number> | null = null): void {
    switch (target.kind) {
      case "worker-any":
        return this.#one(num, "worker", null, prefer);
      case "workers":
        return this.#every(num, "worker", null);
      case "active-workers":
        return this.#every(num, "worker", (e) => e.active);
      case "worker":
        return this.#exact(num, "worker", target.id);
      case "mules":
        return this.#every(num, "mule", null);
      case "mule-any":
        return this.#one(num, "mule", null, null);
      case "mule":
        return this.#exact(num, "mule", target.id);
      case "spooler":
        return this.#one(num, "spooler", null, null);
      case "spoolers":
        return this.#every(num, "spooler", null);
      case "farm": {
        const farm = this.farms().find((f) => f.name === target.name);
        if (!farm) return this.#refuse(num, `unknown farm ${JSON.stringify(target.name)}`);
        return this.#one(num, "mule", farm, null);
      }
      case "farm-index": {
        const farm = this.farms()[target.index - 1];
        if (!farm) return this.#refuse(num, `there is no farm ${target.index}`);
        return this.#one(num, "mule", farm, null);
      }
      case "subscribed":
        // accepted and delivered nowhere, as in uWSGI
        return;
    }
  }

  /** Child `pid` handled a signal (of slot `kind:id`). */
  acknowledge(kind: SignalChildKind, id: number, pid: number): void {
    const n = this.#outstanding.get(pid) ?? 0;
    if (n <= 1) this.#outstanding.delete(pid);
    else this.#outstanding.set(pid, n - 1);
    const key = `${kind}:${id}`;
    this.#handled.set(key, (this.#handled.get(key) ?? 0) + 1);
    // a freed slot: send what waits now rather than at the master's next tick
    if (this.#pending.size > 0) this.flush();
  }

  /** A child left: what it had not handled is gone with it (as uWSGI's pipe buffer). */
  forget(pid: number): void {
    this.#outstanding.delete(pid);
  }

  /** Signals handled by child `kind:id` (all its incarnations). */
  handled(kind: SignalChildKind, id: number): number {
    return this.#handled.get(`${kind}:${id}`) ?? 0;
  }

  /** Signals waiting for child `kind:id`: queued in the master plus sent and not yet handled. */
  queued(kind: SignalChildKind, id: number): number {
    const here = this.#pending.get(`${kind}:${id}`)?.queue.length ?? 0;
    const sent = this.#endpoints(kind).filter((e) => e.id === id).reduce((sum, e) => sum + (this.#outstanding.get(e.pid) ?? 0), 0);
    return here + sent;
  }

  /** Signals waiting in the master for one-of targets (the stats' global `signal_queue`). */
  sharedQueued(): number {
    let n = 0;
    for (const [key, p] of this.#pending) if (key.endsWith(":*") || key.startsWith("farm:")) n += p.queue.length;
    return n;
  }

  /**
   * Sends what waits for children that became reachable. Called when a child is ready or connects,
   * when a child acknowledges a signal, when a signal is routed to a child something waits for,
   * and on the master's tick.
   */
  flush(): void {
    for (const [key, p] of this.#pending) {
      while (p.queue.length > 0) {
        const num = p.queue[0]!;
        if (!this.#sendQueued(key, num)) break;
        p.queue.shift();
      }
      if (p.queue.length === 0) this.#pending.delete(key);
    }
  }

  #sendQueued(key: string, num: number): boolean {
    const [kind, rest] = key.split(":") as [string, string];
    if (kind === "farm") {
      const farm = this.farms().find((f) => f.name === rest);
      const e = farm ? this.#pick(this.#endpoints("mule").filter((x) => farm.mules.includes(x.id)), null) : null;
      return e ? this.#send(e, num) : false;
    }
    const k = kind as SignalChildKind;
    if (rest === "*") {
      const e = this.#pick(this.#endpoints(k), null);
      return e ? this.#send(e, num) : false;
    }
    const e = this.#endpoints(k).find((x) => x.id === Number(rest) && this.#ready(x));
    return e ? this.#send(e, num) : false;
  }

  #send(e: SignalEndpoint, num: number): boolean {
    if (!this.link.deliver(e.pid, num)) return false;
    this.#outstanding.set(e.pid, (this.#outstanding.get(e.pid) ?? 0) + 1);
    return true;
  }

  /** An idle ready endpoint (round-robin), else the ready one with the fewest signals waiting. */
  #pick(candidates: readonly SignalEndpoint[], prefer: ReadonlySet<number> | null): SignalEndpoint | null {
    let ready = candidates.filter((e) => this.#ready(e) && (this.#outstanding.get(e.pid) ?? 0) < this.limit);
    if (prefer && prefer.size > 0) {
      const preferred = ready.filter((e) => prefer.has(e.id));
      if (preferred.length > 0) ready = preferred;
    }
    if (ready.length === 0) return null;
    const idle = ready.filter((e) => !e.busy && !this.#outstanding.get(e.pid));
    if (idle.length > 0) return idle[this.#rr++ % idle.length]!;
    return ready.reduce((best, e) => ((this.#outstanding.get(e.pid) ?? 0) < (this.#outstanding.get(best.pid) ?? 0) ? e : best));
  }

  #one(num: number, kind: SignalChildKind, farm: SignalFarm | null, prefer: ReadonlySet<number> | null): void {
    const all = this.#endpoints(kind);
    const candidates = farm ? all.filter((e) => farm.mules.includes(e.id)) : all;
    const e = this.#pick(candidates, prefer);
    if (e && this.#send(e, num)) {
      this.counters.routed++;
      return;
    }
    if (!this.#sources.has(kind) || (farm === null && kind !== "worker" && this.#expected(kind) === 0)) {
      return this.#refuse(num, `no ${kind} process exists in this instance`);
    }
    this.#enqueue(farm ? `farm:${farm.name}` : `${kind}:*`, num, `${farm ? `farm ${farm.name}` : `any ${kind}`}`);
  }

  /** Every child of `kind` (respawning ones get it queued), or only the running ones `include` accepts. */
  #every(num: number, kind: SignalChildKind, include: ((e: SignalEndpoint) => boolean) | null): void {
    const ids = new Set<number>();
    if (include) {
      for (const e of this.#endpoints(kind)) if (this.#ready(e) && include(e)) ids.add(e.id);
    } else if (this.#sources.has(kind)) {
      for (let id = 1; id <= this.#expected(kind); id++) ids.add(id);
    }
    if (ids.size === 0) return this.#refuse(num, `no ${kind} process exists in this instance`);
    for (const id of [...ids].sort((a, b) => a - b)) this.#exact(num, kind, id);
  }

  #exact(num: number, kind: SignalChildKind, id: number): void {
    const all = this.#endpoints(kind);
    if (!this.#sources.has(kind) || id > this.#expected(kind)) {
      return this.#refuse(num, `there is no ${kind} ${id}`);
    }
    const key = `${kind}:${id}`;
    const e = all.find((x) => x.id === id && this.#ready(x));
    // what waits for it goes first, now (not at the master's next tick, up to 250 ms later)
    if (e && this.#pending.has(key)) this.flush();
    if (e && !this.#pending.has(key) && (this.#outstanding.get(e.pid) ?? 0) < this.limit && this.#send(e, num)) {
      this.counters.routed++;
      return;
    }
    this.#enqueue(key, num, `${kind} ${id}`);
  }

  /** Highest id of `kind` known (endpoints may be missing while respawning). */
  #expected(kind: SignalChildKind): number {
    return this.#slots.get(kind) ?? Math.max(0, ...this.#endpoints(kind).map((e) => e.id));
  }

  readonly #slots = new Map<SignalChildKind, number>();

  /** Declares how many children of `kind` the instance has (ids 1..count), respawning or not. */
  declare(kind: SignalChildKind, count: number): void {
    this.#slots.set(kind, count);
  }

  #enqueue(key: string, num: number, who: string): void {
    const p = this.#pending.get(key) ?? { queue: [] };
    if (p.queue.length >= this.limit) {
      this.counters.unrouted++;
      this.log(`*** SIGNAL QUEUE IS FULL: ${this.limit} signals wait for ${who} (you can tune it with --signal-bufsize) *** signal ${num} dropped`);
      return;
    }
    p.queue.push(num);
    this.#pending.set(key, p);
    this.counters.routed++;
  }

  #refuse(num: number, why: string): void {
    this.counters.unrouted++;
    this.log(`^^^ signal ${num} not routed: ${why} ^^^`);
  }
}
