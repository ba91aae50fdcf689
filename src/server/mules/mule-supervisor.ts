/**
 * The master's mules: spawns them after the workers (ids 1..M in option order), respawns one that
 * exits ("OOOPS mule N (pid: P) crippled...trying respawn...", with the same backoff as workers
 * when it keeps dying young), replaces them all on a graceful or chain reload (uWSGI 2.0 keeps
 * the old ones: unbit/uwsgi#915), kills one whose message or signal handler runs past
 * `--mule-harakiri`, and stops them with the instance. Their output joins the instance log.
 * @module
 */
import { fork, type ChildProcess } from "node:child_process";
import type { Readable } from "node:stream";
import { LineCollector } from "../line-collector.js";
import type { LogSink } from "../log-sink.js";
import { RespawnBackoff } from "../respawn-backoff.js";
import type { MuleBroker } from "./mule-broker.js";
import type { MulePlan } from "./mule-plan.js";

/** How long a mule told to stop may take before it is killed (ms). */
const STOP_MERCY_MS = 5000;
/** How often harakiri deadlines are checked (ms). */
const CHECK_MS = 250;

/** One mule process. */
interface MuleProcess {
  readonly child: ChildProcess;
  readonly pid: number;
  readonly spawnedAt: number;
  /** Said it is ready (app imported, signal receiver installed). */
  ready: boolean;
  exited: boolean;
  stopping: boolean;
  killTimer: NodeJS.Timeout | null;
}

/** A mule id and what outlives its processes. */
interface MuleSlot {
  readonly id: number;
  current: MuleProcess | null;
  /** Processes of this id that were replaced or told to stop and have not exited yet. */
  readonly leaving: Set<MuleProcess>;
  readonly backoff: RespawnBackoff;
  respawnTimer: NodeJS.Timeout | null;
  spawns: number;
}

/** How the supervisor spawns a mule. */
export interface MuleSupervisorConfig {
  readonly plan: MulePlan;
  readonly broker: MuleBroker;
  readonly log: LogSink;
  /** Absolute path of the mule entry script. */
  readonly entry: string;
  readonly execArgv: readonly string[];
  /** The environment of mule `id` (identity, plan, ...). */
  readonly env: (id: number) => NodeJS.ProcessEnv;
  /** Called after a mule process exited (the master releases the locks it held). */
  readonly onExit: (pid: number) => void;
  /** What the master sends a mule right after spawning it (state its children read, e.g. legions). */
  readonly greeting?: () => object | null;
  /** Receives what a mule sends over its IPC channel (signal registrations, raises ...). */
  readonly onMessage?: (child: { kind: "mule"; id: number; pid: number }, msg: unknown) => void;
  /** Called when a mule becomes ready (the master sends it the signals waiting for it). */
  readonly onReady?: () => void;
}

/** A running mule as a signal router sees it. */
export interface MuleEndpoint {
  readonly kind: "mule";
  readonly id: number;
  readonly pid: number;
  readonly ready: boolean;
  readonly busy: boolean;
  readonly active: boolean;
}

/** What a mule sends once it can take signals. */
export const MULE_READY = "mule-ready";

/** The mules of one instance. */
export class MuleSupervisor {
  readonly #cfg: MuleSupervisorConfig;
  readonly #slots: MuleSlot[];
  #running = false;
  #check: NodeJS.Timeout | null = null;
  #onAllExited: (() => void) | null = null;

  constructor(cfg: MuleSupervisorConfig) {
    this.#cfg = cfg;
    this.#slots = cfg.plan.mules.map((m) => ({ id: m.id, current: null, leaving: new Set(), backoff: new RespawnBackoff(), respawnTimer: null, spawns: 0 }));
  }

  /** Pids of the live mules, by id (0 while one is being respawned). */
  pids(): number[] {
    return this.#slots.map((s) => (s.current && !s.current.exited ? s.current.pid : 0));
  }

  /** Sends `msg` over IPC to every live mule. */
  broadcast(msg: object): void {
    for (const slot of this.#slots) {
      const c = slot.current?.child;
      if (c && c.connected) c.send(msg, () => undefined);
    }
  }

  /** The live mules, for the master's signal router. */
  signalEndpoints(): MuleEndpoint[] {
    const out: MuleEndpoint[] = [];
    for (const slot of this.#slots) {
      const proc = slot.current;
      if (!proc || proc.exited) continue;
      const broker = this.#cfg.broker;
      out.push({
        kind: "mule",
        id: slot.id,
        pid: proc.pid,
        ready: proc.ready && !proc.stopping && proc.child.connected,
        busy: broker.busySince(slot.id) > 0,
        active: true,
      });
    }
    return out;
  }

