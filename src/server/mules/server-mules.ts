/**
 * This process's mule messaging in the server: one {@link MuleClient} per process, built from
 * the identity and mule plan the master handed it.
 * @module
 */
import type { UwsgiModule } from "../../api.js";
import { muleFunctions } from "../../module/mule-functions.js";
import type { ProcessRole } from "../../module/process-role.js";
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

/**
 * Points the mule functions of `uwsgi` at the server's mule client (no-op without mules).
 * Until the module factory builds them over the process context, the server's module is the
 * stub's with its process-level names replaced; this replaces the mule names the same way.
 */
export function attachServerMules(uwsgi: UwsgiModule): void {
  const c = serverMuleClient();
  const identity = readChildIdentity();
  if (!c || !identity) return;
  const role: ProcessRole = Object.freeze({ kind: identity.role, id: identity.id });
  const fns = muleFunctions(() => c, () => role);
  for (const [name, value] of Object.entries(fns)) {
    Object.defineProperty(uwsgi, name, { value, enumerable: true, writable: true, configurable: true });
  }
}
