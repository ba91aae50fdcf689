/**
 * The master's alarms: every line of the instance log (the master's and the workers') is checked
 * against the `--log-alarm` regexps as it is written; a match raises the alarm there: `log:`
 * writes `ALARM: LINE` (not checked again), `cmd:` runs the command through `/bin/sh -c` with the
 * line on its standard input (its exit is logged when it fails), `signal:N` raises uwsgi signal N
 * through the master's signal router (as any raise: to the processes its handler was registered
 * for). `uwsgi.alarm(name, msg)` from workers, mules and spoolers is raised on the returned table.
 * @module
 */
import { Buffer } from "node:buffer";
import { spawn } from "node:child_process";
import { AlarmTable, type AlarmSettings } from "../../engines/alarm/alarm-table.js";
import type { LogSink } from "../log-sink.js";

/**
 * Installs the alarms on the master's log; returns the table (for `uwsgi.alarm` relays).
 * `raiseSignal` routes a `signal:N` alarm's signal (it throws when the instance cannot yet).
 */
export function installMasterAlarms(settings: AlarmSettings, sink: LogSink, raiseSignal: (num: number) => void): AlarmTable {
  const table = new AlarmTable(settings, {
    log: (line) => sink.untapped(Buffer.from(`${line}\n`)),
    runCommand: (command, input) => {
      const child = spawn("/bin/sh", ["-c", command], { stdio: ["pipe", "ignore", "ignore"] });
      child.on("error", (err) => sink.untapped(Buffer.from(`alarm command failed to start: ${err.message}\n`)));
      child.on("exit", (code) => {
        if (code) sink.untapped(Buffer.from(`alarm command exited with code ${code}: ${command}\n`));
      });
      child.stdin.on("error", () => undefined);
      child.stdin.end(input);
    },
    raiseSignal: (num) => {
      try {
        raiseSignal(num);
      } catch (err) {
        sink.untapped(Buffer.from(`alarm signal ${num} not raised: ${(err as Error).message}\n`));
      }
    },
  });
  if (table.watchesLog) {
    sink.tap = (chunk) => {
      const text = chunk.toString();
      let start = 0;
      for (let nl = text.indexOf("\n"); nl >= 0; nl = text.indexOf("\n", start)) {
        table.checkLine(text.slice(start, nl));
        start = nl + 1;
      }
      if (start < text.length) table.checkLine(text.slice(start));
    };
  }
  return table;
}

