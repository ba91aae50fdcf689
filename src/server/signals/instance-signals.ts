/**
 * Everything the master runs for signals, called from a few places of the master: the router,
 * the instance's table and sources, the messages children send, and what the stats show.
 * Supervisors of other kinds of children (mules, spoolers) offer their processes with
 * {@link InstanceSignals.attach} and pass their children's messages to
 * {@link InstanceSignals.onMessage}.
 * @module
 */
import type { InstanceConfig } from "../../config/instance-config.js";
import { optionInt, optionStrings } from "../../config/option-values.js";
import { parseTimerOption } from "../../engines/signals/timer-options.js";
import { resolve } from "node:path";
import type { MetricsEngine } from "../../engines/metrics/metrics-engine.js";
import { MasterSignals, type SignalChild } from "./master-signals.js";
import type { SignalChildKind, SignalEndpointSource } from "./signal-endpoints.js";
import { isChildSignalMessage } from "./signal-messages.js";
import { DEFAULT_SIGNAL_QUEUE, SignalRouter } from "./signal-router.js";
import { TouchWatcher } from "../touch-watcher.js";
import { signalSchedulerClock } from "./test-clock.js";

/** The master's signals subsystem. */
export class InstanceSignals {
  readonly router: SignalRouter;
  readonly signals: MasterSignals;
  readonly #touch: TouchWatcher[] = [];

  constructor(
    config: InstanceConfig,
    log: (line: string) => void,
    private readonly metrics: () => MetricsEngine | null,
  ) {
    // --signal-bufsize: uWSGI's queues are socket buffers of that many bytes, one byte a signal
    const limit = optionInt(config.options, "signal-bufsize", DEFAULT_SIGNAL_QUEUE, 1);
    this.router = new SignalRouter(() => config.farms, log, limit);
    this.signals = new MasterSignals(this.router, log, signalSchedulerClock(process.env, log));
    this.router.declare("mule", config.mules.length);
    this.#configured(config, log);
  }

  /** `--timer`, `--rbtimer`, `--fs-signal`, `--touch-signal`: run by the master (command crons: server/cron/command-crons.ts). */
  #configured(config: InstanceConfig, log: (line: string) => void): void {
    for (const option of ["timer", "rbtimer"] as const) {
      for (const value of optionStrings(config.options, option)) {
        const { signum, seconds } = parseTimerOption(option, value);
        this.signals.addConfigured(option === "timer" ? { kind: "timer", num: signum, seconds } : { kind: "rb-timer", num: signum, seconds, repeat: 0 });
      }
    }
    for (const value of optionStrings(config.options, "fs-signal")) {
      const m = /^\s*(\S+)\s+([0-9]+)\s*$/.exec(value)!;
      try {
        this.signals.addConfigured({ kind: "file-monitor", num: Number(m[2]), path: resolve(m[1]!) });
      } catch (err) {
        log(`--fs-signal ${value}: ${(err as Error).message}`);
      }
    }
    // --touch-signal "FILE SIG": the file's mtime polled once a second, as uWSGI's master does
    for (const value of optionStrings(config.options, "touch-signal")) {
      const m = /^\s*(\S+)\s+([0-9]+)\s*$/.exec(value)!;
      const num = Number(m[2]);
      this.#touch.push(new TouchWatcher([resolve(m[1]!)], () => this.signals.raise(num)));
    }
  }

  /** Offers the children of `kind`, `count` of them (ids 1..count). */
  attach(kind: SignalChildKind, count: number, source: SignalEndpointSource): void {
    this.router.declare(kind, count);
    this.router.attach(kind, source);
  }

  /**
   * Handles a child's message if it is about signals.
   * @returns true when it was.
   */
  onMessage(child: SignalChild, msg: unknown): boolean {
    if (!isChildSignalMessage(msg)) return false;
    switch (msg.t) {
      case "sig-register":
        this.signals.register(child, msg.num, msg.target);
        break;
      case "sig-raise":
        this.signals.raise(msg.num);
        break;
      case "sig-source":
        this.signals.addSource(child, msg.spec);
        break;
      case "sig-done":
        this.router.acknowledge(child.kind, child.id, child.pid);
        break;
    }
    this.#count();
    return true;
  }

  /** A child became ready, or the master ticks: send what waits. */
  flush(): void {
    this.router.flush();
    this.#count();
  }

  /** A child exited. */
  forget(pid: number): void {
    this.signals.forget(pid);
  }

  #count(): void {
    const m = this.metrics();
    if (!m) return;
    m.setInternal("core.routed_signals", this.router.counters.routed);
    m.setInternal("core.unrouted_signals", this.router.counters.unrouted);
  }

  stop(): void {
    this.signals.stop();
    for (const w of this.#touch) w.close();
  }
}
