/**
 * The `--legion*` options, read into one {@link LegionConfig} per legion. Option order does not
 * matter here (uWSGI needs `--legion` before the options naming it); a name no `--legion`
 * declares is an error, as in uWSGI.
 * @module
 */
import { UwsgiError } from "../errors.js";
import type { OptionSet } from "./option-set.js";

/** Events a legion hook can be attached to (`--legion-<event> "NAME ACTION:ARG"`). */
export const LEGION_HOOK_EVENTS = ["lord", "unlord", "setup", "death", "join", "node-joined", "node-left"] as const;
export type LegionHookEvent = (typeof LEGION_HOOK_EVENTS)[number];

/** What a hook does: a shell command (`cmd:`/`exec:`), a signal to route, a log line, or an alarm (`--alarm`) raised. */
export type LegionAction =
  | { readonly kind: "cmd"; readonly command: string }
  | { readonly kind: "signal"; readonly signum: number }
  | { readonly kind: "log"; readonly text: string }
  | { readonly kind: "alarm"; readonly alarm: string; readonly message: string };

/** One hook as configured (its text is what uWSGI logs when calling it). */
export interface LegionHook {
  readonly text: string;
  readonly action: LegionAction;
}

/** A UDP peer announces are sent to. */
export interface LegionPeer {
  readonly host: string;
  readonly port: number;
}

/** One legion's configuration. */
export interface LegionConfig {
  readonly name: string;
  /** The bind address as written (`host:port`). */
  readonly addr: string;
  readonly bindHost: string;
  readonly bindPort: number;
  /** Set for `--legion-mcast`: the group joined and announced to. */
  readonly multicast: boolean;
  readonly valor: number;
  readonly algorithm: string;
  readonly secret: string;
  readonly iv: string | null;
  readonly nodes: readonly LegionPeer[];
  /** The peers as written, for the stats document. */
  readonly nodeTexts: readonly string[];
  readonly quorum: number;
  readonly scroll: string | null;
  readonly hooks: Readonly<Record<LegionHookEvent, readonly LegionHook[]>>;
}

/** Settings shared by every legion. */
export interface LegionGlobals {
  /** Seconds between announces (`--legion-freq`, default 3). */
  readonly freq: number;
  readonly tolerance: number;
  readonly skewTolerance: number;
  readonly deathOnLordError: number;
  readonly scrollMaxSize: number;
  readonly scrollListMaxSize: number;
}

function fail(option: string, why: string): never {
  throw new UwsgiError("UWSGI_ERR_LEGION_OPTION", option, why);
}

function text(option: string, v: string | true): string {
  if (v === true) fail(option, "a value is required");
  return v;
}

/** `NAME REST`: the legion name and the rest of the value. */
function nameAndRest(option: string, value: string | true, what: string): [string, string] {
  const m = /^\s*(\S+)\s+(\S[\s\S]*)$/.exec(text(option, value));
  if (!m) fail(option, `invalid syntax, must be <legion> <${what}>, got ${JSON.stringify(value)}`);
  return [m[1]!, m[2]!.trim()];
}

function udpAddress(option: string, addr: string): LegionPeer {
  const colon = addr.lastIndexOf(":");
  if (colon < 0) {
    fail(option, `${JSON.stringify(addr)} is a unix datagram address: uwsgi-node legions use UDP only (Node has no unix datagram sockets); give host:port`);
  }
  let host = addr.slice(0, colon);
  const portText = addr.slice(colon + 1);
  if (!/^\d{1,5}$/.test(portText) || Number(portText) > 65535) fail(option, `invalid udp port in ${JSON.stringify(addr)}`);
  if (host.startsWith("[") && host.endsWith("]")) host = host.slice(1, -1);
  return { host: host === "" ? "0.0.0.0" : host, port: Number(portText) };
}

function wholeNumber(option: string, t: string): number {
  if (!/^\d+$/.test(t.trim())) fail(option, `expected a whole number >= 0, got ${JSON.stringify(t)}`);
  return Number(t.trim());
}

