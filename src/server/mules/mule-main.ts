/**
 * Entry point of a mule process (forked by the master after the workers). It builds the `uwsgi`
 * module for its role (mule N: `mule_id()` is N, `worker_id()` 0), imports the app (for the
 * handlers and `uwsgi.mule_msg_hook` it sets; a mule serves no requests), runs
 * `uwsgi.post_fork_hook`, then either
 * - runs its program (`--mule=FILE`, or `--mule=FILE:EXPORT` to call that export): when the
 *   module's evaluation (or the export's promise) ends, the mule exits and the master respawns
 *   it, as uWSGI does; or
 * - runs the message loop: every message of its own queue, the shared queue and its farms' goes
 *   to `uwsgi.mule_msg_hook` (awaited, one at a time, each taken from the master just before the
 *   hook gets it: a mule killed meanwhile loses only that one), or is logged as
 *   `*** mule N received a X bytes message ***` when no hook is set.
 * SIGTERM (reload, stop) lets a message being handled by the loop finish; the mule then exits
 * (a programmed mule exits at once).
 * @module
 */
import { existsSync } from "node:fs";
import { isAbsolute, resolve } from "node:path";
import { pathToFileURL } from "node:url";
import type { UwsgiModule } from "../../api.js";
import { readChildIdentity } from "../child-environment.js";
import { serverModule } from "../runtime/server-module.js";
import { receiveSignals, signalsSynced } from "../runtime/child-signals.js";
import { MULE_READY } from "./mule-supervisor.js";
import { readMulePlan } from "./mule-plan.js";
import { serverMuleClient } from "./server-mules.js";
import { listenForLegionReadings } from "../legion/legion-readings.js";

/**
 * Messages the loop handles before it yields to the event loop (signals, the master's frames)
 * while the hook answers synchronously; each is still taken one at a time.
 */
const LOOP_BATCH = 256;

const identity = readChildIdentity();
const plan = readMulePlan();
if (!identity || identity.role !== "mule" || !plan) {
  process.stderr.write("uwsgi-node: the mule entry must be started by the uwsgi-node master\n");
  process.exit(1);
}
const muleId = identity.id;
const config = plan.mules.find((m) => m.id === muleId);
process.title = `uwsgi-node mule ${muleId}`;
listenForLegionReadings();

let stopping = false;
let handling = false;
process.on("SIGTERM", () => {
  stopping = true;
  if (!handling) process.exit(0);
});
process.on("SIGINT", () => undefined);
process.on("SIGHUP", () => undefined);
// The master is gone: nobody will respawn us.
process.on("disconnect", () => process.exit(0));
process.stdout.on("error", () => undefined);
process.stderr.on("error", () => undefined);

function describe(err: unknown): string {
  return err instanceof Error ? (err.stack ?? err.message) : String(err);
}

/** Splits `FILE:EXPORT` (the export part is an identifier, so `C:\x` style paths survive). */
function programSpec(program: string): { path: string; exportName: string | null } {
  const m = /^(.*):([A-Za-z_$][\w$]*)$/.exec(program);
  const [path, exportName] = m && !existsSync(program) ? [m[1]!, m[2]!] : [program, null];
  return { path: isAbsolute(path) ? path : resolve(path), exportName };
}

async function runProgram(program: string): Promise<void> {
  const { path, exportName } = programSpec(program);
  const mod = (await import(pathToFileURL(path).href)) as Record<string, unknown>;
  if (exportName !== null) {
    const fn = mod[exportName];
    if (typeof fn !== "function") throw new Error(`mule ${muleId}: ${path} exports no function ${JSON.stringify(exportName)}`);
    await (fn as () => unknown)();
  }
}

async function messageLoop(uwsgi: UwsgiModule): Promise<never> {
  const client = serverMuleClient()!;
  const harakiri = plan!.harakiri > 0;
  for (;;) {
    // each message is taken (recorded for the master) just before the hook gets it, so a mule
    // that dies loses at most the message it handles; the rest of what it was handed is requeued
    let msg: Buffer | null = await client.next();
    handling = true;
    for (let n = 0; msg !== null; ) {
      if (harakiri) client.setBusy(true);
      const hook = uwsgi.mule_msg_hook;
      if (typeof hook !== "function") {
        process.stdout.write(`*** mule ${muleId} received a ${msg.length} bytes message ***\n`);
      } else {
        try {
          const r = hook(msg) as unknown;
          // an async hook: the event loop turns while it runs
          if (r && typeof (r as Promise<unknown>).then === "function") await r;
        } catch (err) {
          process.stderr.write(`mule ${muleId}: mule_msg_hook failed: ${describe(err)}\n`);
        }
      }
      if (stopping || ++n >= LOOP_BATCH) break;
      msg = client.takeNext();
    }
    handling = false;
    if (harakiri) client.setBusy(false);
    if (stopping) process.exit(0);
  }
}

async function main(): Promise<void> {
  const { uwsgi, runtime } = serverModule();
  const client = serverMuleClient()!;
  client.onMasterLost = () => process.exit(0);
  // signals the master routes to this mule run from its event loop, between and during messages;
  // --mule-harakiri is armed while one runs
  receiveSignals(runtime.delivery, plan!.harakiri > 0 ? { started: () => client.setBusy(true), finished: () => client.setBusy(false) } : null);
  const app = identity!.plan?.app;
  if (app) await import(pathToFileURL(app.path).href);
  if (typeof uwsgi.post_fork_hook === "function") await uwsgi.post_fork_hook();
  // the handlers the app registers at import exist now, and the master has read them: it may send signals
  await signalsSynced();
  process.send?.({ t: MULE_READY });
  if (config?.program) {
    await runProgram(config.program);
    process.exit(0);
  }
  await messageLoop(uwsgi);
}

main().catch((err: unknown) => {
  process.stderr.write(`mule ${muleId}: ${describe(err)}\n`);
  process.exit(1);
});
