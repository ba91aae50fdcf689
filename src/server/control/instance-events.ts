/**
 * Who hears about the instance's life: the command that started a `--daemonize2` daemon waits
 * for "ready".
 * @module
 */
import { reportDaemonReady } from "./daemonize.js";
import type { InstanceEvent } from "./master-control.js";

/** The master's event listener for this run. */
export function instanceEvents(opts: { daemonMarker: "1" | "2" | null }): (event: InstanceEvent, status: string) => void {
  let reported = false;
  return (event) => {
    if (event === "ready" && opts.daemonMarker === "2" && !reported) {
      reported = true;
      reportDaemonReady();
    }
  };
}
