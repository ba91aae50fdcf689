/**
 * The IPC messages of master-routed signals, between the master and any child (worker, mule,
 * spooler). Children register handlers' targets, raise signals and add timers, crons and file
 * monitors in the master; the master delivers signals and each child acknowledges every signal
 * once its handler ran (what counts it and frees the child's queue slot).
 * @module
 */

/** A timer, cron or file monitor a child asks the master to run. */
export type SignalSourceSpec =
  | { readonly kind: "timer"; readonly num: number; readonly seconds: number }
  | { readonly kind: "ms-timer"; readonly num: number; readonly ms: number }
  | { readonly kind: "rb-timer"; readonly num: number; readonly seconds: number; readonly repeat: number }
  | { readonly kind: "cron"; readonly num: number; readonly minute: number; readonly hour: number; readonly day: number; readonly month: number; readonly weekday: number }
  | { readonly kind: "file-monitor"; readonly num: number; readonly path: string };

/** Child → master. */
export type ChildSignalMessage =
  /** `register_signal(num, target, fn)` ran in the child. */
  | { readonly t: "sig-register"; readonly num: number; readonly target: string }
  /** `signal(num)`: route it. */
  | { readonly t: "sig-raise"; readonly num: number }
  /** `add_timer` & co. */
  | { readonly t: "sig-source"; readonly spec: SignalSourceSpec }
  /** Signal `num` was handled (`ok` false: no handler, or it threw). */
  | { readonly t: "sig-done"; readonly num: number; readonly ok: boolean };

/** Master → child: run signal `num`. */
export interface SignalDeliveryMessage {
  readonly t: "sig-deliver";
  readonly num: number;
}

const CHILD_TYPES = new Set(["sig-register", "sig-raise", "sig-source", "sig-done"]);

/** True for a {@link ChildSignalMessage}. */
export function isChildSignalMessage(value: unknown): value is ChildSignalMessage {
  return typeof value === "object" && value !== null && CHILD_TYPES.has((value as { t?: unknown }).t as string);
}

/** True for a {@link SignalDeliveryMessage}. */
export function isSignalDelivery(value: unknown): value is SignalDeliveryMessage {
  return typeof value === "object" && value !== null && (value as { t?: unknown }).t === "sig-deliver" && typeof (value as { num?: unknown }).num === "number";
}

/** The key identifying one source for de-duplication (same registration from every worker = one). */
export function sourceKey(spec: SignalSourceSpec): string {
  return JSON.stringify(spec);
}
