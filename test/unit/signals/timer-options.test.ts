import { test } from "node:test";
import assert from "node:assert/strict";
import { parseTimerOption } from "../../../src/engines/signals/timer-options.js";
import { isUwsgiError } from "../../../src/errors.js";

test("--timer/--rbtimer: \"SIGNAL SECONDS\"", () => {
  assert.deepEqual(parseTimerOption("timer", "17 30"), { signum: 17, seconds: 30 });
  assert.deepEqual(parseTimerOption("rbtimer", "  0   5 "), { signum: 0, seconds: 5 });
});

test("--timer: malformed values are errors naming the option (uWSGI atoi()s them to 0)", () => {
  for (const bad of ["17", "17 x", "x 5", "256 5", "-1 5", "1 -5", "1 2 3", ""]) {
    assert.throws(() => parseTimerOption("signal-timer", bad), (e: unknown) => isUwsgiError(e, "UWSGI_ERR_OPTION_VALUE") && e.message.includes("signal-timer"), bad);
  }
});
