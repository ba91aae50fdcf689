/**
 * The master's side of the spoolers: it creates the spool directories, spawns `--spooler-processes`
 * processes per `--spooler DIR` (before the workers, as uWSGI does), respawns them when they die
 * (with the workers' backoff when they die young), replaces them on reload, kills one whose task
 * outlives `--spooler-harakiri`, routes wake-ups ("a task was spooled into DIR") and
 * `set_spooler_frequency` from any child to them, tells every child the spooler pids, and gives
 * the stats document its `spoolers` section.
 *
 * A spooler that dies while running a task leaves the task file in place (at-least-once); the
 * supervisor counts that run as a failed attempt, so a task that kills its spooler every time
 * still ends in the failed folder instead of looping forever.
 * @module
 */
import { fork, type ChildProcess } from "node:child_process";
import { closeSync, mkdirSync, openSync, realpathSync } from "node:fs";
import { constants } from "node:os";
import type { Readable } from "node:stream";
import { UwsgiError } from "../../errors.js";
import type { InstanceConfig } from "../../config/instance-config.js";
import { type RetryPolicy, applyFailure, retryPolicy } from "../../engines/spooler/spool-attempts.js";
import { tryLockFile } from "../../native/file-lock.js";
import { RespawnBackoff } from "../respawn-backoff.js";
import type { AppSpec } from "../server-settings.js";
import type { StatsLock, StatsSpooler } from "../stats/stats-snapshot.js";
import type { SignalEndpoint } from "../signals/signal-endpoints.js";
import { isSpoolerChildMessage, type SpoolerChildMessage, type SpoolerMasterMessage } from "./spooler-messages.js";
import { SPOOLER_ENV, type SpoolerDirectory, type SpoolerPlan } from "./spooler-plan.js";
import { SpoolerBoard } from "./spooler-board.js";
import { ENV } from "../child-environment.js";

/** The master's Node flags, minus the inspector ones (children would fight for its port). */
const CHILD_EXEC_ARGV = process.execArgv.filter((a) => !/^--(inspect|debug)/.test(a));

/** What the supervisor needs from the master. */
export interface SpoolerSupervisorOptions {
  readonly config: InstanceConfig;
  readonly app: AppSpec | null;
  /** The environment of spooler process `id` (role, identity, instance facts; the spooler view is added here). */
  readonly env: (id: number) => NodeJS.ProcessEnv;
  /** Absolute path of the spooler entry script. */
  readonly entry: string;
  /** Seconds a stopping spooler may take to finish its task. */
  readonly mercySeconds: number;
  readonly log: (line: string) => void;
  /** Copies a child's output into the instance log. */
  readonly collect: (stream: Readable | null) => void;
  /** Marks the locks a dead process held for recovery; returns how many. */
  readonly releaseLocksOf: (pid: number) => number;
  /** Sends a message to every other child (workers, mules). */
  readonly broadcast: (msg: SpoolerMasterMessage) => void;
  /** A spooler process exited (the master forgets its signals and checks whether it has finished stopping). */
  readonly onExit: (pid: number) => void;
  /** A spooler's message that is not about spooling (`uwsgi.alarm`, signals): the master's. */
  readonly onOtherMessage?: (child: { kind: "spooler"; id: number; pid: number }, msg: unknown) => void;
  /** What a new spooler process is sent right after its fork (state it reads, e.g. the legions); null: nothing. */
  readonly greeting?: () => object | null;
  /** A spooler became ready (its code is loaded): the master sends it the signals waiting for it. */
  readonly onReady?: () => void;
}

/** One spooler process, as the master sees it. */
class SpoolerProcess {
  readonly pid: number;
  readonly spawnedAt = Date.now();
  ready = false;
  exited = false;
  /** The task it reported over IPC (when it has no board) and since when (unix ms). */
  reported: { path: string; since: number } | null = null;
  stopDeadline = 0;
  retired = false;
  /** When `--spooler-harakiri` killed it (0: not). */
  harakiriAt = 0;
  /** A wake-up was sent and the process has not gone idle since. */
  wakeSent = false;
  /** A wake-up was held back meanwhile: send it when the process goes idle. */
  wakeMissed = false;

  constructor(
    readonly child: ChildProcess,
    readonly slot: SpoolerSlot,
    /** Where it writes what it runs (null: it reports over IPC). */
    readonly board: SpoolerBoard | null,
  ) {
    this.pid = child.pid ?? 0;
  }

