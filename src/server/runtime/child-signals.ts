/**
 * Signals in a server-spawned process (worker, mule, spooler): registrations, raises, timers,
 * crons and file monitors go to the master over this process's signal channel of the process bus
 * (signals/child-signal-bus.ts), which owns the instance's signal table and sources
 * and routes every signal; signals the master delivers run here one at a time, from this
 * process's own table, and are acknowledged (the master counts them and frees the queue slot).
 * @module
 */
import { existsSync } from "node:fs";
import { systemClock } from "../../core/clock.js";
import { UwsgiError } from "../../errors.js";
import { validateCronFields } from "../../engines/cron/cron-matcher.js";
import { SignalScheduler } from "../../engines/signals/signal-scheduler.js";
import { SignalTable, type SignalHandler, type SignalRegistrant } from "../../engines/signals/signal-table.js";
import type { SignalDelivery } from "../../module/signal-delivery.js";
import type { SignalRouter, SignalSources } from "../../module/signal-functions.js";
import { MAX_FILE_MONITORS } from "../../module/signal-source-driver.js";
import { readChildIdentity } from "../child-environment.js";
import { ChildSignalBus } from "../signals/child-signal-bus.js";
import type { SignalSourceSpec } from "../signals/signal-messages.js";

let bus: ChildSignalBus | null | undefined;

/** This process's signal channel to the master (null outside a server-spawned child). */
function signalBus(): ChildSignalBus | null {
  if (bus !== undefined) return bus;
  const identity = readChildIdentity();
  bus = identity ? new ChildSignalBus({ instance: identity.instance, role: identity.role, id: identity.id }) : null;
  return bus;
}

/** This process's signal table; every registration is also announced to the master. */
export class ReportingSignalTable extends SignalTable {
  override register(num: number, target: string, handler: SignalHandler, registrant: SignalRegistrant): void {
    super.register(num, target, handler, registrant);
    signalBus()?.registered(num, target);
  }
}

/**
 * Resolves once the master has taken in this process's signal registrations, timers and crons so
 * far (they travel on the signal channel, the "ready" message on Node's IPC channel: without this
 * wait the master could route to a ready child whose registrations it has not read yet).
 */
export function signalsSynced(): Promise<void> {
  return signalBus()?.synced() ?? Promise.resolve();
}

/** Hands signal `num` to the master, which routes it; false when the master is gone. */
export function raiseThroughMaster(num: number): boolean {
  return signalBus()?.raise(num) ?? false;
}

/** `signal(num)`: the master routes it. */
export const masterRouter: SignalRouter = {
  async raise(num: number): Promise<void> {
    if (!raiseThroughMaster(num)) {
      throw new UwsgiError("UWSGI_ERR_SIGNAL_INVALID", String(num), "the master is gone: nobody can route it");
    }
  },
};

/**
 * Timers, crons and file monitors live in the master. Arguments are checked here first (same
 * rules as the master's scheduler), so a mistake is an error at the call.
 */
export function masterSignalSources(): SignalSources {
  let monitors = 0;
  const check = () => new SignalScheduler(systemClock);
  const send = (spec: SignalSourceSpec) => {
    signalBus()?.addSource(spec);
  };
  return {
    addTimer(num, seconds) {
      check().addTimer(num, seconds);
      send({ kind: "timer", num, seconds });
    },
    addMsTimer(num, ms) {
      check().addMsTimer(num, ms);
      send({ kind: "ms-timer", num, ms });
    },
    addRbTimer(num, seconds, repeat) {
      check().addRbTimer(num, seconds, repeat);
      send({ kind: "rb-timer", num, seconds, repeat });
    },
    addCron(num, minute, hour, day, month, weekday) {
      validateCronFields({ minute, hour, day, month, weekday });
      check().addCron(num, minute, hour, day, month, weekday);
      send({ kind: "cron", num, minute, hour, day, month, weekday });
      return true;
    },
    addFileMonitor(num, path) {
      if (monitors >= MAX_FILE_MONITORS) throw new UwsgiError("UWSGI_ERR_FILE_MONITOR_ADD", `at most ${MAX_FILE_MONITORS} file monitors`);
      if (!existsSync(path)) throw new UwsgiError("UWSGI_ERR_FILE_MONITOR_ADD", `${path} does not exist`);
      monitors++;
      send({ kind: "file-monitor", num, path });
    },
  };
}

/** What a receiving process reports while it runs a signal (the worker's status and counters). */
export interface SignalRunObserver {
  started(num: number): void;
  finished(num: number): void;
}

/**
 * Runs the signals the master delivers, one at a time and in order (a busy process takes them
 * when its event loop frees), and acknowledges each.
 */
export function receiveSignals(delivery: SignalDelivery, observer: SignalRunObserver | null = null): void {
  let chain: Promise<void> = Promise.resolve();
  const channel = signalBus();
  channel?.receive((num) => {
    chain = chain.then(async () => {
      observer?.started(num);
      const before = delivery.handled;
      try {
        await delivery.deliver(num);
      } finally {
        observer?.finished(num);
        channel?.done(num, delivery.handled > before);
      }
    });
  });
}
