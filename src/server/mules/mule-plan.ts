/**
 * What the master hands every child about mules (environment variable `UWSGI_NODE_MULES`): the
 * mules and farms, the message size limit, and, in a mule, what that mule runs.
 * @module
 */
import type { FarmConfig, MuleConfig } from "../../config/instance-config.js";

/** Name of the environment variable. */
export const MULES_ENV = "UWSGI_NODE_MULES";

/** The mule settings of an instance. */
export interface MulePlan {
  readonly mules: readonly MuleConfig[];
  readonly farms: readonly FarmConfig[];
  /** `--mule-msg-size`: largest message in bytes. */
  readonly maxMessageBytes: number;
  /** `--mule-harakiri` in seconds (0 = off). */
  readonly harakiri: number;
}

/** The variable's value. */
export function mulePlanEnv(plan: MulePlan): Record<string, string> {
  return { [MULES_ENV]: JSON.stringify(plan) };
}

/** The plan handed to this process, or null (no mules configured, or not under the server). */
export function readMulePlan(env: NodeJS.ProcessEnv = process.env): MulePlan | null {
  const raw = env[MULES_ENV];
  if (!raw) return null;
  try {
    return JSON.parse(raw) as MulePlan;
  } catch {
    return null;
  }
}