  /** The task it runs and since when (unix ms); null when idle. */
  get running(): { path: string; since: number } | null {
    return this.board ? this.board.read().running : this.reported;
  }

  /** The current process of its position: the tasks it has handled into the position's count. */
  syncTasks(): void {
    if (this.board && this.slot.current === this) this.slot.liveTasks = this.board.read().tasks;
  }

  send(msg: SpoolerMasterMessage): boolean {
    if (this.exited || !this.child.connected) return false;
    this.child.send(msg, () => undefined);
    return true;
  }
}

/** A spooler position (one per process of a `--spooler` line), outliving its processes. */
class SpoolerSlot {
  current: SpoolerProcess | null = null;
  /** Older processes finishing their task after a reload or recycle. */
  readonly draining = new Set<SpoolerProcess>();
  spawns = 0;
  /** Tasks handled by processes that exited. */
  closedTasks = 0;
  readonly backoff = new RespawnBackoff();
  respawnTimer: NodeJS.Timeout | null = null;
  /** Tasks handled by the current process (from its reports). */
  liveTasks = 0;

  constructor(
    readonly id: number,
    readonly dir: string,
  ) {}

  processes(): SpoolerProcess[] {
    return [...(this.current ? [this.current] : []), ...this.draining];
  }
}

/** Creates `dir` (mode 0750) if missing and returns its real path, as uWSGI stores it. */
function spoolDirectory(dir: string, option: string): string {
  try {
    mkdirSync(dir, { recursive: true, mode: 0o750 });
    return realpathSync(dir);
  } catch (err) {
    throw new UwsgiError("UWSGI_ERR_OPTION_VALUE", option, `cannot use spool directory ${dir}: ${(err as Error).message}`);
  }
}

/** Spawns and keeps the spooler processes. */
export class SpoolerSupervisor {
  readonly #opts: SpoolerSupervisorOptions;
  readonly #slots: SpoolerSlot[] = [];
  /** Every spool directory (real paths, configuration order, external ones included). */
  readonly dirs: readonly string[];
  readonly #retry: RetryPolicy;
  #frequencyOverride = 0;
  #state: "idle" | "running" | "stopping" = "idle";

  /**
   * Creates the spool directories.
   * @throws UwsgiError UWSGI_ERR_OPTION_VALUE naming `--spooler` when a directory cannot be made.
   */
  constructor(opts: SpoolerSupervisorOptions) {
    this.#opts = opts;
    const dirs: string[] = [];
    for (const s of opts.config.spoolers) {
      const real = spoolDirectory(s.dir, s.external ? "spooler-external" : "spooler");
      if (!dirs.includes(real)) dirs.push(real);
      if (s.external) continue;
      for (let i = 0; i < s.processes; i++) this.#slots.push(new SpoolerSlot(this.#slots.length + 1, real));
    }
    this.dirs = dirs;
    this.#retry = retryPolicy(opts.config.spoolerMaxRetries, opts.config.spoolerFrequency);
  }

  /** True when at least one spooler process is configured. */
  get active(): boolean {
    return this.#slots.length > 0;
  }