function parseAction(option: string, action: string, alarms: ReadonlySet<string>): LegionAction {
  const colon = action.indexOf(":");
  if (colon <= 0) fail(option, `invalid action ${JSON.stringify(action)}: expected cmd:, exec:, signal: or log:`);
  const kind = action.slice(0, colon);
  const arg = action.slice(colon + 1);
  switch (kind) {
    case "cmd":
    case "exec":
      if (arg.trim() === "") fail(option, `${kind}: needs a command`);
      return { kind: "cmd", command: arg };
    case "signal": {
      const n = wholeNumber(option, arg);
      if (n > 255) fail(option, `signal ${n} is out of range 0..255`);
      return { kind: "signal", signum: n };
    }
    case "log":
      return { kind: "log", text: arg };
    case "alarm": {
      const m = /^(\S+)(?:\s+([\s\S]*))?$/.exec(arg.trim());
      if (!m) fail(option, "alarm: needs an alarm name (alarm:NAME MESSAGE)");
      if (!alarms.has(m[1]!)) fail(option, `alarm ${JSON.stringify(m[1])} is not defined (define it with --alarm)`);
      return { kind: "alarm", alarm: m[1]!, message: m[2] ?? "" };
    }
    default:
      return fail(option, `unknown action ${JSON.stringify(kind)} (cmd:, exec:, signal:, log: or alarm:)`);
  }
}

/** One `--legion-redis "NAME URL VALOR"`: a Lord elected through a lease in Redis. */
export interface RedisLegionConfig {
  readonly name: string;
  /** `redis://[user:pass@]host:port[/db]` (or `rediss://`). */
  readonly url: string;
  readonly valor: number;
  readonly scroll: string | null;
  readonly hooks: Readonly<Record<LegionHookEvent, readonly LegionHook[]>>;
}

/** Every legion the options declare. */
export interface Legions {
  readonly udp: readonly LegionConfig[];
  readonly redis: readonly RedisLegionConfig[];
}

interface Draft {
  kind: "udp" | "redis";
  name: string;
  addr: string;
  bind: LegionPeer;
  multicast: boolean;
  valor: number;
  algorithm: string;
  secret: string;
  iv: string | null;
  nodes: LegionPeer[];
  nodeTexts: string[];
  quorum: number;
  scroll: string | null;
  hooks: Record<LegionHookEvent, LegionHook[]>;
}

function declare(option: string, value: string | true, multicast: boolean): Draft {
  const m = /^\s*(\S+)\s+(\S+)\s+(\S+)\s+([^:\s]+):(\S*)(?:\s+(\S+))?\s*$/.exec(text(option, value));
  if (!m) fail(option, `invalid syntax, must be <legion> <addr> <valor> <algo:secret>[ <iv>], got ${JSON.stringify(value)}`);
  const [, name, addr, valor, algorithm, secret, iv] = m;
  const bind = udpAddress(option, addr!);
  const hooks = emptyHooks();
  const d: Draft = {
    kind: "udp",
    name: name!, addr: addr!, bind, multicast, valor: wholeNumber(option, valor!), algorithm: algorithm!, secret: secret!,
    iv: iv ?? null, nodes: [], nodeTexts: [], quorum: 0, scroll: null, hooks,
  };
  if (multicast) {
    d.nodes.push(bind);
    d.nodeTexts.push(addr!);
  }
  return d;
}

function emptyHooks(): Record<LegionHookEvent, LegionHook[]> {
  return Object.fromEntries(LEGION_HOOK_EVENTS.map((e) => [e, [] as LegionHook[]])) as Record<LegionHookEvent, LegionHook[]>;
}

