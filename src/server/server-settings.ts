/**
 * The master's view of the options that shape the server: listening sockets, the app, worker
 * count, recycling limits, files to watch, logging. Read once from the parsed options; every
 * value is checked here so a bad one stops the server before anything is bound or forked.
 * @module
 */
import { resolve } from "node:path";
import { UwsgiError } from "../errors.js";
import type { OptionSet } from "../config/option-set.js";
import { findOption } from "../config/option-lookup.js";
import { optionBool, optionInt, optionString, optionStrings } from "../config/option-values.js";
import { readAlarmSettings } from "./alarms/alarm-settings.js";
import type { AlarmSettings } from "../engines/alarm/alarm-table.js";
import { readRequestIoSettings, type RequestIoSettings } from "./request-io/request-io-settings.js";
import { type ListenAddress, parseListenAddress, type SocketProto } from "./listen-address.js";
import { readRemoteAccess, type RemoteAccessSettings } from "./remote/remote-access-settings.js";
import { readLimitSettings, type LimitSettings } from "./limits/limit-settings.js";
import { readLogSettings, type LogSettings } from "./logging/log-settings.js";

/** One socket to listen on. */
export interface SocketSpec {
  /** The option that declared it. */
  readonly option: string;
  readonly proto: SocketProto;
  readonly address: ListenAddress;
}

/** The module to serve and the export to take from it. */
export interface AppSpec {
  /** Absolute path of the module file. */
  readonly path: string;
  /** `--callable` (or the part after `:` in `--module file:name`); null = default, app, application. */
  readonly callable: string | null;
}

/** Everything the master and its workers need to know about serving. */
export interface ServerSettings {
  readonly sockets: readonly SocketSpec[];
  readonly app: AppSpec | null;
  readonly processes: number;
  /** Seconds a request may run before its worker is killed; 0 = never. */
  readonly harakiri: number;
  /** Requests after which a worker is recycled; 0 = never. */
  readonly maxRequests: number;
  /** Resident memory in bytes above which a worker is recycled; 0 = never (`--reload-on-rss` is in MB). */
  readonly reloadOnRss: number;
  readonly touchReload: readonly string[];
  readonly touchChainReload: readonly string[];
  /** `--stats` address, or null. */
  readonly stats: string | null;
  readonly statsHttp: boolean;
  readonly statsMinified: boolean;
  readonly pidfile: string | null;
  /** Logging options (logging/log-settings.ts); `logto` above is its log file. */
  readonly logging: LogSettings;
  readonly logto: string | null;
  readonly disableLogging: boolean;
  /** Listen backlog (`--listen`, default 100 as in uWSGI). */
  readonly listen: number;
  /** `--buffer-size`: the largest request head accepted (default 4096). */
  readonly bufferSize: number;
  /** Seconds a worker may take to finish its requests when stopped gracefully (default 60). */
  readonly workerReloadMercy: number;
  /** Report workers' memory in stats and workers() (`--memory-report`). */
  readonly memoryReport: boolean;
  /** Remove the pidfile and unix socket files at exit (`--vacuum`). */
  readonly vacuum: boolean;
  /** Remote operations served on uwsgi sockets, and to whom (`--plugin`, `--remote-allow`). */
  readonly remote: RemoteAccessSettings;
  /** Websocket limits and the request log format. */
  readonly requestIo: RequestIoSettings;
  /** `--alarm`, `--log-alarm`: null when no alarm is defined. */
  readonly alarms: AlarmSettings | null;
  /** Read timeouts, keep-alive, body size and connection limits of the workers. */
  readonly limits: LimitSettings;
}

/** Socket options in the order uWSGI numbers them, with their protocol. */
const SOCKET_OPTIONS: ReadonlyArray<readonly [string, SocketProto]> = [
  ["http", "http"],
  ["http-socket", "http"],
  ["socket", "uwsgi"],
  ["uwsgi-socket", "uwsgi"],
];

