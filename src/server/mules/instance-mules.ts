/**
 * Everything the master runs for mules: the message broker on the process bus and the supervisor
 * of the mule processes. The master calls it from a few places (start, reload, stop).
 * @module
 */
import type { InstanceConfig } from "../../config/instance-config.js";
import { optionInt } from "../../config/option-values.js";
import { UwsgiError } from "../../errors.js";
import type { BusServer } from "../process-bus/bus-server.js";
import { Channel } from "../process-bus/bus-frames.js";
import { MuleBroker } from "./mule-broker.js";
import { DEFAULT_MULE_MSG_SIZE, MAX_MULE_MSG_SIZE } from "./mule-limits.js";
import { type MulePlan, mulePlanEnv } from "./mule-plan.js";
import { MuleSupervisor, type MuleSupervisorConfig } from "./mule-supervisor.js";
import { TakenSlots } from "./taken-slots.js";

/**
 * The mule plan of an instance, or null without mules.
 * @throws UwsgiError UWSGI_ERR_OPTION_VALUE for a `--mule-msg-size` outside 1..64 MiB.
 */
export function mulePlanOf(config: InstanceConfig): MulePlan | null {
  if (config.mules.length === 0) return null;
  const size = config.options.has("mule-msg-size") ? optionInt(config.options, "mule-msg-size", DEFAULT_MULE_MSG_SIZE) : DEFAULT_MULE_MSG_SIZE;
  if (size < 1 || size > MAX_MULE_MSG_SIZE) {
    throw new UwsgiError("UWSGI_ERR_OPTION_VALUE", "mule-msg-size", `expected 1..${MAX_MULE_MSG_SIZE} bytes, got ${size}`);
  }
  return { mules: config.mules, farms: config.farms, maxMessageBytes: size, harakiri: optionInt(config.options, "mule-harakiri", 0) };
}

/** The master's mules. */
export class InstanceMules {
  readonly broker: MuleBroker;
  readonly supervisor: MuleSupervisor;
  #finished = false;

  /** Where mules record what they took (see taken-slots.ts); null when it could not be had. */
  readonly #taken: TakenSlots | null;

  /** @param instance the instance id (its shared memory holds the mules' taken slots). */
  constructor(
    readonly plan: MulePlan,
    bus: BusServer,
    opts: Omit<MuleSupervisorConfig, "plan" | "broker"> & { readonly instance: string },
  ) {
    let taken: TakenSlots | null = null;
    try {
      taken = TakenSlots.create(opts.instance, plan.mules.length);
    } catch (err) {
      opts.log.line(`mules acknowledge each message with a write (no shared memory for their taken slots: ${err instanceof Error ? err.message : String(err)})`);
    }
    this.#taken = taken;
    this.broker = new MuleBroker(plan.mules, plan.farms, (line) => opts.log.line(line), taken);
    bus.handle(Channel.MULES, this.broker);
    this.supervisor = new MuleSupervisor({ plan, broker: this.broker, ...opts });
    for (const f of plan.farms) opts.log.line(`created farm ${f.index} name: ${f.name} mules:${f.mules.join(",")}`);
  }

  /** What every child's environment carries about mules. */
  childEnv(): Record<string, string> {
    return mulePlanEnv(this.plan);
  }

  /** Spawns the mules (after the workers). */
  start(): void {
    this.supervisor.start();
  }

  reload(): void {
    this.supervisor.reload();
  }

  /** True once every mule exited after `stop`. */
  get finished(): boolean {
    return this.#finished;
  }

  stop(graceful: boolean, onDone: () => void): void {
    this.supervisor.stop(graceful, () => {
      this.#finished = true;
      this.#taken?.unlink();
      onDone();
    });
  }
}
