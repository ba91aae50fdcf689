/**
 * The logging options, read once in the master: where the log and the request lines go, whether
 * lines go through the master, rotation and reopening.
 * @module
 */
import { resolve } from "node:path";
import { UwsgiError } from "../../errors.js";
import type { OptionSet } from "../../config/option-set.js";
import { optionBool, optionInt, optionString, optionStrings } from "../../config/option-values.js";

/** Where request lines go. */
export type RequestLogTarget =
  /** The instance's log (`--logto`, else standard error). */
  | { readonly kind: "log" }
  /** Their own file (`--req-logger file:FILE`). */
  | { readonly kind: "file"; readonly path: string }
  /** Standard error, also when the log is a file (`--req-logger stdio`). */
  | { readonly kind: "stderr" };

/** The logging options (see `uwsgi-node --help`, section logging). */
export interface LogSettings {
  /** The log file (`--logto`, `--logger file:FILE`); null: standard error. */
  readonly logto: string | null;
  readonly requestLog: RequestLogTarget;
  /** `--log-master`: request lines go through the master's pipe like the rest of a worker's output. */
  readonly viaMaster: boolean;
  /** `--log-maxsize` in bytes (0: no rotation by size). */
  readonly maxSize: number;
  /** `--log-backupname`, resolved; null: `FILE.<unix time>`. */
  readonly backupName: string | null;
  /** `--log-reopen`: reopen the log files on every reload. */
  readonly reopenOnReload: boolean;
  /** `--touch-logreopen` files. */
  readonly touchReopen: readonly string[];
  /** `--touch-logrotate` files. */
  readonly touchRotate: readonly string[];
  /** `--logfile-chown`. */
  readonly chown: boolean;
}

/** Parses a `--logger`/`--req-logger` value: `file:PATH` or `stdio` (an optional leading logger name is allowed). */
function loggerTarget(option: string, value: string, cwd: string): { kind: "file"; path: string } | { kind: "stderr" } {
  // uWSGI accepts "[name ]plugin:args"; the name only matters for routing, which is not offered.
  const spec = value.trim().replace(/^\S+\s+(?=\S+:|stdio$)/, "");
  if (spec === "stdio") return { kind: "stderr" };
  if (spec.startsWith("file:")) {
    const path = spec.slice(5);
    if (path.includes("=")) {
      throw new UwsgiError("UWSGI_ERR_OPTION_VALUE", option, `${JSON.stringify(value)}: the key=value form of the file logger is not supported; use file:PATH with --log-maxsize/--log-backupname`);
    }
    if (!path) throw new UwsgiError("UWSGI_ERR_OPTION_VALUE", option, `${JSON.stringify(value)} has no file name after "file:"`);
    return { kind: "file", path: resolve(cwd, path) };
  }
  const plugin = spec.split(":")[0];
  throw new UwsgiError("UWSGI_ERR_OPTION_VALUE", option, `logger ${JSON.stringify(plugin)} is not available: uwsgi-node offers file:PATH and stdio`);
}

/**
 * Reads the logging options.
 * @throws UwsgiError UWSGI_ERR_OPTION_VALUE for an unavailable logger, both `--logto` and
 *   `--logger file:`, or rotation options without a log file.
 * @example
 * ```ts
 * readLogSettings(options, process.cwd()).logto; // "/var/log/app.log" or null
 * ```
 */
export function readLogSettings(options: OptionSet, cwd: string, daemonLogFile: string | null = null): LogSettings {
  const logtoOption = optionString(options, "logto");
  if (logtoOption !== undefined && logtoOption.trim() === "") throw new UwsgiError("UWSGI_ERR_OPTION_VALUE", "logto", "a value is required");
  let logto = logtoOption === undefined ? null : resolve(cwd, logtoOption);
  const logger = optionString(options, "logger");
  if (logger !== undefined) {
    const t = loggerTarget("logger", logger, cwd);
    if (t.kind === "file") {
      if (logto !== null && logto !== t.path) throw new UwsgiError("UWSGI_ERR_OPTION_VALUE", "logger", `both --logto ${logto} and --logger file:${t.path} name the log: give one`);
      logto = t.path;
    }
  }
  logto ??= daemonLogFile;
  const req = optionString(options, "req-logger");
  const requestLog: RequestLogTarget = req === undefined ? { kind: "log" } : loggerTarget("req-logger", req, cwd);
  const maxSize = optionInt(options, "log-maxsize", 0);
  const backup = optionString(options, "log-backupname");
  const touchRotate = optionStrings(options, "touch-logrotate").map((p) => resolve(cwd, p));
  if ((maxSize > 0 || touchRotate.length > 0) && logto === null) {
    throw new UwsgiError("UWSGI_ERR_OPTION_VALUE", maxSize > 0 ? "log-maxsize" : "touch-logrotate", "rotation needs a log file (--logto FILE or --logger file:FILE)");
  }
  return {
    logto,
    requestLog,
    viaMaster: optionBool(options, "log-master"),
    maxSize,
    backupName: backup === undefined || backup.trim() === "" ? null : resolve(cwd, backup),
    reopenOnReload: optionBool(options, "log-reopen"),
    touchReopen: optionStrings(options, "touch-logreopen").map((p) => resolve(cwd, p)),
    touchRotate,
    chown: optionBool(options, "logfile-chown"),
  };
}
