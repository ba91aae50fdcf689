/**
 * uWSGI's cheaper algorithms (core/master_utils.c), run by the master once a second in cheaper
 * mode. Each returns how many workers to add (> 0), to remove (-1, the master then stops its
 * oldest idle worker gracefully) or 0.
 *
 * - `spare` (the default): when every running worker is busy, an overload counter grows (and
 *   shrinks by one per check with an idle worker); once it exceeds `--cheaper-overload`, up to
 *   `--cheaper-step` workers are added. With no overload left, a worker is removed every
 *   `--cheaper-overload` checks while more than `--cheaper` run, unless exactly one is idle
 *   (the stable state: one spare worker).
 * - `backlog`: adds up to `--cheaper-step` workers while the sockets' listen queue is longer than
 *   `--cheaper-overload`, removes one per check while it is shorter and more than `--cheaper` run.
 * - `manual`: never changes anything by itself; the master FIFO's `+` and `-` do.
 * @module
 */

/** The names `--cheaper-algo` accepts. */
export const CHEAPER_ALGOS = ["spare", "backlog", "manual"] as const;
export type CheaperAlgoName = (typeof CHEAPER_ALGOS)[number];

/** What an algorithm sees at each check. */
export interface CheaperView {
  /** Running (not cheaped) workers. */
  readonly active: number;
  /** Running workers serving a request now. */
  readonly busy: number;
  /** Worker slots without a process that may be started. */
  readonly cheaped: number;
  /** Longest listen queue among the sockets. */
  readonly backlog: number;
}

/** The cheaper settings an algorithm needs. */
export interface CheaperLimits {
  /** `--cheaper`: the fewest workers kept running. */
  readonly min: number;
  /** `--cheaper-step`: the most workers added at once. */
  readonly step: number;
  /** `--cheaper-overload`: checks (spare) or queued connections (backlog). */
  readonly overload: number;
}

/** One algorithm with its state between checks. */
export type CheaperAlgo = (view: CheaperView) => number;

/** Creates a fresh instance of the named algorithm. */
export function createCheaperAlgo(name: CheaperAlgoName, limits: CheaperLimits): CheaperAlgo {
  switch (name) {
    case "spare":
      return spareAlgo(limits);
    case "backlog":
      return backlogAlgo(limits);
    case "manual":
      return () => 0;
  }
}

function spareAlgo(limits: CheaperLimits): CheaperAlgo {
  let overloadCount = 0;
  let idleCount = 0;
  return (view) => {
    if (view.active > view.busy) {
      if (overloadCount > 0) overloadCount--;
    } else {
      overloadCount++;
      idleCount = 0;
    }
    if (view.cheaped > 0 && overloadCount > limits.overload) {
      overloadCount = 0;
      return Math.min(limits.step, view.cheaped);
    }
    if (overloadCount === 0) {
      if (view.active > view.busy && view.active - view.busy === 1) return 0;
      idleCount++;
      if (view.active > limits.min && idleCount % Math.max(1, limits.overload) === 0) return -1;
    }
    return 0;
  };
}

function backlogAlgo(limits: CheaperLimits): CheaperAlgo {
  return (view) => {
    if (view.cheaped > 0 && view.backlog > limits.overload) return Math.min(limits.step, view.cheaped);
    if (view.backlog < limits.overload && view.active > limits.min) return -1;
    return 0;
  };
}
