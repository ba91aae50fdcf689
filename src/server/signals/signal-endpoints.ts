/**
 * How the master reaches a child process to deliver a signal: every kind of child (workers,
 * mules, spoolers) is offered to the router as {@link SignalEndpoint}s by whoever supervises it.
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
  /** Sends "run signal `num`"; false when the channel is closed. */
  send(num: number): boolean;
}

/** The children of one kind that exist now. */
export type SignalEndpointSource = () => readonly SignalEndpoint[];

/** A farm: its name and the ids of its mules. */
export interface SignalFarm {
  readonly name: string;
  readonly mules: readonly number[];
}
