/**
 * Signals in the master: the instance's signal table (what every child registered), the
 * instance's timers, crons and file monitors, and routing through the {@link SignalRouter}.
 *
 * uWSGI registers handlers at import time in the master, before fork, so each registration exists
 * once. Here every worker imports the app, so the same `register_signal(num, target)` and the same
 * `add_timer(num, secs)` arrive from every worker (and again after each reload). The master keeps
 * ONE instance-wide registration per signal number, and one timer/cron/monitor per distinct
 * request: a process's k-th identical request maps to the k-th instance, so the same call made
 * by every worker (or by a reloaded worker) is one timer, while a process that really adds two
 * identical timers gets two.
 * @module
 */
import { systemClock, type Clock } from "../../core/clock.js";
import { SignalScheduler } from "../../engines/signals/signal-scheduler.js";
import { parseSignalTarget, type SignalTarget } from "../../engines/signals/signal-target.js";
import { SignalSourceDriver } from "../../module/signal-source-driver.js";
import type { SignalChildKind } from "./signal-endpoints.js";
import { sourceKey, type SignalSourceSpec } from "./signal-messages.js";
import type { SignalRouter } from "./signal-router.js";

/** One signal number as the master routes it. */
interface Registration {
  readonly target: SignalTarget;
  readonly text: string;
  /** Worker ids that registered a handler (one-of worker targets prefer them). */
  readonly workers: Set<number>;
}

/** A child process, for bookkeeping of its requests. */
export interface SignalChild {
  readonly kind: SignalChildKind;
  readonly id: number;
  readonly pid: number;
}

/** The master's signals. */
export class MasterSignals {
  readonly #table = new Map<number, Registration>();
  readonly scheduler: SignalScheduler;
  readonly driver: SignalSourceDriver;
  /** Instances of each distinct source request. */
  readonly #sources = new Map<string, number>();
  /** Per pid, per source key: how many such requests that process made. */
  readonly #requests = new Map<number, Map<string, number>>();

  constructor(
    readonly router: SignalRouter,
    private readonly log: (line: string) => void,
    clock: Clock = systemClock,
  ) {
    this.scheduler = new SignalScheduler(clock);
    this.driver = new SignalSourceDriver(() => this.scheduler, (num) => this.raise(num), () => true);
  }

  /** Routes signal `num` by the instance's table (unregistered numbers go to any worker, as in uWSGI). */
  raise(num: number): void {
    const reg = this.#table.get(num);
    if (!reg) return this.router.route(num, { kind: "worker-any" });
    this.router.route(num, reg.target, reg.workers);
  }

  /** `register_signal(num, target)` ran in `child`. */
  register(child: SignalChild, num: number, target: string): void {
    const parsed = parseSignalTarget(target);
    if (!parsed) {
      this.log(`^^^ UNSUPPORTED SIGNAL TARGET: ${target} ^^^`);
      return;
    }
    const reg = this.#table.get(num);
    if (!reg) {
      this.#table.set(num, { target: parsed, text: target, workers: new Set(child.kind === "worker" ? [child.id] : []) });
      return;
    }
    if (reg.text !== target) {
      this.log(`signal ${num} is routed to ${JSON.stringify(reg.text) || '""'} for the whole instance; ${child.kind} ${child.id} asked for ${JSON.stringify(target)}: kept ${JSON.stringify(reg.text)}`);
    }
    if (child.kind === "worker") reg.workers.add(child.id);
  }

  /** The target signal `num` is routed to, or null when unregistered. */
  targetOf(num: number): string | null {
    return this.#table.get(num)?.text ?? null;
  }

  /**
   * `add_timer` & co. from `child`: a new timer/cron/monitor unless an identical one already
   * stands for this request (see the module notes).
   */
  addSource(child: SignalChild, spec: SignalSourceSpec): void {
    const key = sourceKey(spec);
    let mine = this.#requests.get(child.pid);
    if (!mine) this.#requests.set(child.pid, (mine = new Map()));
    const nth = (mine.get(key) ?? 0) + 1;
    mine.set(key, nth);
    if ((this.#sources.get(key) ?? 0) >= nth) return;
    try {
      this.#add(spec);
      this.#sources.set(key, nth);
    } catch (err) {
      this.log(`${child.kind} ${child.id}: ${spec.kind} for signal ${spec.num} not added: ${(err as Error).message}`);
    }
  }

  /** Adds a source configured in the master (`--timer` ...): always a new one. */
  addConfigured(spec: SignalSourceSpec): void {
    this.#add(spec);
    const key = sourceKey(spec);
    this.#sources.set(key, (this.#sources.get(key) ?? 0) + 1);
  }

  #add(spec: SignalSourceSpec): void {
    const d = this.driver;
    switch (spec.kind) {
      case "timer":
        return d.addTimer(spec.num, spec.seconds);
      case "ms-timer":
        return d.addMsTimer(spec.num, spec.ms);
      case "rb-timer":
        return d.addRbTimer(spec.num, spec.seconds, spec.repeat);
      case "cron":
        d.addCron(spec.num, spec.minute, spec.hour, spec.day, spec.month, spec.weekday);
        return;
      case "file-monitor":
        return d.addFileMonitor(spec.num, spec.path);
    }
  }

  /** A child left: its request counts go (its successor's requests map onto the same instances). */
  forget(pid: number): void {
    this.#requests.delete(pid);
    this.router.forget(pid);
  }

  /** Stops timers and watchers (the master is stopping). */
  stop(): void {
    this.driver.stop();
  }
}
