/**
 * Command crons, run by the master: `--cron`, `--unique-cron`, `--cron2`, `--legion-cron`
 * (alias `--cron-legion`) and `--unique-legion-cron` (alias `--unique-cron-legion`). Each entry
 * runs its command through `/bin/sh -c` at most once per matching minute; a unique entry is
 * skipped while its previous run is alive; a legion entry runs only while this instance is the
 * Lord of that legion; `--cron-harakiri` (or `harakiri=` of `--cron2`) kills a run that lasts too
 * long. The stats document lists them as uWSGI does (`crons`).
 * @module
 */
import { spawn, type ChildProcess } from "node:child_process";
import type { OptionSet } from "../../config/option-set.js";
import { type CommandCron, parseCron2Option, parseCronOption } from "../../engines/cron/cron-options.js";
import { CronTracker } from "../../engines/cron/cron-tracker.js";
import { UwsgiError } from "../../errors.js";
import type { StatsCron } from "../stats/stats-snapshot.js";

/** Options read here, in the order entries are listed. */
const OPTIONS = ["cron", "unique-cron", "cron2", "legion-cron", "unique-legion-cron"] as const;

/** What the crons need from the master. */
export interface CommandCronHost {
  log(line: string): void;
  /** True while this instance is Lord of legion `name`. */
  isLord(name: string): boolean;
  /** True when this instance declares legion `name`. */
  hasLegion(name: string): boolean;
}

interface Entry {
  readonly cron: CommandCron;
  readonly tracker: CronTracker;
  child: ChildProcess | null;
  startedAt: number;
  killTimer: NodeJS.Timeout | null;
  /** Epoch minute of a matching minute a legion cron let pass while not Lord (-1 = none). */
  pendingMinute: number;
}

/** The instance's command crons. */
export class CommandCrons {
  readonly #entries: Entry[];
  readonly #host: CommandCronHost;
  readonly #harakiri: number;
  #timer: NodeJS.Timeout | null = null;

  /**
   * Reads the cron options (in option order).
   * @throws UwsgiError UWSGI_ERR_OPTION_VALUE naming a bad entry, or a legion no `--legion` declares.
   */
  constructor(options: OptionSet, host: CommandCronHost, now = Date.now()) {
    this.#host = host;
    const harakiri = options.get("cron-harakiri");
    this.#harakiri = harakiri === undefined || harakiri === true ? 0 : Number(harakiri);
    this.#entries = [];
    for (const e of options.entries) {
      if (!(OPTIONS as readonly string[]).includes(e.name)) continue;
      const value = e.value === true ? "" : e.value;
      const cron = e.name === "cron2" ? parseCron2Option(value) : parseCronOption(e.name as "cron" | "unique-cron" | "legion-cron" | "unique-legion-cron", value);
      if (cron.legion !== null && !host.hasLegion(cron.legion)) {
        throw new UwsgiError("UWSGI_ERR_OPTION_VALUE", e.name, `legion ${JSON.stringify(cron.legion)} is not declared (--legion, --legion-mcast or --legion-redis)`);
      }
      this.#entries.push({ cron, tracker: new CronTracker(cron.fields, now), child: null, startedAt: 0, killTimer: null, pendingMinute: -1 });
    }
  }

  get empty(): boolean {
    return this.#entries.length === 0;
  }

  /** Evaluates the crons now and then at the start of every minute. */
  start(): void {
    if (this.empty) return;
    this.tick();
  }

  /** Runs what is due now; schedules the next evaluation. */
  tick(now = Date.now()): void {
    const minute = Math.floor(now / 60_000);
    for (const e of this.#entries) {
      const due = e.tracker.due(now).length > 0;
      if (e.cron.legion !== null && !this.#host.isLord(e.cron.legion)) {
        // not Lord: a matching minute stays runnable while it lasts, should this node become Lord in it
        if (due) e.pendingMinute = minute;
        continue;
      }
      // minutes missed (a clock jump) run once, not once each
      if (due || e.pendingMinute === minute) {
        e.pendingMinute = -1;
        this.#run(e);
      }
    }
    if (this.#timer) clearTimeout(this.#timer);
    const next = Math.min(...this.#entries.map((e) => e.tracker.nextCheckMs()));
    // legion crons are re-checked every second, so a new Lord runs a due entry in the same minute
    const wait = this.#entries.some((e) => e.cron.legion !== null) ? Math.min(1000, next - now) : next - now;
    this.#timer = setTimeout(() => this.tick(), Math.max(50, wait));
    this.#timer.unref();
  }

  #run(e: Entry): void {
    const cmd = e.cron.command;
    if (e.cron.unique && e.child) {
      this.#host.log(`[uwsgi-cron] command "${cmd}" is still running (pid ${e.child.pid}): skipped (unique cron)`);
      return;
    }
    const child = spawn("/bin/sh", ["-c", cmd], { stdio: ["ignore", "inherit", "inherit"] });
    const started = Date.now();
    this.#host.log(`[uwsgi-cron] running "${cmd}" (pid ${child.pid})`);
    e.child = child;
    e.startedAt = Math.floor(started / 1000);
    const harakiri = e.cron.harakiri ?? this.#harakiri;
    if (harakiri > 0) {
      e.killTimer = setTimeout(() => {
        this.#host.log(`[uwsgi-cron] command "${cmd}" (pid ${child.pid}) ran for ${harakiri} second(s): killing it (--cron-harakiri)`);
        child.kill("SIGKILL");
      }, harakiri * 1000);
      e.killTimer.unref();
    }
    const done = (how: string): void => {
      if (e.child !== child) return;
      if (e.killTimer) clearTimeout(e.killTimer);
      e.killTimer = null;
      e.child = null;
      this.#host.log(`[uwsgi-cron] command "${cmd}" running with pid ${child.pid} ${how} after ${Math.round((Date.now() - started) / 1000)} second(s)`);
    };
    child.on("error", (err) => done(`failed: ${err.message}`));
    child.on("exit", (code, signal) => done(signal ? `killed by ${signal}` : `exited with code ${code}`));
  }

  /** The stats document's `crons` (undefined without command crons). */
  stats(): StatsCron[] | undefined {
    if (this.empty) return undefined;
    return this.#entries.map((e) => ({
      minute: e.cron.fields.minute,
      hour: e.cron.fields.hour,
      day: e.cron.fields.day,
      month: e.cron.fields.month,
      week: e.cron.fields.weekday,
      command: e.cron.command,
      unique: e.cron.unique ? 1 : 0,
      legion: e.cron.legion ?? "",
      pid: e.child?.pid ?? -1,
      started_at: e.startedAt,
    }));
  }

  /** Stops evaluating (running commands are left to finish). */
  stop(): void {
    if (this.#timer) clearTimeout(this.#timer);
    this.#timer = null;
  }
}