  /** Spawns every mule. */
  start(): void {
    this.#running = true;
    for (const slot of this.#slots) slot.current = this.#spawn(slot);
    if (this.#cfg.plan.harakiri > 0) {
      this.#check = setInterval(() => this.#checkHarakiri(), CHECK_MS);
      this.#check.unref();
    }
  }

  #spawn(slot: MuleSlot): MuleProcess {
    const child = fork(this.#cfg.entry, [], {
      stdio: ["ignore", "pipe", "pipe", "ipc"],
      env: this.#cfg.env(slot.id),
      execArgv: [...this.#cfg.execArgv],
    });
    const proc: MuleProcess = { child, pid: child.pid ?? 0, spawnedAt: Date.now(), ready: false, exited: false, stopping: false, killTimer: null };
    slot.spawns++;
    this.#collect(child.stdout);
    this.#collect(child.stderr);
    child.on("error", (err) => this.#cfg.log.line(`mule ${slot.id}: ${err.message}`));
    child.on("exit", () => this.#onExit(slot, proc));
    child.on("message", (msg: unknown) => {
      if (typeof msg === "object" && msg !== null && (msg as { t?: unknown }).t === MULE_READY) {
        proc.ready = true;
        this.#cfg.onReady?.();
        return;
      }
      this.#cfg.onMessage?.({ kind: "mule", id: slot.id, pid: proc.pid }, msg);
    });
    this.#cfg.log.line(`spawned uWSGI mule ${slot.id} (pid: ${proc.pid})`);
    const greeting = this.#cfg.greeting?.();
    if (greeting) child.send(greeting, () => undefined);
    return proc;
  }

  #collect(stream: Readable | null): void {
    if (!stream) return;
    const lines = new LineCollector();
    stream.on("data", (chunk: Buffer) => {
      const whole = lines.push(chunk);
      if (whole) this.#cfg.log.write(whole);
    });
    stream.on("end", () => {
      const rest = lines.flush();
      if (rest) this.#cfg.log.write(rest);
    });
  }

  #onExit(slot: MuleSlot, proc: MuleProcess): void {
    proc.exited = true;
    if (proc.killTimer) clearTimeout(proc.killTimer);
    slot.leaving.delete(proc);
    this.#cfg.broker.processExited(proc.pid);
    this.#cfg.onExit(proc.pid);
    if (slot.current === proc) {
      slot.current = null;
      if (this.#running) {
        this.#cfg.log.line(`OOOPS mule ${slot.id} (pid: ${proc.pid}) crippled...trying respawn...`);
        // A mule never becomes "ready" like a worker: living past the fast-death window counts.
        const delay = slot.backoff.onDeath(Date.now() - proc.spawnedAt, true);
        this.#respawnAfter(slot, delay);
      }
    }
    if (!this.#running && this.#allExited()) this.#onAllExited?.();
  }

  #respawnAfter(slot: MuleSlot, delayMs: number): void {
    if (slot.respawnTimer) return;
    if (delayMs === 0) {
      slot.current = this.#spawn(slot);
      return;
    }
    this.#cfg.log.line(`mule ${slot.id} respawning too fast !!! waiting ${(delayMs / 1000).toFixed(2)} seconds before respawning it`);
    slot.respawnTimer = setTimeout(() => {
      slot.respawnTimer = null;
      if (this.#running && !slot.current) slot.current = this.#spawn(slot);
    }, delayMs);
  }

  /** Asks a mule to leave (it finishes the message it handles); kills it after the mercy time. */
  #retire(slot: MuleSlot, proc: MuleProcess, graceful: boolean): void {
    if (proc.exited) return;
    slot.leaving.add(proc);
    if (!graceful) {
      proc.child.kill("SIGKILL");
      return;
    }
    if (proc.stopping) return;
    proc.stopping = true;
    proc.child.kill("SIGTERM");
    proc.killTimer = setTimeout(() => {
      if (!proc.exited) {
        this.#cfg.log.line(`mule ${slot.id} (pid: ${proc.pid}) did not stop within ${STOP_MERCY_MS / 1000} seconds: killing it`);
        proc.child.kill("SIGKILL");
      }
    }, STOP_MERCY_MS);
  }

  /**
   * Replaces every mule: a new process per id at once, the old one leaves after the message it
   * handles (messages it had not taken go to its successor).
   */
  reload(): void {
    if (!this.#running) return;
    for (const slot of this.#slots) {
      if (slot.respawnTimer) {
        clearTimeout(slot.respawnTimer);
        slot.respawnTimer = null;
      }
      const old = slot.current;
      slot.backoff.reset();
      slot.current = this.#spawn(slot);
      if (old) this.#retire(slot, old, true);
    }
  }

  /** Stops every mule; `onDone` runs once all have exited. */
  stop(graceful: boolean, onDone: () => void): void {
    this.#running = false;
    this.#onAllExited = onDone;
    if (this.#check) clearInterval(this.#check);
    for (const slot of this.#slots) {
      if (slot.respawnTimer) {
        clearTimeout(slot.respawnTimer);
        slot.respawnTimer = null;
      }
      if (slot.current) {
        const cur = slot.current;
        slot.current = null;
        this.#retire(slot, cur, graceful);
      }
      for (const p of slot.leaving) this.#retire(slot, p, graceful);
    }
    if (this.#allExited()) onDone();
  }

  #allExited(): boolean {
    return this.#slots.every((s) => !s.current && s.leaving.size === 0);
  }

  #checkHarakiri(): void {
    const limitMs = this.#cfg.plan.harakiri * 1000;
    const now = Date.now();
    for (const slot of this.#slots) {
      const proc = slot.current;
      if (!proc || proc.exited || proc.stopping) continue;
      const since = this.#cfg.broker.busySince(slot.id);
      if (since > 0 && now - since > limitMs) {
        this.#cfg.log.event(`*** HARAKIRI ON MULE ${slot.id} (pid: ${proc.pid}) ***`);
        this.#cfg.log.line(`HARAKIRI !!! mule ${slot.id}: its handler has been running for ${((now - since) / 1000).toFixed(1)} seconds`);
        proc.stopping = true;
        proc.child.kill("SIGKILL");
      }
    }
  }
}
