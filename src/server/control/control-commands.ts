/**
 * The command-line modes that operate an instance instead of running one: `--reload PIDFILE`
 * and `--stop PIDFILE`.
 * @module
 */
import type { OptionSet } from "../../config/option-set.js";
import { optionString } from "../../config/option-values.js";
import { UwsgiError } from "../../errors.js";
import { PIDFILE_COMMANDS, signalPidfile } from "./pidfile-control.js";

/**
 * Runs `--reload`/`--stop` when given: resolves with the exit code (0 signalled, 1 with the
 * message on standard error when the pidfile is missing or stale), or null when neither is given.
 */
export function runPidfileCommand(options: OptionSet): number | null {
  for (const command of Object.keys(PIDFILE_COMMANDS) as Array<keyof typeof PIDFILE_COMMANDS>) {
    const pidfile = optionString(options, command);
    if (pidfile === undefined) continue;
    try {
      if (pidfile.trim() === "") throw new UwsgiError("UWSGI_ERR_OPTION_VALUE", command, "a pidfile is required");
      const pid = signalPidfile(command, pidfile);
      process.stdout.write(`uwsgi-node: sent ${PIDFILE_COMMANDS[command]} to the master (pid ${pid}) of ${pidfile}\n`);
      return 0;
    } catch (err) {
      if (!(err instanceof UwsgiError)) throw err;
      process.stderr.write(`uwsgi-node: ${err.message}\n`);
      return 1;
    }
  }
  return null;
}
