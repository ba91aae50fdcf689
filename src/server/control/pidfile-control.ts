/**
 * `uwsgi-node --reload PIDFILE` and `uwsgi-node --stop PIDFILE`: signal the master whose pid a
 * pidfile holds, as uWSGI's options of the same names do (`--reload` sends SIGHUP, a graceful
 * reload; `--stop` sends SIGINT, which here is a graceful stop). Unlike uWSGI, the pid is checked
 * first: a pidfile naming a dead process, or a live process that is not a uwsgi-node master (a
 * recycled pid), is reported and nothing is signalled.
 * @module
 */
import { readFileSync } from "node:fs";
import { UwsgiError } from "../../errors.js";

/** What a pidfile command does. */
export const PIDFILE_COMMANDS = { reload: "SIGHUP", stop: "SIGINT" } as const satisfies Record<string, NodeJS.Signals>;

/** The title every uwsgi-node master gives itself (`process.title`), looked for in /proc/PID/cmdline. */
export const MASTER_TITLE = "uwsgi-node master";

/**
 * Reads the pid from `pidfile` and checks that it is a live uwsgi-node master.
 * @throws UwsgiError UWSGI_ERR_PIDFILE naming the file and what is wrong with it.
 */
export function masterPidOf(pidfile: string): number {
  let text: string;
  try {
    text = readFileSync(pidfile, "utf8");
  } catch (err) {
    throw new UwsgiError("UWSGI_ERR_PIDFILE", pidfile, `cannot read it: ${(err as NodeJS.ErrnoException).code ?? (err as Error).message}`);
  }
  const pid = Number(text.trim());
  if (!Number.isInteger(pid) || pid < 1) throw new UwsgiError("UWSGI_ERR_PIDFILE", pidfile, `no pid in it (got ${JSON.stringify(text.trim().slice(0, 40))})`);
  let cmdline: string;
  try {
    cmdline = readFileSync(`/proc/${pid}/cmdline`, "utf8");
  } catch {
    throw new UwsgiError("UWSGI_ERR_PIDFILE", pidfile, `stale: no process has pid ${pid} (the instance is not running)`);
  }
  if (!cmdline.includes(MASTER_TITLE)) {
    throw new UwsgiError("UWSGI_ERR_PIDFILE", pidfile, `stale: pid ${pid} is not a uwsgi-node master (it runs ${JSON.stringify(cmdline.replace(/\0/g, " ").trim().slice(0, 60))}); nothing was signalled`);
  }
  return pid;
}

/**
 * Sends the command's signal to the master named by `pidfile`.
 * @returns the pid signalled.
 * @throws UwsgiError UWSGI_ERR_PIDFILE when the pidfile is missing, empty or stale.
 */
export function signalPidfile(command: keyof typeof PIDFILE_COMMANDS, pidfile: string): number {
  const pid = masterPidOf(pidfile);
  try {
    process.kill(pid, PIDFILE_COMMANDS[command]);
  } catch (err) {
    throw new UwsgiError("UWSGI_ERR_PIDFILE", pidfile, `cannot signal pid ${pid}: ${(err as NodeJS.ErrnoException).code ?? (err as Error).message}`);
  }
  return pid;
}
