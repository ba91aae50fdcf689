/**
 * Settings of the request-level API in the server: websocket limits (`--websockets-max-size`
 * in KiB, `--websockets-ping-freq`, `--websockets-pong-tolerance` in seconds), the request
 * log format (`--logformat` / `--log-format`) and the internal routing options (`--route` ...,
 * checked here so that a bad rule stops the start). Read once by the master, handed to workers in
 * their plan, installed there with {@link installRequestIoSettings}.
 * @module
 */
import { UwsgiError } from "../../errors.js";
import type { OptionSet } from "../../config/option-set.js";
import { findOption } from "../../config/option-lookup.js";
import { optionInt, optionString } from "../../config/option-values.js";
import { DEFAULT_WEBSOCKET_LIMITS, type WebsocketLimits } from "../../core/request-context.js";
import { ROUTE_SUBJECTS, RouteTable, type RouteOption } from "../../engines/routing/route-table.js";

/** Every routing option, in the order they are read. */
const ROUTE_OPTIONS = new Set([...Object.keys(ROUTE_SUBJECTS), "route-run", "route-label"]);

/** What the request-level functions of a worker need from the configuration. */
export interface RequestIoSettings {
  readonly websocket: WebsocketLimits;
  /** `--logformat`: the request log line with `%(var)` variables, or null for uWSGI's default line. */
  readonly logFormat: string | null;
  /** The routing options in the order given (compiled again in each worker: regexps do not cross IPC). */
  readonly routes: readonly RouteOption[];
}

export const DEFAULT_REQUEST_IO_SETTINGS: RequestIoSettings = Object.freeze({ websocket: DEFAULT_WEBSOCKET_LIMITS, logFormat: null, routes: [] });

function positive(options: OptionSet, name: string, fallback: number): number {
  if (!findOption(name)) return fallback;
  const value = optionInt(options, name, fallback);
  if (value < 1) throw new UwsgiError("UWSGI_ERR_OPTION_VALUE", name, `expected a whole number >= 1, got ${value}`);
  return value;
}

/**
 * Reads the settings from the master's options.
 * @throws UwsgiError UWSGI_ERR_OPTION_VALUE naming a bad value, UWSGI_ERR_ROUTE a bad routing rule.
 */
export function readRequestIoSettings(options: OptionSet): RequestIoSettings {
  const logFormat = findOption("logformat") ? (optionString(options, "logformat") ?? null) : null;
  if (logFormat !== null && logFormat.trim() === "") throw new UwsgiError("UWSGI_ERR_OPTION_VALUE", "logformat", "a format is required");
  return {
    websocket: {
      maxMessageBytes: positive(options, "websockets-max-size", DEFAULT_WEBSOCKET_LIMITS.maxMessageBytes / 1024) * 1024,
      pingFreqSeconds: positive(options, "websockets-ping-freq", DEFAULT_WEBSOCKET_LIMITS.pingFreqSeconds),
      pongToleranceSeconds: positive(options, "websockets-pong-tolerance", DEFAULT_WEBSOCKET_LIMITS.pongToleranceSeconds),
    },
    logFormat,
    routes: routeOptions(options),
  };
}

function routeOptions(options: OptionSet): RouteOption[] {
  const routes = options.entries.filter((e) => ROUTE_OPTIONS.has(e.name)).map((e) => ({ option: e.name, value: e.value === true ? "" : e.value }));
  RouteTable.compile(routes); // throws on the first bad rule
  return routes;
}

let installed: RequestIoSettings = DEFAULT_REQUEST_IO_SETTINGS;

/** Installs this worker's settings (from its plan). */
export function installRequestIoSettings(settings: RequestIoSettings): void {
  installed = settings;
}

/** This worker's settings. */
export function requestIoSettings(): RequestIoSettings {
  return installed;
}
