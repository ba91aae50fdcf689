/**
 * IPC messages of the spooler subsystem, over the Node channel every child shares with the
 * master. Type tags start with `spooler-` so they never collide with the worker protocol
 * (ipc-messages.ts); the master hands every child message to the spooler supervisor, which keeps
 * the ones that are its own.
 * @module
 */

/** Any child → master: a task was written into `dir`; wake its spoolers now. */
export interface SpoolerWakeRequest {
  t: "spooler-wake";
  dir: string;
}

/** Any child → master: `set_spooler_frequency(seconds)` (0 restores the configured period). */
export interface SpoolerFrequencyRequest {
  t: "spooler-frequency";
  seconds: number;
}

/** Spooler → master: the app (or the --spooler-import modules) is loaded; scanning starts. */
export interface SpoolerReady {
  t: "spooler-ready";
}

/** Spooler → master: it runs the task in `path` since `since` (unix ms); `tasks` handled so far. */
export interface SpoolerRunning {
  t: "spooler-running";
  path: string;
  since: number;
  tasks: number;
}

/** Spooler → master: it waits for work; `tasks` handled so far. */
export interface SpoolerIdle {
  t: "spooler-idle";
  tasks: number;
}

/** Spooler → master: it leaves to be replaced at once (`--spooler-max-tasks`). */
export interface SpoolerRetire {
  t: "spooler-retire";
  reason: string;
}

/** Messages the master receives from its children about spooling. */
export type SpoolerChildMessage = SpoolerWakeRequest | SpoolerFrequencyRequest | SpoolerReady | SpoolerRunning | SpoolerIdle | SpoolerRetire;

/** Master → spooler: scan now. */
export interface SpoolerWake {
  t: "spooler-wake";
}

/** Master → spooler: the scan period override changed (0 = the configured period). */
export interface SpoolerFrequency {
  t: "spooler-frequency";
  seconds: number;
}

/** Master → spooler: finish the task in hand, then exit. */
export interface SpoolerStop {
  t: "stop";
}

/** Master → every child: the spooler processes' pids changed (in configuration order; 0 = not running). */
export interface SpoolerPids {
  t: "spooler-pids";
  pids: number[];
}

/** Messages the master sends about spooling. */
export type SpoolerMasterMessage = SpoolerWake | SpoolerFrequency | SpoolerStop | SpoolerPids;

const CHILD_TAGS = new Set(["spooler-wake", "spooler-frequency", "spooler-ready", "spooler-running", "spooler-idle", "spooler-retire"]);
const MASTER_TAGS = new Set(["spooler-wake", "spooler-frequency", "stop", "spooler-pids"]);

function tagOf(value: unknown): string | undefined {
  if (typeof value !== "object" || value === null) return undefined;
  const t = (value as { t?: unknown }).t;
  return typeof t === "string" ? t : undefined;
}

/** True for a message a child sends about spooling. */
export function isSpoolerChildMessage(value: unknown): value is SpoolerChildMessage {
  return CHILD_TAGS.has(tagOf(value) ?? "");
}

/** True for a message the master sends about spooling. */
export function isSpoolerMasterMessage(value: unknown): value is SpoolerMasterMessage {
  return MASTER_TAGS.has(tagOf(value) ?? "");
}
