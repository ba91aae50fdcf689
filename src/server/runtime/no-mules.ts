/**
 * The mule transport of a process in an instance without mules: `mule_msg` finds none configured
 * (`UWSGI_ERR_MULE_NONE`), and no process is a mule that could receive.
 * @module
 */
import type { Buffer } from "node:buffer";
import { UwsgiError } from "../../errors.js";
import type { FarmConfig, MuleConfig } from "../../config/instance-config.js";
import type { MuleTransport } from "../../module/mule-functions.js";

/** A transport with no mules and no farms. */
export const NO_MULES: MuleTransport = {
  mules: (): readonly MuleConfig[] => [],
  farms: (): readonly FarmConfig[] => [],
  send(): boolean {
    throw new UwsgiError("UWSGI_ERR_MULE_NONE");
  },
  receive(): Promise<Buffer | null> {
    throw new UwsgiError("UWSGI_ERR_NOT_IN_MULE");
  },
};
