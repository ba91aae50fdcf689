/**
 * `--daemonize FILE` and `--daemonize2 FILE`: run the instance in the background, its log
 * appended to FILE. Node cannot fork, so the command starts the same command line again as a
 * detached child (new session, no terminal, standard output and error appended to FILE) and
 * exits: at once with `--daemonize` (startup errors then land in FILE, as with uWSGI), or once
 * every worker is ready with `--daemonize2` (uWSGI daemonizes after loading the app there), in
 * which case a daemon that fails to start makes the command exit with the daemon's exit code.
 * @module
 */
import { spawn } from "node:child_process";
import { closeSync, openSync } from "node:fs";
import { resolve } from "node:path";
import { UwsgiError } from "../../errors.js";
import type { OptionSet } from "../../config/option-set.js";
import { optionString } from "../../config/option-values.js";

/** Environment variable telling the re-started command that it is the daemon ("1", or "2" to report readiness). */
export const DAEMON_ENV = "UWSGI_NODE_DAEMON";

/** What `--daemonize`/`--daemonize2` ask for. */
export interface DaemonRequest {
  /** Absolute path of the log file. */
  readonly logFile: string;
  /** `--daemonize2`: the command waits until the workers are ready. */
  readonly whenReady: boolean;
}

/** Message the daemon sends its starter once every worker is ready (`--daemonize2`). */
export const DAEMON_READY = "uwsgi-node:daemon-ready";

/**
 * Reads `--daemonize`/`--daemonize2` (relative paths against `cwd`, before any `--chdir`).
 * @throws UwsgiError UWSGI_ERR_OPTION_VALUE when both are given or the file is empty.
 */
export function readDaemonRequest(options: OptionSet, cwd: string): DaemonRequest | null {
  const one = optionString(options, "daemonize");
  const two = optionString(options, "daemonize2");
  if (one !== undefined && two !== undefined) throw new UwsgiError("UWSGI_ERR_OPTION_VALUE", "daemonize2", "give either --daemonize or --daemonize2, not both");
  const file = one ?? two;
  if (file === undefined) return null;
  if (file.trim() === "") throw new UwsgiError("UWSGI_ERR_OPTION_VALUE", one !== undefined ? "daemonize" : "daemonize2", "a log file is required");
  return { logFile: resolve(cwd, file), whenReady: two !== undefined };
}

/** True in the background copy started by {@link daemonize}; removes the marker so workers do not inherit it. */
export function takeDaemonMarker(): "1" | "2" | null {
  const v = process.env[DAEMON_ENV];
  delete process.env[DAEMON_ENV];
  return v === "1" || v === "2" ? v : null;
}

/** In the daemon started with `--daemonize2`: tells the waiting command that the instance is ready. */
export function reportDaemonReady(): void {
  if (typeof process.send !== "function" || !process.connected) return;
  process.send(DAEMON_READY, undefined, {}, () => {
    if (process.connected) process.disconnect();
  });
}

/**
 * Starts `script argv` again in the background and resolves with the exit code of this command.
 * @throws UwsgiError UWSGI_ERR_OPTION_VALUE naming the option when the log file cannot be opened.
 */
export async function daemonize(script: string, argv: readonly string[], req: DaemonRequest): Promise<number> {
  let fd: number;
  try {
    fd = openSync(req.logFile, "a");
  } catch (err) {
    throw new UwsgiError("UWSGI_ERR_OPTION_VALUE", req.whenReady ? "daemonize2" : "daemonize", `cannot open ${req.logFile}: ${(err as Error).message}`);
  }
  const child = spawn(process.execPath, [...process.execArgv, script, ...argv], {
    detached: true,
    stdio: ["ignore", fd, fd, ...(req.whenReady ? (["ipc"] as const) : [])],
    env: { ...process.env, [DAEMON_ENV]: req.whenReady ? "2" : "1" },
  });
  closeSync(fd);
  if (!req.whenReady) {
    child.unref();
    return 0;
  }
  return new Promise((done) => {
    const onExit = (code: number | null, signal: NodeJS.Signals | null): void => {
      process.stderr.write(`uwsgi-node: the daemon exited (${signal ?? `code ${code}`}) before it was ready; see ${req.logFile}\n`);
      done(code || 1);
    };
    child.once("exit", onExit);
    child.on("message", (msg) => {
      if (msg !== DAEMON_READY) return;
      child.off("exit", onExit);
      if (child.connected) child.disconnect();
      child.unref();
      done(0);
    });
  });
}
