/**
 * Legion hooks (`--legion-lord|unlord|setup|death|join|node-joined|node-left "NAME ACTION"`):
 * run one after another with uWSGI's log lines; `cmd:`/`exec:` through `/bin/sh -c`, `signal:N`
 * routed by the master, `log:TEXT` written to the log, `alarm:NAME MSG` raising an `--alarm`
 * (skipped within its `--alarm-freq`, which counts as a failure).
 * @module
 */
import { spawn } from "node:child_process";
import type { LegionHook, LegionHookEvent } from "../../config/legion-options.js";
import type { LegionMemberHost } from "./legion-member.js";

function runHook(hook: LegionHook, host: LegionMemberHost): Promise<number> {
  const a = hook.action;
  switch (a.kind) {
    case "log":
      host.log(a.text);
      return Promise.resolve(0);
    case "alarm":
      return Promise.resolve(host.raiseAlarm(a.alarm, a.message) ? 0 : -1);
    case "signal":
      try {
        host.raiseSignal(a.signum);
        return Promise.resolve(0);
      } catch (err) {
        host.log(`[uwsgi-legion] signal ${a.signum}: ${(err as Error).message}`);
        return Promise.resolve(-1);
      }
    case "cmd":
      return new Promise((resolve) => {
        const child = spawn("/bin/sh", ["-c", a.command], { stdio: ["ignore", "inherit", "inherit"] });
        child.on("error", () => resolve(-1));
        child.on("exit", (code, signal) => resolve(signal ? -1 : (code ?? -1)));
      });
  }
}

/** Runs the hooks of `event` of legion `legion` in order; false when one of them failed. */
export async function runLegionHooks(
  event: LegionHookEvent,
  legion: string,
  hooks: Readonly<Record<LegionHookEvent, readonly LegionHook[]>>,
  host: LegionMemberHost,
): Promise<boolean> {
  let ok = true;
  const phase = event.replace("-", "_");
  for (const hook of hooks[event]) {
    host.log(`[uwsgi-legion] (phase: ${phase} legion: ${legion}) calling ${hook.text}`);
    const code = await runHook(hook, host);
    if (code !== 0) {
      ok = false;
      host.log(`[uwsgi-legion] ERROR, ${phase} hook returned: ${code}`);
    }
  }
  return ok;
}
