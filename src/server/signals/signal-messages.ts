/**
 * What a child asks the master to run for signals: timers, crons and file monitors (sent over the
 * process bus as SIG_SOURCE frames, see signal-frames.ts).
 * @module
 */

/** A timer, cron or file monitor a child asks the master to run. */
export type SignalSourceSpec =
  | { readonly kind: "timer"; readonly num: number; readonly seconds: number }
  | { readonly kind: "ms-timer"; readonly num: number; readonly ms: number }
  | { readonly kind: "rb-timer"; readonly num: number; readonly seconds: number; readonly repeat: number }
  | { readonly kind: "cron"; readonly num: number; readonly minute: number; readonly hour: number; readonly day: number; readonly month: number; readonly weekday: number }
  | { readonly kind: "file-monitor"; readonly num: number; readonly path: string };

/** The key identifying one source for de-duplication (same registration from every worker = one). */
export function sourceKey(spec: SignalSourceSpec): string {
  return JSON.stringify(spec);
}