/** An integer option at least `min`; absent gives `fallback`. Options missing from the table read as absent. */
function intOf(options: OptionSet, name: string, fallback: number, min = 0): number {
  if (!findOption(name)) return fallback;
  return optionInt(options, name, fallback, min);
}

/** A string option that must not be empty, or null when absent. */
function stringOf(options: OptionSet, name: string): string | null {
  const value = optionString(options, name);
  if (value === undefined) return null;
  if (value.trim() === "") throw new UwsgiError("UWSGI_ERR_OPTION_VALUE", name, "a value is required");
  return value;
}

function pathsOf(options: OptionSet, name: string, cwd: string): string[] {
  return optionStrings(options, name).map((v) => {
    if (v.trim() === "") throw new UwsgiError("UWSGI_ERR_OPTION_VALUE", name, "a file name is required");
    return resolve(cwd, v);
  });
}

/** Splits `file.js:export` into the file and the export name (a plain path is kept whole). */
function appOf(options: OptionSet, positional: readonly string[], cwd: string): AppSpec | null {
  if (positional.length > 1) {
    throw new UwsgiError("UWSGI_ERR_OPTION_VALUE", "module", `only one app may be given, got ${positional.map((p) => JSON.stringify(p)).join(", ")}`);
  }
  const module = stringOf(options, "module") ?? stringOf(options, "wsgi-file") ?? positional[0] ?? null;
  if (module === null) return null;
  let file = module;
  let callable: string | null = null;
  const m = /^(.*[^:]):([A-Za-z_$][\w$]*)$/.exec(module);
  if (m) {
    file = m[1]!;
    callable = m[2]!;
  }
  const explicit = stringOf(options, "callable");
  return { path: resolve(cwd, file), callable: explicit ?? callable };
}

/**
 * Reads the server settings.
 * @param positional arguments that are not options (the app file).
 * @param cwd directory relative paths are resolved against (after `--chdir`).
 * @throws UwsgiError UWSGI_ERR_OPTION_VALUE naming the option whose value is wrong.
 */
export function readServerSettings(options: OptionSet, positional: readonly string[] = [], cwd: string = process.cwd()): ServerSettings {
  const sockets: SocketSpec[] = [];
  for (const [option, proto] of SOCKET_OPTIONS) {
    for (const value of optionStrings(options, option)) {
      sockets.push({ option, proto, address: parseListenAddress(option, value) });
    }
  }
  const resolveUnix = (s: SocketSpec): SocketSpec =>
    s.address.kind === "unix" && !s.address.path.startsWith("\0") ? { ...s, address: { kind: "unix", path: resolve(cwd, s.address.path) } } : s;
  const stats = stringOf(options, "stats");
  const logging = readLogSettings(options, cwd);
  const pidfile = stringOf(options, "pidfile");
  return {
    sockets: sockets.map(resolveUnix),
    app: appOf(options, positional, cwd),
    processes: intOf(options, "processes", 1, 1),
    harakiri: intOf(options, "harakiri", 0),
    maxRequests: intOf(options, "max-requests", 0),
    reloadOnRss: intOf(options, "reload-on-rss", 0) * 1024 * 1024,
    touchReload: pathsOf(options, "touch-reload", cwd),
    touchChainReload: pathsOf(options, "touch-chain-reload", cwd),
    stats,
    statsHttp: optionBool(options, "stats-http"),
    statsMinified: optionBool(options, "stats-minified"),
    pidfile: pidfile === null ? null : resolve(cwd, pidfile),
    logto: logging.logto,
    logging,
    disableLogging: optionBool(options, "disable-logging"),
    listen: intOf(options, "listen", 100, 1),
    bufferSize: intOf(options, "buffer-size", 4096, 1),
    // 60 s is uWSGI's default
    workerReloadMercy: intOf(options, "worker-reload-mercy", 60, 1),
    memoryReport: optionBool(options, "memory-report"),
    vacuum: optionBool(options, "vacuum"),
    remote: readRemoteAccess(options),
    requestIo: readRequestIoSettings(options),
    alarms: readAlarmSettings(options),
    limits: readLimitSettings(options),
  };
}