  /** Spawns every spooler process. */
  start(): void {
    this.#state = "running";
    if (this.#slots.length > 0 && this.#opts.config.options.has("spooler-ordered")) {
      this.#opts.log("spooler: --spooler-ordered is how uwsgi-node always runs tasks (priority directories by number, then version order)");
    }
    for (const slot of this.#slots) slot.current = this.#spawn(slot, "first");
    this.#announcePids();
  }

  /** Sends `msg` to every live spooler process (master state they keep a copy of, e.g. the legions). */
  broadcast(msg: object): void {
    for (const slot of this.#slots) {
      for (const proc of slot.processes()) if (!proc.exited && proc.child.connected) proc.child.send(msg, () => undefined);
    }
  }

  /** The running spooler processes (one per position), for the master's signal router. */
  signalEndpoints(): SignalEndpoint[] {
    const out: SignalEndpoint[] = [];
    for (const slot of this.#slots) {
      const proc = slot.current;
      if (!proc || proc.exited) continue;
      out.push({
        kind: "spooler",
        id: slot.id,
        pid: proc.pid,
        ready: proc.ready && !proc.stopDeadline && !proc.retired && proc.child.connected,
        busy: proc.running !== null,
        active: true,
      });
    }
    return out;
  }

  /** Number of spooler positions (ids 1..count). */
  get count(): number {
    return this.#slots.length;
  }

  /** Pids in configuration order (0 for a position whose process is not running). */
  pids(): number[] {
    return this.#slots.map((s) => (s.current && !s.current.exited ? s.current.pid : 0));
  }

  /** Environment entries for a child the master spawns (the spooler view it starts with). */
  childEnv(): Record<string, string> {
    if (this.dirs.length === 0) return {};
    const view: SpoolerDirectory = { dirs: this.dirs, pids: this.pids() };
    return { [SPOOLER_ENV.directory]: JSON.stringify(view) };
  }

  #plan(slot: SpoolerSlot): SpoolerPlan {
    const c = this.#opts.config;
    return {
      id: slot.id,
      dir: slot.dir,
      app: this.#opts.app,
      imports: c.spoolerImports,
      frequency: c.spoolerFrequency,
      frequencyOverride: this.#frequencyOverride,
      maxTasks: c.spoolerMaxTasks,
      chdir: c.spoolerChdir,
      quiet: c.spoolerQuiet,
      retry: this.#retry,
    };
  }

