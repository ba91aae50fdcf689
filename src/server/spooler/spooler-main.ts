/**
 * Entry point of a spooler process (forked by the master). Lowers its priority (nice 19, as
 * uWSGI's spoolers), imports the `--spooler-import` modules or else the app (which sets
 * `uwsgi.spooler` and may register signal handlers), runs `uwsgi.post_fork_hook`, then scans its
 * directory until told to stop, recycled by `--spooler-max-tasks`, or orphaned by the master;
 * meanwhile it runs the signals the master routes to it.
 * @module
 */
import { setPriority } from "node:os";
import { pathToFileURL } from "node:url";
import type { UwsgiModule } from "../../api.js";
import { readChildIdentity } from "../child-environment.js";
import { serverModule } from "../runtime/server-module.js";
import { receiveSignals, signalsSynced } from "../runtime/child-signals.js";
import { recyclingClaimer } from "./task-claim.js";
import { SpoolerLoop } from "./spooler-loop.js";
import { isSpoolerMasterMessage, type SpoolerChildMessage } from "./spooler-messages.js";
import { readSpoolerPlan } from "./spooler-plan.js";
import { spoolerLink } from "./spooler-link.js";
import { SpoolerBoard } from "./spooler-board.js";
import { listenForLegionReadings } from "../legion/legion-readings.js";

const identity = readChildIdentity();
const plan = readSpoolerPlan();
if (!identity || identity.role !== "spooler" || !plan) {
  process.stderr.write("uwsgi-node: the spooler entry must be started by the uwsgi-node master\n");
  process.exit(1);
}
process.title = `uwsgi-node spooler ${plan.id}`;
const board = plan.board ? SpoolerBoard.attach(plan.board) : null;
try {
  setPriority(19);
} catch {
  // not permitted: keep the current priority
}

const send = (msg: SpoolerChildMessage, then?: () => void): void => {
  if (!process.connected) {
    then?.();
    return;
  }
  process.send!(msg, undefined, {}, () => then?.());
};
const log = (line: string): void => {
  process.stdout.write(`${line}\n`);
};

let loop: SpoolerLoop | null = null;
let stopRequested = false;
function stop(): void {
  stopRequested = true;
  loop?.stop();
}

// the legions the master sends right after the fork and on every change (i_am_the_lord & co.)
listenForLegionReadings();
process.on("message", (msg: unknown) => {
  if (!isSpoolerMasterMessage(msg)) return;
  if (msg.t === "stop") stop();
  else if (msg.t === "spooler-wake") loop?.wake();
  else if (msg.t === "spooler-frequency") loop?.setFrequency(msg.seconds);
});
// The master is gone: nobody will respawn or stop us; finish the task in hand and leave.
process.on("disconnect", stop);
// The master orchestrates stops and reloads (a terminal's Ctrl-C reaches the whole group).
process.on("SIGINT", () => undefined);
process.on("SIGHUP", () => undefined);
process.on("SIGTERM", stop);
process.stdout.on("error", () => undefined);
process.stderr.on("error", () => undefined);

async function importModule(path: string): Promise<void> {
  await import(pathToFileURL(path).href);
}

async function start(): Promise<void> {
  let uwsgi: UwsgiModule;
  try {
    const server = serverModule();
    uwsgi = server.uwsgi;
    spoolerLink();
    // signals the master routes to this spooler (`spooler`, `spoolers` targets) run from its event
    // loop: between tasks, or while an async task awaits
    receiveSignals(server.runtime.delivery);
    const modules = plan!.imports.length > 0 ? plan!.imports : plan!.app ? [plan!.app.path] : [];
    for (const m of modules) await importModule(m);
    if (typeof uwsgi.post_fork_hook === "function") await uwsgi.post_fork_hook();
  } catch (err) {
    process.stderr.write(`${err instanceof Error ? (err.stack ?? err.message) : String(err)}\n`);
    log(`spooler ${plan!.id} (pid: ${process.pid}) could not load its code: ${err instanceof Error ? err.message : String(err)}`);
    process.exit(1);
  }
  loop = new SpoolerLoop({
    dir: plan!.dir,
    frequency: plan!.frequency,
    frequencyOverride: plan!.frequencyOverride,
    maxTasks: plan!.maxTasks,
    chdir: plan!.chdir,
    quiet: plan!.quiet,
    retry: plan!.retry,
    claim: recyclingClaimer(plan!.dir),
    callable: () => (typeof uwsgi.spooler === "function" ? uwsgi.spooler : null),
    log,
    // what it runs goes on its board (no message per task), else to the master over IPC
    onRunning: board ? (path, since, tasks) => board.running(path, since, tasks) : (path, since, tasks) => send({ t: "spooler-running", path, since, tasks }),
    onIdle: (tasks) => {
      board?.idle(tasks);
      send({ t: "spooler-idle", tasks });
    },
  });
  if (stopRequested) loop.stop();
  await signalsSynced();
  send({ t: "spooler-ready" });
  const end = await loop.run();
  if (end === "max-tasks") {
    log(`[spooler ${plan!.dir} pid: ${process.pid}] maximum number of tasks reached (${plan!.maxTasks}): recycling`);
    send({ t: "spooler-retire", reason: `max tasks reached (${plan!.maxTasks})` });
  }
  board?.idle(loop.tasks);
  send({ t: "spooler-idle", tasks: loop.tasks }, () => process.exit(0));
  setTimeout(() => process.exit(0), 1000).unref();
}

void start();
