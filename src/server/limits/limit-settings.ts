/**
 * Limits on what a client may hold or send, read once in the master and handed to the workers:
 * `--socket-timeout` (seconds a read may wait: HTTP headers, uwsgi packets, request bodies, a new
 * connection's first bytes; default 4 as uWSGI), `--http-keepalive` (idle keep-alive timeout in
 * seconds; `0`/`false` closes after each response; default 5, Node's), `--limit-post` (largest
 * request body in bytes, 0 = none) and `--max-connections` (open connections per worker; default:
 * what the descriptor limit leaves after a reserve for the app).
 * @module
 */
import { readFileSync } from "node:fs";
import { UwsgiError } from "../../errors.js";
import type { OptionSet } from "../../config/option-set.js";
import { FALSE_WORDS, TRUE_WORDS } from "../../config/option-validators.js";
import { optionInt, optionString } from "../../config/option-values.js";

/** What a worker enforces on its connections. */
export interface LimitSettings {
  /** ms a read may wait (`--socket-timeout`). */
  readonly socketTimeoutMs: number;
  /** ms an idle keep-alive HTTP connection is kept; 0 = no keep-alive (`--http-keepalive`). */
  readonly httpKeepAliveMs: number;
  /** Largest request body in bytes; 0 = no limit (`--limit-post`). */
  readonly limitPost: number;
  /** Open connections per worker; 0 = no limit of ours (`--max-connections`). */
  readonly maxConnections: number;
}

/** Node's default keep-alive timeout, kept as ours. */
export const DEFAULT_KEEPALIVE_MS = 5000;
/** Descriptors left to the app (files, outgoing connections) when deriving the connection cap. */
const FD_RESERVE = 64;

/** The soft RLIMIT_NOFILE of this process, from /proc (Linux); null when unknown or unlimited. */
export function openFileLimit(): number | null {
  try {
    const m = /^Max open files\s+(\d+|unlimited)/m.exec(readFileSync("/proc/self/limits", "utf8"));
    return m && m[1] !== "unlimited" ? Number(m[1]) : null;
  } catch {
    return null;
  }
}

function keepAliveOf(options: OptionSet): number {
  const raw = optionString(options, "http-keepalive");
  if (raw === undefined) return DEFAULT_KEEPALIVE_MS;
  const text = raw.trim().toLowerCase();
  if (FALSE_WORDS.includes(text)) return 0;
  if (text === "" || TRUE_WORDS.includes(text)) return DEFAULT_KEEPALIVE_MS;
  if (!/^\d+$/.test(text)) throw new UwsgiError("UWSGI_ERR_OPTION_VALUE", "http-keepalive", `expected seconds, true or false, got ${JSON.stringify(raw)}`);
  return Number(text) * 1000;
}

/**
 * Reads the limits.
 * @throws UwsgiError UWSGI_ERR_OPTION_VALUE naming the option whose value is wrong.
 * @example
 * ```ts
 * readLimitSettings(parseArgv(["--socket-timeout", "10", "--limit-post", "1048576"]).options);
 * ```
 */
export function readLimitSettings(options: OptionSet, fdLimit: number | null = openFileLimit()): LimitSettings {
  const timeout = optionInt(options, "socket-timeout", 4);
  if (timeout < 1) throw new UwsgiError("UWSGI_ERR_OPTION_VALUE", "socket-timeout", `expected a whole number of seconds >= 1, got ${timeout}`);
  const given = optionInt(options, "max-connections", 0);
  const derived = fdLimit === null ? 0 : Math.max(16, fdLimit - FD_RESERVE);
  return {
    socketTimeoutMs: timeout * 1000,
    httpKeepAliveMs: keepAliveOf(options),
    limitPost: optionInt(options, "limit-post", 0),
    maxConnections: given > 0 ? given : derived,
  };
}
