/**
 * systemd's readiness protocol (sd_notify): when the service manager sets `NOTIFY_SOCKET`, the
 * master sends `READY=1` once every worker serves, `RELOADING=1` (with `MONOTONIC_USEC`, as
 * `Type=notify-reload` requires) when a reload starts and `READY=1` again when it is complete,
 * `STOPPING=1` when it stops, each with a `STATUS=` line as uWSGI does. A unit with `Type=notify`
 * (see docs/systemd/uwsgi-node.service) then knows when the instance really serves.
 *
 * The socket is a UNIX datagram socket, which Node's dgram module cannot address: the native
 * addon sends the datagram. A failed send is logged once and never stops the server.
 * @module
 */
import { loadNativeAddon } from "../native/native-addon.js";
import type { InstanceEvent } from "./control/master-control.js";

/** The environment variable systemd sets for `Type=notify` services. */
export const NOTIFY_SOCKET_ENV = "NOTIFY_SOCKET";

/** The datagram sent for each instance event (without the trailing newline). */
export function notifyMessage(event: InstanceEvent, status: string, pid: number = process.pid, monotonicUs: bigint = process.hrtime.bigint() / 1000n): string {
  switch (event) {
    case "ready":
      return `READY=1\nSTATUS=uWSGI is ready (${status})\nMAINPID=${pid}`;
    case "reloading":
      return `RELOADING=1\nMONOTONIC_USEC=${monotonicUs}\nSTATUS=uWSGI is reloading (${status})`;
    case "reloaded":
      return `READY=1\nSTATUS=uWSGI is ready (${status})`;
    case "stopping":
      return `STOPPING=1\nSTATUS=uWSGI is stopping (${status})`;
  }
}

/** Sends instance events to systemd's notification socket. */
export class SystemdNotifier {
  readonly socketPath: string;
  readonly #log: (line: string) => void;
  #failed = false;

  constructor(socketPath: string, log: (line: string) => void) {
    this.socketPath = socketPath;
    this.#log = log;
  }

  /** Sends the datagram for `event`; a failure is logged (once) and swallowed. */
  notify(event: InstanceEvent, status: string): void {
    try {
      loadNativeAddon().notifyDatagram(this.socketPath, notifyMessage(event, status) + "\n");
    } catch (err) {
      if (this.#failed) return;
      this.#failed = true;
      this.#log(`systemd notification to ${this.socketPath} failed: ${(err as Error).message}`);
    }
  }
}

/**
 * The notifier for `NOTIFY_SOCKET`, or null when it is unset. The variable is removed from the
 * environment, as sd_notify(unset_environment=1) does, so workers and the app's own children do
 * not notify in the master's name.
 */
export function systemdNotifierFromEnv(log: (line: string) => void, env: NodeJS.ProcessEnv = process.env): SystemdNotifier | null {
  const path = env[NOTIFY_SOCKET_ENV];
  delete env[NOTIFY_SOCKET_ENV];
  if (!path) return null;
  return new SystemdNotifier(path, log);
}
