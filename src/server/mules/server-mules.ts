/**
 * This process's mule messaging in the server: one {@link MuleClient} per process, built from
 * the identity and mule plan the master handed it; the process context's mule transport.
 * @module
 */
import { readChildIdentity } from "../child-environment.js";
import { MuleClient } from "./mule-client.js";
import { readMulePlan } from "./mule-plan.js";

let client: MuleClient | null | undefined;

/** The mule client of this process, or null when the instance has no mules. */
export function serverMuleClient(): MuleClient | null {
  if (client !== undefined) return client;
  const identity = readChildIdentity();
  const plan = readMulePlan();
  client =
    identity && plan && plan.mules.length > 0
      ? new MuleClient({
          masterPid: identity.masterPid,
          instance: identity.instance,
          role: identity.role,
          id: identity.id,
          mules: plan.mules,
          farms: plan.farms,
          maxMessageBytes: plan.maxMessageBytes,
          log: (line) => process.stderr.write(`${line}\n`),
        })
      : null;
  return client;
}
