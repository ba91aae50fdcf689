/**
 * Signal targets: the string given to `register_signal` saying which process(es) the master
 * routes the signal to.
 * @module
 */

/** Where the master delivers a signal. */
export type SignalTarget =
  /** `""`, `worker`, `worker0`: exactly one worker, whichever is free first. */
  | { readonly kind: "worker-any" }
  /** `workers`: every worker. */
  | { readonly kind: "workers" }
  /** `active-workers`: every running worker that is neither cheaped nor paused. */
  | { readonly kind: "active-workers" }
  /** `workerN`: worker N (1-based). */
  | { readonly kind: "worker"; readonly id: number }
  /** `mules`: every mule. */
  | { readonly kind: "mules" }
  /** `mule`, `mule0`: exactly one mule, whichever reads first. */
  | { readonly kind: "mule-any" }
  /** `muleN`: mule N (1-based). */
  | { readonly kind: "mule"; readonly id: number }
  /** `spooler`: one spooler process. */
  | { readonly kind: "spooler" }
  /** `spoolers`: every spooler process (not in uWSGI 2.0.21, where it is an unsupported target). */
  | { readonly kind: "spoolers" }
  /** `farm_NAME`: one mule of the named farm. */
  | { readonly kind: "farm"; readonly name: string }
  /** `farmN`: one mule of the Nth farm (1-based). */
  | { readonly kind: "farm-index"; readonly index: number }
  /** `subscribed`: accepted, delivers nowhere (as in uWSGI). */
  | { readonly kind: "subscribed" };

const SIMPLE: Record<string, SignalTarget> = {
  "": { kind: "worker-any" },
  worker: { kind: "worker-any" },
  workers: { kind: "workers" },
  "active-workers": { kind: "active-workers" },
  mules: { kind: "mules" },
  mule: { kind: "mule-any" },
  spooler: { kind: "spooler" },
  spoolers: { kind: "spoolers" },
  subscribed: { kind: "subscribed" },
};

/**
 * Parses a target string. Returns null for anything uWSGI would route to
 * `UNSUPPORTED SIGNAL TARGET` (uWSGI accepts such targets at registration and drops the signal
 * later; callers here reject them up front). Whether worker/mule/farm N exists is checked when
 * routing, not here.
 * @example
 * parseSignalTarget("worker2"); // { kind: "worker", id: 2 }
 * parseSignalTarget("farm_jobs"); // { kind: "farm", name: "jobs" }
 */
export function parseSignalTarget(text: string): SignalTarget | null {
  if (Object.hasOwn(SIMPLE, text)) return SIMPLE[text]!;
  if (text.startsWith("farm_")) return text.length > 5 ? { kind: "farm", name: text.slice(5) } : null;
  const m = /^(worker|mule|farm)(\d{1,9})$/.exec(text);
  if (!m) return null;
  const n = Number(m[2]);
  switch (m[1]) {
    case "worker":
      return n === 0 ? { kind: "worker-any" } : { kind: "worker", id: n };
    case "mule":
      return n === 0 ? { kind: "mule-any" } : { kind: "mule", id: n };
    default:
      return n === 0 ? null : { kind: "farm-index", index: n };
  }
}

/** The canonical string of a target (`worker-any` is `""`, uWSGI's default). */
export function formatSignalTarget(target: SignalTarget): string {
  switch (target.kind) {
    case "worker-any":
      return "";
    case "worker":
      return `worker${target.id}`;
    case "mule-any":
      return "mule";
    case "mule":
      return `mule${target.id}`;
    case "farm":
      return `farm_${target.name}`;
    case "farm-index":
      return `farm${target.index}`;
    default:
      return target.kind;
  }
}
