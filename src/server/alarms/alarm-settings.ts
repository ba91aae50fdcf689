/**
 * The alarm options (`--alarm`, `--alarm-freq`, `--log-alarm` / `--alarm-log`), read once by the master.
 * @module
 */
import { UwsgiError } from "../../errors.js";
import type { OptionSet } from "../../config/option-set.js";
import { findOption } from "../../config/option-lookup.js";
import { optionInt, optionStrings } from "../../config/option-values.js";
import { parseAlarm, parseLogAlarm, type AlarmSettings } from "../../engines/alarm/alarm-table.js";

/**
 * Reads the alarm settings; null when no alarm is defined.
 * @throws UwsgiError UWSGI_ERR_OPTION_VALUE for a bad definition or a log alarm naming an unknown alarm.
 */
export function readAlarmSettings(options: OptionSet): AlarmSettings | null {
  if (!findOption("alarm")) return null;
  const alarms = optionStrings(options, "alarm").map(parseAlarm);
  const known = new Set(alarms.map((a) => a.name));
  const logAlarms = optionStrings(options, "log-alarm").map((v) => parseLogAlarm(v, known));
  if (alarms.length === 0) {
    if (logAlarms.length > 0) throw new UwsgiError("UWSGI_ERR_OPTION_VALUE", "log-alarm", "no alarm is defined (--alarm)");
    return null;
  }
  const freqSeconds = optionInt(options, "alarm-freq", 3);
  if (freqSeconds < 0) throw new UwsgiError("UWSGI_ERR_OPTION_VALUE", "alarm-freq", `expected a whole number >= 0, got ${freqSeconds}`);
  return { alarms, logAlarms, freqSeconds };
}
