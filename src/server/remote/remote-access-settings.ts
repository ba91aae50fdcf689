/**
 * Which remote operations the instance serves, read once in the master from `--plugin` (uWSGI's
 * spelling: `--plugin cache,rpc,signal,spooler`, names separated by commas or spaces, the option
 * repeatable) and `--remote-allow` (peers allowed once an operation is enabled; default loopback
 * and UNIX socket clients). Plugin names that mean nothing here (`python3`, `http` ...) are
 * reported at start as having no effect.
 * @module
 */
import type { OptionSet } from "../../config/option-set.js";
import { optionStrings } from "../../config/option-values.js";
import { REMOTE_MODIFIERS, type RemoteAccess } from "../uwsgi-protocol/modifier-handlers.js";
import { DEFAULT_REMOTE_ALLOW, PeerAllowList } from "./peer-allow-list.js";

/** Plugins whose work uwsgi-node does without loading anything (no note at start). */
const BUILT_IN_PLUGINS = new Set(["ping", "http", "corerouter", "router_http", "echo"]);

/** The remote access settings and the start-up lines describing them. */
export interface RemoteAccessSettings extends RemoteAccess {
  /** Lines for the start-up log (what is served to whom; plugins without effect). */
  readonly notes: readonly string[];
}

function splitNames(values: readonly string[]): string[] {
  return values.flatMap((v) => v.split(/[\s,]+/)).filter((n) => n !== "");
}

/**
 * Reads `--plugin` and `--remote-allow`.
 * @throws UwsgiError UWSGI_ERR_OPTION_VALUE for a malformed `--remote-allow` entry.
 * @example
 * ```ts
 * readRemoteAccess(parseArgv(["--plugin", "python3,cache,rpc"]).options).modifiers; // [111, 173]
 * ```
 */
export function readRemoteAccess(options: OptionSet): RemoteAccessSettings {
  const plugins = splitNames(optionStrings(options, "plugin"));
  const givenAllow = splitNames(optionStrings(options, "remote-allow"));
  const allow = givenAllow.length > 0 ? givenAllow : [...DEFAULT_REMOTE_ALLOW];
  new PeerAllowList(allow); // validates every entry now, naming the option
  const modifiers: number[] = [];
  const notes: string[] = [];
  const unused: string[] = [];
  for (const name of plugins) {
    const remote = REMOTE_MODIFIERS.find((r) => r.plugin === name || `${r.plugin}_plugin` === name);
    if (remote) {
      if (!modifiers.includes(remote.modifier1)) modifiers.push(remote.modifier1);
    } else if (!BUILT_IN_PLUGINS.has(name) && !unused.includes(name)) {
      unused.push(name);
    }
  }
  modifiers.sort((a, b) => a - b);
  if (unused.length > 0) notes.push(`plugin(s) ${unused.join(", ")}: nothing to load in uwsgi-node, no effect`);
  const served = REMOTE_MODIFIERS.filter((r) => modifiers.includes(r.modifier1));
  const closed = REMOTE_MODIFIERS.filter((r) => !modifiers.includes(r.modifier1));
  if (served.length > 0) notes.push(`*** remote operations enabled: ${served.map((r) => `${r.what} (modifier1 ${r.modifier1})`).join(", ")}; allowed peers: ${allow.join(", ")} ***`);
  else if (givenAllow.length > 0) notes.push(`--remote-allow has no effect: no remote operation is enabled (--plugin ${REMOTE_MODIFIERS.map((r) => r.plugin).join(",")})`);
  if (closed.length > 0 && served.length > 0) notes.push(`remote operations disabled: ${closed.map((r) => r.what).join(", ")}`);
  return { modifiers, allow, notes };
}
