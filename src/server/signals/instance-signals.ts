/**
 * Everything the master runs for signals, called from a few places of the master: the router,
 * the instance's table and sources, the messages children send, and what the stats show.
 * Supervisors of every kind of child offer their processes with {@link InstanceSignals.attach};
 * the children talk to it over their signal channel of the process bus ({@link InstanceSignals.hub},
 * which the master hands to its bus).
 * @module
 */
import type { InstanceConfig } from "../../config/instance-config.js";
import { optionInt, optionStrings } from "../../config/option-values.js";
import { parseTimerOption } from "../../engines/signals/timer-options.js";
import { resolve } from "node:path";
import type { MetricsEngine } from "../../engines/metrics/metrics-engine.js";
import { MasterSignals } from "./master-signals.js";
import type { SignalChildKind, SignalEndpointSource } from "./signal-endpoints.js";
import { SignalBusHub } from "./signal-bus-hub.js";
import { DEFAULT_SIGNAL_QUEUE, SignalRouter } from "./signal-router.js";
import { TouchWatcher } from "../touch-watcher.js";
import { signalSchedulerClock } from "./test-clock.js";

/** The master's signals subsystem. */
export class InstanceSignals {
  readonly router: SignalRouter;
  readonly signals: MasterSignals;
  /** The children's signal connections (the bus's {@link Channel.SIGNALS} handler). */
  readonly hub: SignalBusHub;
  readonly #touch: TouchWatcher[] = [];

  constructor(
    config: InstanceConfig,
    log: (line: string) => void,
    private readonly metrics: () => MetricsEngine | null,
  ) {
    // --signal-bufsize: uWSGI's queues are socket buffers of that many bytes, one byte a signal
    const limit = optionInt(config.options, "signal-bufsize", DEFAULT_SIGNAL_QUEUE, 1);
    this.hub = new SignalBusHub({
      register: (child, num, target) => this.signals.register(child, num, target),
      raise: (num) => {
        this.signals.raise(num);
        this.#count();
      },
      addSource: (child, spec) => this.signals.addSource(child, spec),
      acknowledge: (child) => this.router.acknowledge(child.kind, child.id, child.pid),
      reachable: () => this.flush(),
    });
    const hub = this.hub;
    this.router = new SignalRouter(() => config.farms, log, limit, { reachable: (pid) => hub.reachable(pid), deliver: (pid, num) => hub.deliver(pid, num) });
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
