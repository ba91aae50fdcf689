/**
 * The `--timer` / `--signal-timer` and `--rbtimer` / `--signal-rbtimer` options:
 * `"SIGNAL SECONDS"`, added by the master at startup.
 * @module
 */
import { UwsgiError } from "../../errors.js";

/** One configured timer. */
export interface TimerOption {
  readonly signum: number;
  readonly seconds: number;
}

/**
 * Parses `"SIGNAL SECONDS"` (both integers; the signal 0..255). uWSGI reads both with `atoi`, so
 * garbage silently becomes 0; here it is an error.
 * @param option the option's name for error messages (`timer`, `rbtimer`...).
 * @throws UwsgiError `UWSGI_ERR_OPTION_VALUE` naming the option.
 * @example
 * parseTimerOption("timer", "17 30"); // { signum: 17, seconds: 30 }
 */
export function parseTimerOption(option: string, value: string): TimerOption {
  const m = /^\s*(\d+)\s+(\d+)\s*$/.exec(value);
  if (!m) throw new UwsgiError("UWSGI_ERR_OPTION_VALUE", option, `expected "<signal> <seconds>", got ${JSON.stringify(value)}`);
  const signum = Number(m[1]);
  const seconds = Number(m[2]);
  if (signum > 255) throw new UwsgiError("UWSGI_ERR_OPTION_VALUE", option, `signal ${signum} is out of range 0..255`);
  if (seconds > 2 ** 31 - 1) throw new UwsgiError("UWSGI_ERR_OPTION_VALUE", option, `${seconds} seconds is too long`);
  return { signum, seconds };
}