function declareRedis(option: string, value: string | true): Draft {
  const m = /^\s*(\S+)\s+(\S+)\s+(\S+)\s*$/.exec(text(option, value));
  if (!m) fail(option, `invalid syntax, must be <legion> <redis url> <valor>, got ${JSON.stringify(value)}`);
  const [, name, url, valor] = m;
  if (!/^rediss?:\/\//.test(url!)) fail(option, `${JSON.stringify(url)} is not a redis:// or rediss:// URL`);
  try {
    new URL(url!);
  } catch {
    fail(option, `${JSON.stringify(url)} is not a valid URL`);
  }
  return {
    kind: "redis", name: name!, addr: url!, bind: { host: "", port: 0 }, multicast: false, valor: wholeNumber(option, valor!),
    algorithm: "", secret: "", iv: null, nodes: [], nodeTexts: [], quorum: 0, scroll: null, hooks: emptyHooks(),
  };
}

/** The UDP legions the options declare, in declaration order (empty without `--legion`). */
export function readLegions(options: OptionSet): LegionConfig[] {
  return [...readAllLegions(options).udp];
}

/** Every legion the options declare (`--legion`, `--legion-mcast`, `--legion-redis`), in declaration order. */
export function readAllLegions(options: OptionSet): Legions {
  const drafts = new Map<string, Draft>();
  for (const e of options.entries) {
    if (e.name !== "legion" && e.name !== "legion-mcast" && e.name !== "legion-redis") continue;
    const d = e.name === "legion-redis" ? declareRedis(e.name, e.value) : declare(e.name, e.value, e.name === "legion-mcast");
    if (drafts.has(d.name)) fail(e.name, `legion ${JSON.stringify(d.name)} is declared twice`);
    drafts.set(d.name, d);
  }
  const named = (option: string, name: string): Draft => drafts.get(name) ?? fail(option, `unknown legion: ${name}`);
  const alarms = new Set(options.all("alarm").map((v) => (v === true ? "" : v.trim().split(/\s+/)[0]!)));
  for (const e of options.entries) {
    if (e.name === "legion-node") {
      const [name, addr] = nameAndRest(e.name, e.value, "addr");
      const d = named(e.name, name);
      if (d.kind === "redis") fail(e.name, `legion ${name} elects through Redis: it has no UDP nodes`);
      d.nodes.push(udpAddress(e.name, addr));
      d.nodeTexts.push(addr);
    } else if (e.name === "legion-quorum") {
      const [name, n] = nameAndRest(e.name, e.value, "quorum");
      const d = named(e.name, name);
      if (d.kind === "redis") fail(e.name, `legion ${name} elects through Redis, which is the arbiter: it has no quorum`);
      d.quorum = wholeNumber(e.name, n);
    } else if (e.name === "legion-scroll") {
      const [name, scroll] = nameAndRest(e.name, e.value, "scroll");
      named(e.name, name).scroll = scroll;
    } else if (e.name.startsWith("legion-") && (LEGION_HOOK_EVENTS as readonly string[]).includes(e.name.slice(7))) {
      const [name, action] = nameAndRest(e.name, e.value, "action");
      named(e.name, name).hooks[e.name.slice(7) as LegionHookEvent].push({ text: action, action: parseAction(e.name, action, alarms) });
    }
  }
  const all = [...drafts.values()];
  const udp = all.filter((d) => d.kind === "udp").map((d) => ({
    name: d.name, addr: d.addr, bindHost: d.bind.host, bindPort: d.bind.port, multicast: d.multicast, valor: d.valor,
    algorithm: d.algorithm, secret: d.secret, iv: d.iv, nodes: d.nodes, nodeTexts: d.nodeTexts, quorum: d.quorum, scroll: d.scroll, hooks: d.hooks,
  }));
  const redis = all.filter((d) => d.kind === "redis").map((d) => ({ name: d.name, url: d.addr, valor: d.valor, scroll: d.scroll, hooks: d.hooks }));
  return { udp, redis };
}

function intOption(options: OptionSet, name: string, fallback: number, min: number): number {
  const v = options.get(name);
  if (v === undefined) return fallback;
  const n = wholeNumber(name, v === true ? "" : v);
  if (n < min) fail(name, `expected a whole number >= ${min}, got ${n}`);
  return n;
}

/** The settings shared by every legion, with uWSGI's defaults (skew tolerance: the code's 60 s). */
export function readLegionGlobals(options: OptionSet): LegionGlobals {
  return {
    freq: intOption(options, "legion-freq", 3, 1),
    tolerance: intOption(options, "legion-tolerance", 15, 1),
    skewTolerance: intOption(options, "legion-skew-tolerance", 60, 0),
    deathOnLordError: intOption(options, "legion-death-on-lord-error", 0, 0),
    scrollMaxSize: intOption(options, "legion-scroll-max-size", 4096, 0),
    scrollListMaxSize: intOption(options, "legion-scroll-list-max-size", 32768, 2),
  };
}
