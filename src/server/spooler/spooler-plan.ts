/**
 * What the master tells its children about the spoolers, through their environment: every child
 * gets the spool directories and the spooler pids (for `spool()`, `spooler_pids()` ...); a
 * spooler process also gets its own plan. Decided once in the master (directories created and
 * resolved to their real paths there), never re-derived in a child.
 * @module
 */
import type { AppSpec } from "../server-settings.js";
import type { RetryPolicy } from "../../engines/spooler/spool-attempts.js";

/** The spooler view every child of the master gets. */
export interface SpoolerDirectory {
  /** Spool directories by real path, in configuration order (the first is the default target); external ones included. */
  readonly dirs: readonly string[];
  /** Spooler process pids in configuration order (one per process; 0 while one is not running). */
  readonly pids: readonly number[];
}

/** What one spooler process runs. */
export interface SpoolerPlan {
  /** 1-based position among the spooler processes. */
  readonly id: number;
  /** The directory it scans (real path). */
  readonly dir: string;
  /** The app module, imported for `uwsgi.spooler` unless `imports` are given. */
  readonly app: AppSpec | null;
  /** `--spooler-import` modules (absolute paths), loaded instead of the app. */
  readonly imports: readonly string[];
  /** `--spooler-frequency` (s). */
  readonly frequency: number;
  /** The `set_spooler_frequency()` override in force when it was spawned (0 = none). */
  readonly frequencyOverride: number;
  /** `--spooler-max-tasks` (0 = never recycle). */
  readonly maxTasks: number;
  /** `--spooler-chdir`, or null (tasks then run in the spool directory, as in uWSGI). */
  readonly chdir: string | null;
  /** `--spooler-quiet`. */
  readonly quiet: boolean;
  /** Failed-task handling (`--spooler-max-retries`). */
  readonly retry: RetryPolicy;
  /** The shared-memory region of its running board (spooler-board.ts), or null: report over IPC. */
  readonly board?: string | null;
}

/** Environment variable names. */
export const SPOOLER_ENV = {
  directory: "UWSGI_NODE_SPOOLERS",
  plan: "UWSGI_NODE_SPOOLER_PLAN",
} as const;

/** Reads the spooler view of this process, or null when it has none (no master, or no spooler). */
export function readSpoolerDirectory(env: NodeJS.ProcessEnv = process.env): SpoolerDirectory | null {
  const raw = env[SPOOLER_ENV.directory];
  if (!raw) return null;
  try {
    const parsed = JSON.parse(raw) as SpoolerDirectory;
    return Array.isArray(parsed.dirs) && Array.isArray(parsed.pids) ? parsed : null;
  } catch {
    return null;
  }
}

/** Reads this spooler process's plan, or null outside a spooler. */
export function readSpoolerPlan(env: NodeJS.ProcessEnv = process.env): SpoolerPlan | null {
  const raw = env[SPOOLER_ENV.plan];
  if (!raw) return null;
  try {
    return JSON.parse(raw) as SpoolerPlan;
  } catch {
    return null;
  }
}
