/**
 * Who hears about the instance's life: the command that started a `--daemonize2` daemon waits
 * for "ready"; systemd hears every event when `NOTIFY_SOCKET` is set (systemd-notify.ts).
 * @module
 */
import type { SystemdNotifier } from "../systemd-notify.js";
import { reportDaemonReady } from "./daemonize.js";
import type { InstanceEvent } from "./master-control.js";

/** The master's event listener for this run. */
export function instanceEvents(opts: { daemonMarker: "1" | "2" | null; systemd: SystemdNotifier | null }): (event: InstanceEvent, status: string) => void {
  let reported = false;
  return (event, status) => {
    if (event === "ready" && opts.daemonMarker === "2" && !reported) {
      reported = true;
      reportDaemonReady();
    }
    opts.systemd?.notify(event, status);
  };
}
