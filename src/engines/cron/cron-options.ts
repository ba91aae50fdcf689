/**
 * Command crons from the configuration: `--cron`, `--unique-cron`, `--legion-cron` (alias
 * `--cron-legion`), `--unique-legion-cron` (alias `--unique-cron-legion`) and `--cron2`. The
 * master runs their command through the shell when the time matches (same field rules as
 * `add_cron`).
 * @module
 */
import { UwsgiError } from "../../errors.js";
import { parseKeyValList } from "../metrics/keyval-list.js";
import { cronFieldsProblem, type CronFields } from "./cron-matcher.js";

/** A cron entry that runs a shell command. */
export interface CommandCron {
  readonly fields: CronFields;
  /** Shell command line. */
  readonly command: string;
  /** Skip a run while the previous one is still alive. */
  readonly unique: boolean;
  /** Seconds before the command is killed: null = `--cron-harakiri`, 0 = never. */
  readonly harakiri: number | null;
  /** Only run while this node is the Lord of that legion; null = always. */
  readonly legion: string | null;
}

/** The option names {@link parseCronOption} understands. */
export const CRON_OPTIONS = ["cron", "unique-cron", "legion-cron", "cron-legion", "unique-legion-cron", "unique-cron-legion"] as const;

const CRON_LINE = /^\s*(-?\d+)\s+(-?\d+)\s+(-?\d+)\s+(-?\d+)\s+(-?\d+)\s+(\S[\s\S]*)$/;

/**
 * Parses `"MIN HOUR DAY MONTH WEEKDAY command"` (the legion variants take the legion name first:
 * `"LEGION MIN HOUR DAY MONTH WEEKDAY command"`). Fields use the `add_cron` rules.
 * uWSGI does not range-check the fields (an out-of-range one simply never matches); here it is an error.
 * @throws UwsgiError `UWSGI_ERR_OPTION_VALUE` naming the option (and the field).
 * @example
 * parseCronOption("cron", "0 3 -1 -1 -1 /usr/bin/backup"); // 03:00 every day
 */
export function parseCronOption(option: (typeof CRON_OPTIONS)[number], value: string): CommandCron {
  const fail = (why: string): never => {
    throw new UwsgiError("UWSGI_ERR_OPTION_VALUE", option, why);
  };
  if (!(CRON_OPTIONS as readonly string[]).includes(option)) fail(`not a cron option (${CRON_OPTIONS.join(", ")})`);
  let text = value;
  let legion: string | null = null;
  if (option.includes("legion")) {
    const m = /^\s*(\S+)\s+([\s\S]*)$/.exec(value);
    if (!m) fail(`expected "<legion> <minute> <hour> <day> <month> <weekday> <command>", got ${JSON.stringify(value)}`);
    legion = m![1]!;
    text = m![2]!;
  }
  const m = CRON_LINE.exec(text);
  if (!m) fail(`expected "<minute> <hour> <day> <month> <weekday> <command>", got ${JSON.stringify(value)}`);
  const [minute, hour, day, month, weekday] = m!.slice(1, 6).map(Number) as [number, number, number, number, number];
  const fields = { minute, hour, day, month, weekday };
  const problem = cronFieldsProblem(fields);
  if (problem) fail(problem[1]);
  return { fields, command: m![6]!.trim(), unique: option.startsWith("unique"), harakiri: null, legion };
}

/**
 * Parses `--cron2 "minute=..,hour=..,day=..,month=..,week=..,unique=0|1,harakiri=S,legion=NAME command"`.
 * Missing fields mean -1 (any); a value without `key=value` part is just the command.
 * `harakiri=0` disables `--cron-harakiri` for this entry.
 * @throws UwsgiError `UWSGI_ERR_OPTION_VALUE` naming `cron2` and the bad key.
 * @example
 * parseCron2Option("minute=-5,unique=1 /usr/bin/poll"); // every 5 minutes, never two at once
 */
export function parseCron2Option(value: string): CommandCron {
  const fail = (why: string): never => {
    throw new UwsgiError("UWSGI_ERR_OPTION_VALUE", "cron2", why);
  };
  const trimmed = value.trim();
  const space = trimmed.search(/\s/);
  const head = space < 0 ? trimmed : trimmed.slice(0, space);
  const hasKeys = head.includes("=");
  const command = hasKeys ? (space < 0 ? "" : trimmed.slice(space).trim()) : trimmed;
  if (command === "") fail(`a command is required after the key=value list, got ${JSON.stringify(value)}`);
  const kv = hasKeys ? parseKeyValList(head, "cron2", ["minute", "hour", "day", "month", "week", "unique", "harakiri", "legion"]) : new Map<string, string>();
  const int = (key: string, fallback: number): number => {
    const raw = kv.get(key);
    if (raw === undefined) return fallback;
    if (!/^-?\d+$/.test(raw.trim())) fail(`${key} must be an integer, got ${JSON.stringify(raw)}`);
    return Number(raw);
  };
  const fields = { minute: int("minute", -1), hour: int("hour", -1), day: int("day", -1), month: int("month", -1), weekday: int("week", -1) };
  const problem = cronFieldsProblem(fields);
  if (problem) fail(problem[0] === "weekday" ? problem[1].replace(/^weekday/, "week") : problem[1]);
  const harakiri = kv.has("harakiri") ? int("harakiri", 0) : null;
  if (harakiri !== null && harakiri < 0) fail(`harakiri must be >= 0, got ${harakiri}`);
  const legion = kv.get("legion") ?? null;
  if (legion === "") fail("legion must not be empty");
  return { fields, command, unique: int("unique", 0) !== 0, harakiri, legion };
}
