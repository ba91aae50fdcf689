/**
 * The master's operating settings and the instance events others listen to (the `--daemonize2`
 * starter, systemd's notification socket).
 * @module
 */
import { resolve } from "node:path";
import type { OptionSet } from "../../config/option-set.js";
import { optionStrings } from "../../config/option-values.js";
import { UwsgiError } from "../../errors.js";

/** A change in the instance's life that service managers are told about. */
export type InstanceEvent = "ready" | "reloading" | "reloaded" | "stopping";

/** What the master needs to be operated from outside. */
export interface MasterControl {
  /** `--master-fifo` paths (slot 0 first); empty for none. */
  readonly masterFifo: readonly string[];
  /** Called on each {@link InstanceEvent} with a one-line status. */
  readonly onEvent?: (event: InstanceEvent, status: string) => void;
}

/** Reads `--master-fifo` (paths resolved against `cwd`). */
export function readMasterFifos(options: OptionSet, cwd: string): string[] {
  return optionStrings(options, "master-fifo").map((p) => {
    if (p.trim() === "") throw new UwsgiError("UWSGI_ERR_OPTION_VALUE", "master-fifo", "a path is required");
    return resolve(cwd, p);
  });
}
