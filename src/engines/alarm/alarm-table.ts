/**
 * uWSGI's alarms: `--alarm "NAME PLUGIN:ARGS"` defines one, `--log-alarm` (`--alarm-log`)
 * `"NAME[,NAME...] REGEXP"` raises it when a log line matches, `uwsgi.alarm(NAME, MSG)` raises it
 * from code. Plugins here: `log:` (writes `ALARM: MSG` to the log), `cmd:COMMAND` (runs COMMAND
 * through the shell with MSG on its standard input), `signal:N` (raises uwsgi signal N).
 * Anti-loop as uWSGI's `--alarm-freq` (default 3 s): an alarm raised again within that many
 * seconds is skipped.
 * @module
 */
import { UwsgiError } from "../../errors.js";

/** One alarm definition. */
export type AlarmAction = { readonly kind: "log" } | { readonly kind: "cmd"; readonly command: string } | { readonly kind: "signal"; readonly num: number };

export interface AlarmSpec {
  readonly name: string;
  readonly action: AlarmAction;
}

/** A log regexp and the alarms it raises. */
export interface LogAlarmSpec {
  readonly alarms: readonly string[];
  readonly pattern: string;
}

/** The alarm options, read once. */
export interface AlarmSettings {
  readonly alarms: readonly AlarmSpec[];
  readonly logAlarms: readonly LogAlarmSpec[];
  /** Seconds within which an alarm is not raised twice. */
  readonly freqSeconds: number;
}

/** What raising does, provided by the process that raises. */
export interface AlarmActions {
  log(line: string): void;
  runCommand(command: string, input: string): void;
  raiseSignal(num: number): void;
}

/**
 * Parses `--alarm` values.
 * @throws UwsgiError UWSGI_ERR_OPTION_VALUE naming `alarm` for a bad definition.
 */
export function parseAlarm(value: string): AlarmSpec {
  const m = /^\s*(\S+)\s+([a-z]+):(.*)$/s.exec(value);
  if (!m) throw new UwsgiError("UWSGI_ERR_OPTION_VALUE", "alarm", `expected "NAME PLUGIN:ARGS", got ${JSON.stringify(value)}`);
  const [, name, plugin, args] = m as unknown as [string, string, string, string];
  switch (plugin) {
    case "log":
      return { name, action: { kind: "log" } };
    case "cmd":
      if (args.trim() === "") throw new UwsgiError("UWSGI_ERR_OPTION_VALUE", "alarm", `alarm ${name}: cmd: needs a command`);
      return { name, action: { kind: "cmd", command: args } };
    case "signal": {
      const num = Number(args);
      if (!Number.isInteger(num) || num < 0 || num > 255) throw new UwsgiError("UWSGI_ERR_OPTION_VALUE", "alarm", `alarm ${name}: signal: needs a signal number 0..255, got ${JSON.stringify(args)}`);
      return { name, action: { kind: "signal", num } };
    }
    default:
      throw new UwsgiError("UWSGI_ERR_OPTION_VALUE", "alarm", `alarm ${name}: plugin ${JSON.stringify(plugin)} is not provided (log, cmd and signal are)`);
  }
}

/**
 * Parses `--log-alarm` values.
 * @throws UwsgiError UWSGI_ERR_OPTION_VALUE naming `log-alarm` for a bad value or regexp.
 */
export function parseLogAlarm(value: string, known: ReadonlySet<string>): LogAlarmSpec {
  const m = /^\s*(\S+)\s+(.+)$/s.exec(value);
  if (!m) throw new UwsgiError("UWSGI_ERR_OPTION_VALUE", "log-alarm", `expected "ALARM[,ALARM...] REGEXP", got ${JSON.stringify(value)}`);
  const alarms = m[1]!.split(",").filter(Boolean);
  for (const a of alarms) if (!known.has(a)) throw new UwsgiError("UWSGI_ERR_OPTION_VALUE", "log-alarm", `unknown alarm ${JSON.stringify(a)} (define it with --alarm)`);
  try {
    new RegExp(m[2]!);
  } catch (err) {
    throw new UwsgiError("UWSGI_ERR_OPTION_VALUE", "log-alarm", `bad regexp ${JSON.stringify(m[2])}: ${(err as Error).message}`);
  }
  return { alarms, pattern: m[2]! };
}

/** The alarms of one process. */
export class AlarmTable {
  readonly #alarms = new Map<string, AlarmAction>();
  readonly #lastRun = new Map<string, number>();
  readonly #logAlarms: Array<{ alarms: readonly string[]; re: RegExp }>;
  readonly #freqMs: number;
  readonly #actions: AlarmActions;
  readonly #now: () => number;

  constructor(settings: AlarmSettings, actions: AlarmActions, now: () => number = Date.now) {
    for (const a of settings.alarms) this.#alarms.set(a.name, a.action);
    this.#logAlarms = settings.logAlarms.map((l) => ({ alarms: l.alarms, re: new RegExp(l.pattern) }));
    this.#freqMs = settings.freqSeconds * 1000;
    this.#actions = actions;
    this.#now = now;
  }

  /** True when some `--log-alarm` regexp is configured. */
  get watchesLog(): boolean {
    return this.#logAlarms.length > 0;
  }

  /** Whether `name` is defined. */
  has(name: string): boolean {
    return this.#alarms.has(name);
  }

  /**
   * Raises alarm `name` with `message`. Returns false when it is unknown or was raised less than
   * `--alarm-freq` seconds ago (skipped, as uWSGI's anti-loop).
   */
  raise(name: string, message: string): boolean {
    const action = this.#alarms.get(name);
    if (!action) return false;
    const now = this.#now();
    const last = this.#lastRun.get(name);
    if (last !== undefined && now - last < this.#freqMs) return false;
    this.#lastRun.set(name, now);
    switch (action.kind) {
      case "log":
        this.#actions.log(`ALARM: ${message}`);
        break;
      case "cmd":
        this.#actions.runCommand(action.command, message);
        break;
      case "signal":
        this.#actions.raiseSignal(action.num);
        break;
    }
    return true;
  }

  /** Checks one log line (without its newline) against the `--log-alarm` regexps. */
  checkLine(line: string): void {
    for (const l of this.#logAlarms) {
      if (l.re.test(line)) for (const a of l.alarms) this.raise(a, line);
    }
  }
}
