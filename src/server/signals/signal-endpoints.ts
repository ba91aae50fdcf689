/**
 * The children signals are routed to: every kind of child (workers, mules, spoolers) is offered
 * to the router as {@link SignalEndpoint}s by whoever supervises it; the router reaches them
 * through a {@link SignalLink}.
 * @module
 */

/** Kinds of child processes signals are routed to. */
export type SignalChildKind = "worker" | "mule" | "spooler";

/** One running child process, as the router sees it. */
export interface SignalEndpoint {
  readonly kind: SignalChildKind;
  /** 1-based id within its kind (worker N, mule N, spooler N). */
  readonly id: number;
  /** The process (an endpoint is one incarnation: a respawned child is a new endpoint). */
  readonly pid: number;
  /** Can take signals now: spawned, its code loaded, not leaving. */
  readonly ready: boolean;
  /** Serving requests or handling a message now (one-of targets prefer idle children). */
  readonly busy: boolean;
  /** Counts for `active-workers` (not cheaped, not paused). */
  readonly active: boolean;
}

/** How the router reaches a child process (its signal channel of the process bus). */
export interface SignalLink {
  /** True when child `pid` can be sent signals now. */
  reachable(pid: number): boolean;
  /** Sends "run signal `num`" to child `pid`; false when it cannot be reached. */
  deliver(pid: number, num: number): boolean;
}

/** The children of one kind that exist now. */
export type SignalEndpointSource = () => readonly SignalEndpoint[];

/** A farm: its name and the ids of its mules. */
export interface SignalFarm {
  readonly name: string;
  readonly mules: readonly number[];
}
