/** The alarm table: definitions, log-line regexps, uWSGI's anti-loop. */
import { test } from "node:test";
import assert from "node:assert/strict";
import { AlarmTable, parseAlarm, parseLogAlarm } from "../../../src/engines/alarm/alarm-table.js";
import { isUwsgiError } from "../../../src/errors.js";

function table(freqSeconds = 3) {
  const calls: string[] = [];
  let now = 1_000_000;
  const alarms = [parseAlarm("a1 log:"), parseAlarm("mail cmd:mail -s 'alarm' ops@example"), parseAlarm("sig signal:17")];
  const t = new AlarmTable(
    { alarms, logAlarms: [parseLogAlarm("a1,mail OOPS|FATAL", new Set(["a1", "mail", "sig"]))], freqSeconds },
    { log: (l) => calls.push(`log ${l}`), runCommand: (c, i) => calls.push(`cmd ${c} <${i}`), raiseSignal: (n) => calls.push(`signal ${n}`) },
    () => now,
  );
  return { t, calls, advance: (ms: number) => (now += ms) };
}

test("raise runs the alarm's plugin with the message; unknown names are refused", () => {
  const { t, calls } = table();
  assert.equal(t.raise("a1", "disk full"), true);
  assert.equal(t.raise("mail", "disk full"), true);
  assert.equal(t.raise("sig", "x"), true);
  assert.equal(t.raise("nope", "x"), false);
  assert.deepEqual(calls, ["log ALARM: disk full", "cmd mail -s 'alarm' ops@example <disk full", "signal 17"]);
});

test("anti-loop: the same alarm within --alarm-freq seconds is skipped, then raised again", () => {
  const { t, calls, advance } = table(3);
  assert.equal(t.raise("a1", "m1"), true);
  advance(2999);
  assert.equal(t.raise("a1", "m2"), false);
  advance(1);
  assert.equal(t.raise("a1", "m3"), true);
  assert.deepEqual(calls, ["log ALARM: m1", "log ALARM: m3"]);
});

test("checkLine raises every alarm of a matching --log-alarm, not for other lines", () => {
  const { t, calls } = table();
  t.checkLine("all is well");
  t.checkLine("worker 1: FATAL out of memory");
  assert.deepEqual(calls, ["log ALARM: worker 1: FATAL out of memory", "cmd mail -s 'alarm' ops@example <worker 1: FATAL out of memory"]);
});

test("bad definitions are coded option errors naming the problem", () => {
  const bad = (fn: () => unknown, re: RegExp) => assert.throws(fn, (e: unknown) => isUwsgiError(e, "UWSGI_ERR_OPTION_VALUE") && re.test(e.message));
  bad(() => parseAlarm("justaname"), /NAME PLUGIN:ARGS/);
  bad(() => parseAlarm("x curl:http://a"), /curl.*not provided/);
  bad(() => parseAlarm("x signal:300"), /0\.\.255/);
  bad(() => parseAlarm("x cmd:"), /needs a command/);
  bad(() => parseLogAlarm("ghost OOPS", new Set(["a1"])), /unknown alarm "ghost"/);
  bad(() => parseLogAlarm("a1 (unclosed", new Set(["a1"])), /bad regexp/);
});
