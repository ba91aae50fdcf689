/**
 * The loop of one spooler process (uWSGI's core/spooler.c `spooler`): scan the directory, run
 * every task whose time has come (one at a time, each under its fcntl lock), then wait for a
 * wake-up from the master (a task was spooled) or the scan period, whichever comes first.
 *
 * The wait also ends when the earliest task not yet due (a later `at`, a retry backing off)
 * becomes due, so such tasks run on time rather than up to a scan period late. A pass that finished
 * a task (its file removed) is followed by another at once: tasks spooled meanwhile run without
 * waiting for a wake-up (a burst in one event-loop turn of a worker wakes the spooler once, at
 * its first task), and a pass that removes nothing ends the chase.
 * @module
 */
import { chdir } from "node:process";
import type { SpoolerFunction } from "../../api.js";
import type { RetryPolicy } from "../../engines/spooler/spool-attempts.js";
import { scanSpoolDir } from "../../engines/spooler/spool-scan.js";
import { runSpoolTask, type SpoolOutcome, type TaskClaimer } from "../../engines/spooler/spool-task-runner.js";

/** What a {@link SpoolerLoop} runs on. */
export interface SpoolerLoopConfig {
  readonly dir: string;
  /** `--spooler-frequency` (s). */
  readonly frequency: number;
  /** Initial `set_spooler_frequency()` override (s, 0 = none). */
  readonly frequencyOverride?: number;
  /** Tasks after which the loop ends so the process is replaced (0 = never). */
  readonly maxTasks: number;
  /** Directory tasks run in; null = the spool directory (uWSGI's behaviour). */
  readonly chdir: string | null;
  readonly quiet: boolean;
  readonly retry: RetryPolicy;
  readonly claim: TaskClaimer;
  /** The current `uwsgi.spooler`. */
  readonly callable: () => SpoolerFunction | null;
  readonly log: (line: string) => void;
  /** A task starts (the master arms `--spooler-harakiri` and shows `running`). */
  readonly onRunning?: (path: string, since: number, tasks: number) => void;
  /** The loop waits for work. */
  readonly onIdle?: (tasks: number) => void;
  /** Every task outcome (tests, logging). */
  readonly onOutcome?: (outcome: SpoolOutcome) => void;
}

/** Why {@link SpoolerLoop.run} returned. */
export type SpoolerLoopEnd = "stopped" | "max-tasks";

/** One spooler process's scan-and-run loop. */
export class SpoolerLoop {
  readonly #cfg: SpoolerLoopConfig;
  #override: number;
  #wakeups = 0;
  #stopping = false;
  #wakeWaiter: (() => void) | null = null;
  /** Tasks handled (the stats `tasks` field): every run that was not IGNORE / skipped. */
  tasks = 0;

  constructor(cfg: SpoolerLoopConfig) {
    this.#cfg = cfg;
    this.#override = cfg.frequencyOverride ?? 0;
  }

  /** Seconds between scans now. */
  get frequency(): number {
    return this.#override || this.#cfg.frequency;
  }

  /** `set_spooler_frequency`: 0 restores the configured period. Takes effect at the next wait. */
  setFrequency(seconds: number): void {
    this.#override = seconds;
    this.#interrupt();
  }

  /** A task was spooled: scan again as soon as the current pass ends. */
  wake(): void {
    this.#wakeups++;
    this.#interrupt();
  }

  /** Ends the loop after the task in hand. */
  stop(): void {
    this.#stopping = true;
    this.#interrupt();
  }

  #interrupt(): void {
    const w = this.#wakeWaiter;
    this.#wakeWaiter = null;
    w?.();
  }

  /** Runs until stopped or recycled. */
  async run(): Promise<SpoolerLoopEnd> {
    const cfg = this.#cfg;
    for (;;) {
      if (this.#stopping) return "stopped";
      this.#wakeups = 0;
      // the scan lists the task files without a stat each: the claim reads each one's time under
      // its lock (after a writer's futimes, so an `at` is never missed) and leaves it if not due
      const passAt = Date.now();
      const scan = scanSpoolDir(cfg.dir, passAt, { checkTimes: false });
      let nextDueMs: number | null = null;
      let finished = 0;
      for (const path of scan.due) {
        if (this.#stopping) return "stopped";
        const outcome = await this.#runOne(path, scan.attempted.has(path), passAt);
        if (outcome.status === "waiting") {
          if (nextDueMs === null || outcome.dueAtMs! < nextDueMs) nextDueMs = outcome.dueAtMs!;
          continue;
        }
        if (outcome.status === "skipped" || outcome.status === "malformed") continue;
        if (outcome.status === "done") finished++;
        if (cfg.maxTasks > 0 && this.tasks >= cfg.maxTasks) return "max-tasks";
      }
      if (this.#stopping) return "stopped";
      if (this.#wakeups > 0 || finished > 0) continue;
      cfg.onIdle?.(this.tasks);
      let waitMs = this.frequency * 1000;
      if (nextDueMs !== null) waitMs = Math.min(waitMs, Math.max(0, nextDueMs - Date.now()));
      await this.#wait(waitMs);
    }
  }

  async #runOne(path: string, attempted: boolean, dueBy: number): Promise<SpoolOutcome> {
    const cfg = this.#cfg;
    let started = 0;
    const outcome = await runSpoolTask(path, cfg.callable(), (line, err) => cfg.log(err ? `${line}: ${describe(err)}` : line), {
      claim: cfg.claim,
      retry: cfg.retry,
      root: cfg.dir,
      attempted,
      dueBy,
      beforeRun: () => {
        started = Date.now();
        if (!cfg.quiet) cfg.log(`[spooler ${cfg.dir} pid: ${process.pid}] managing request ${path} ...`);
        // Tasks run in --spooler-chdir, else in the spool directory (uWSGI chdirs there every pass).
        const cwd = cfg.chdir ?? cfg.dir;
        if (process.cwd() !== cwd) {
          try {
            chdir(cwd);
          } catch (err) {
            cfg.log(`[spooler] chdir(${cwd}): ${(err as Error).message}`);
          }
        }
        cfg.onRunning?.(path, started, this.tasks);
      },
    });
    // uWSGI counts every result a language handled (not IGNORE) towards tasks and --spooler-max-tasks.
    if (started > 0 && outcome.status !== "ignored") this.tasks++;
    if (outcome.status === "done" && !cfg.quiet) {
      cfg.log(`[spooler ${cfg.dir} pid: ${process.pid}] done with task ${path} after ${Math.round((Date.now() - started) / 1000)} seconds`);
    }
    if (outcome.status !== "waiting") cfg.onOutcome?.(outcome);
    return outcome;
  }

  #wait(ms: number): Promise<void> {
    return new Promise((resolve) => {
      const timer = setTimeout(done, ms);
      function done(): void {
        clearTimeout(timer);
        resolve();
      }
      this.#wakeWaiter = done;
    });
  }
}

function describe(err: unknown): string {
  return err instanceof Error ? (err.stack ?? err.message) : String(err);
}