  #spawn(slot: SpoolerSlot, why: "first" | "respawn" | "reload"): SpoolerProcess {
    const base = this.#opts.env(slot.id);
    const instance = base[ENV.instance];
    const board = instance ? SpoolerBoard.create(instance, slot.id, slot.spawns + 1) : null;
    const env = {
      ...base,
      ...this.childEnv(),
      [SPOOLER_ENV.plan]: JSON.stringify({ ...this.#plan(slot), board: board?.region.name ?? null }),
    };
    let child: ChildProcess;
    try {
      child = fork(this.#opts.entry, [], { stdio: ["ignore", "pipe", "pipe", "ipc"], env, execArgv: CHILD_EXEC_ARGV });
    } catch (err) {
      board?.region.unlink();
      throw err;
    }
    const proc = new SpoolerProcess(child, slot, board);
    slot.spawns++;
    slot.liveTasks = 0;
    this.#opts.collect(child.stdout);
    this.#opts.collect(child.stderr);
    child.on("message", (msg: unknown) => {
      if (isSpoolerChildMessage(msg)) this.#fromSpooler(proc, msg);
      else this.#opts.onOtherMessage?.({ kind: "spooler", id: slot.id, pid: proc.pid }, msg);
    });
    const greeting = this.#opts.greeting?.();
    if (greeting) child.send(greeting, () => undefined);
    child.on("error", (err) => this.#opts.log(`spooler ${slot.id}: ${err.message}`));
    child.on("exit", (code, signal) => this.#onExit(proc, code, signal));
    this.#opts.log(`${why === "respawn" ? "respawned" : "spawned"} the uWSGI spooler on dir ${slot.dir} with pid ${proc.pid}`);
    return proc;
  }

  // ------------------------------------------------------------------ messages ---------------

  /**
   * Handles a message from any child (worker, mule, spooler): wake-ups and frequency changes.
   * Returns true when it was a spooler message.
   */
  onChildMessage(msg: unknown): boolean {
    if (!isSpoolerChildMessage(msg)) return false;
    if (msg.t === "spooler-wake") this.#wake(msg.dir);
    else if (msg.t === "spooler-frequency") this.#setFrequency(msg.seconds);
    return true;
  }

  #fromSpooler(proc: SpoolerProcess, msg: SpoolerChildMessage): void {
    const slot = proc.slot;
    switch (msg.t) {
      case "spooler-wake":
      case "spooler-frequency":
        this.onChildMessage(msg);
        break;
      case "spooler-ready":
        proc.ready = true;
        slot.backoff.reset();
        this.#opts.onReady?.();
        break;
      case "spooler-running":
        proc.reported = { path: msg.path, since: msg.since };
        if (slot.current === proc) slot.liveTasks = msg.tasks;
        break;
      case "spooler-idle":
        proc.reported = null;
        if (slot.current === proc) slot.liveTasks = msg.tasks;
        proc.wakeSent = false;
        if (proc.wakeMissed) {
          proc.wakeMissed = false;
          this.#wakeOne(proc);
        }
        break;
      case "spooler-retire":
        proc.syncTasks();
        proc.retired = true;
        this.#opts.log(`spooler ${slot.id} (pid: ${proc.pid}) is recycled: ${msg.reason}`);
        if (slot.current === proc && this.#state === "running") {
          slot.closedTasks += slot.liveTasks;
          slot.liveTasks = 0;
          slot.current = null;
          slot.draining.add(proc);
          slot.current = this.#spawn(slot, "respawn");
          this.#announcePids();
        }
        break;
    }
  }

  #wake(dir: string): void {
    for (const slot of this.#slots) {
      if (slot.dir !== dir) continue;
      const proc = slot.current;
      if (proc && !proc.exited) this.#wakeOne(proc);
    }
  }

  /** Sends one wake-up, or remembers it when one is already on its way (sent once the process goes idle). */
  #wakeOne(proc: SpoolerProcess): void {
    if (proc.wakeSent) {
      proc.wakeMissed = true;
      return;
    }
    proc.wakeSent = true;
    proc.send({ t: "spooler-wake" });
  }

  #setFrequency(seconds: number): void {
    if (!Number.isInteger(seconds) || seconds < 0) return;
    this.#frequencyOverride = seconds;
    for (const slot of this.#slots) for (const proc of slot.processes()) proc.send({ t: "spooler-frequency", seconds });
  }

  #announcePids(): void {
    const msg: SpoolerMasterMessage = { t: "spooler-pids", pids: this.pids() };
    this.#opts.broadcast(msg);
    for (const slot of this.#slots) for (const proc of slot.processes()) proc.send(msg);
  }

  // ------------------------------------------------------------------ lifecycle --------------

  #onExit(proc: SpoolerProcess, code: number | null, signal: NodeJS.Signals | null): void {
    if (proc.exited) return;
    proc.exited = true;
    const slot = proc.slot;
    const marked = proc.pid ? this.#opts.releaseLocksOf(proc.pid) : 0;
    if (marked > 0) this.#opts.log(`spooler ${slot.id} (pid: ${proc.pid}) died holding ${marked} lock(s): released for recovery`);
    const running = proc.running;
    if (running) this.#countCrash(proc, running.path);
    proc.syncTasks();
    proc.board?.region.unlink();
    if (slot.current === proc) {
      slot.closedTasks += slot.liveTasks;
      slot.liveTasks = 0;
      slot.current = null;
      if (this.#state === "running") {
        const how = signal ? `killed by signal ${(constants.signals as Record<string, number>)[signal] ?? signal}` : `exit code ${code}`;
        this.#opts.log(`OOOPS the spooler is no more (pid: ${proc.pid}, ${how})...trying respawn...`);
        const delay = slot.backoff.onDeath(Date.now() - proc.spawnedAt, proc.ready);
        this.#scheduleRespawn(slot, delay);
      }
    } else {
      slot.draining.delete(proc);
    }
    this.#announcePids();
    this.#opts.onExit(proc.pid);
  }

  /** A task was running when its spooler died: the run counts as a failed attempt (and backs off). */
  #countCrash(proc: SpoolerProcess, path: string): void {
    if (this.#retry.maxRetries === 0) return;
    let fd: number;
    try {
      fd = openSync(path, "r+");
    } catch {
      return; // finished (or moved) before the process died
    }
    try {
      // Another spooler of the directory may have taken it already: then it is that one's run.
      if (!tryLockFile(fd, path)) return;
      const fate = applyFailure(path, proc.slot.dir, this.#retry, Date.now());
      this.#opts.log(
        fate.kind === "failed"
          ? `spooler ${proc.slot.id} died running ${path} (failed run ${fate.attempts}): moved to ${fate.movedTo}`
          : `spooler ${proc.slot.id} died running ${path}: it runs again (attempt ${fate.attempts + 1}) at ${new Date(fate.retryAtMs).toISOString()}`,
      );
    } catch (err) {
      this.#opts.log(`spooler ${proc.slot.id} died running ${path}; cannot count the attempt: ${(err as Error).message}`);
    } finally {
      closeSync(fd);
    }
  }

  #scheduleRespawn(slot: SpoolerSlot, delayMs: number): void {
    if (slot.respawnTimer) return;
    if (delayMs === 0) {
      slot.current = this.#spawn(slot, "respawn");
      return;
    }
    this.#opts.log(`spooler ${slot.id} respawning too fast !!! waiting ${(delayMs / 1000).toFixed(2)} seconds before respawning it`);
    slot.respawnTimer = setTimeout(() => {
      slot.respawnTimer = null;
      if (this.#state === "running" && !slot.current) {
        slot.current = this.#spawn(slot, "respawn");
        this.#announcePids();
      }
    }, delayMs);
  }

  /** Graceful reload: every spooler process is replaced by a new one; the old one finishes its task first. */
  reload(): void {
    if (this.#state !== "running") return;
    for (const slot of this.#slots) {
      if (slot.respawnTimer) {
        clearTimeout(slot.respawnTimer);
        slot.respawnTimer = null;
      }
      const old = slot.current;
      if (old) {
        slot.closedTasks += slot.liveTasks;
        slot.draining.add(old);
        this.#stopProcess(old, true);
      }
      slot.backoff.reset();
      slot.current = this.#spawn(slot, "reload");
    }
    this.#announcePids();
  }

  /** Stops every spooler: gracefully (the task in hand finishes, up to the mercy time) or at once. */
  stop(graceful: boolean): void {
    this.#state = "stopping";
    for (const slot of this.#slots) {
      if (slot.respawnTimer) {
        clearTimeout(slot.respawnTimer);
        slot.respawnTimer = null;
      }
      for (const proc of slot.processes()) this.#stopProcess(proc, graceful);
    }
  }

  #stopProcess(proc: SpoolerProcess, graceful: boolean): void {
    if (proc.exited) return;
    if (!graceful || !proc.ready) {
      proc.child.kill("SIGKILL");
      return;
    }
    if (!proc.stopDeadline) proc.stopDeadline = Date.now() + this.#opts.mercySeconds * 1000;
    proc.send({ t: "stop" });
  }

  /** True once every spooler process has exited. */
  finished(): boolean {
    return this.#slots.every((s) => s.processes().every((p) => p.exited));
  }

  /** Periodic checks (the master's tick): `--spooler-harakiri` and stop deadlines. */
  tick(now: number): void {
    const harakiriMs = this.#opts.config.spoolerHarakiri * 1000;
    for (const slot of this.#slots) {
      for (const proc of slot.processes()) {
        if (proc.exited) continue;
        if (proc.stopDeadline && now > proc.stopDeadline) {
          this.#opts.log(`spooler ${slot.id} (pid: ${proc.pid}) did not stop within ${this.#opts.mercySeconds} seconds: killing it`);
          proc.stopDeadline = 0;
          proc.child.kill("SIGKILL");
          continue;
        }
        const running = harakiriMs > 0 ? proc.running : null;
        // once per process: SIGKILL cannot be ignored, and until its exit is seen the board still names the task
        if (running && now - running.since > harakiriMs && proc.harakiriAt === 0) {
          proc.harakiriAt = now;
          this.#opts.log(`*** HARAKIRI ON THE SPOOLER (pid: ${proc.pid}): task ${running.path} has been running for ${((now - running.since) / 1000).toFixed(1)} seconds ***`);
          proc.child.kill("SIGKILL");
        }
      }
    }
  }

  /**
   * The stats document's `locks` entries of the spoolers, named as uWSGI names them
   * (`spooler on DIR`, one per spooler process, after the caches'). The value is the pid of the
   * spooler holding a task file's lock (running it), 0 when idle; uWSGI's entry is its enqueue
   * lock, held by the writing process (see docs/differences.md).
   */
  statsLocks(): StatsLock[] {
    return this.#slots.map((slot) => {
      const proc = slot.current;
      return { name: `spooler on ${slot.dir}`, pid: proc && !proc.exited && proc.running ? proc.pid : 0 };
    });
  }

  /** The stats document's `spoolers` section: one entry per spooler process. */
  stats(): StatsSpooler[] {
    return this.#slots.map((slot) => {
      const proc = slot.current;
      proc?.syncTasks();
      return {
        dir: slot.dir,
        pid: proc && !proc.exited ? proc.pid : 0,
        tasks: slot.closedTasks + slot.liveTasks,
        respawns: Math.max(0, slot.spawns - 1),
        running: proc?.running ? 1 : 0,
      };
    });
  }
}
