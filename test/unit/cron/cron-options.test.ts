import { test } from "node:test";
import assert from "node:assert/strict";
import { parseCron2Option, parseCronOption } from "../../../src/engines/cron/cron-options.js";
import { isUwsgiError } from "../../../src/errors.js";

const bad = (fn: () => unknown, option: string, mention = "") =>
  assert.throws(fn, (e: unknown) => isUwsgiError(e, "UWSGI_ERR_OPTION_VALUE") && e.message.includes(option) && e.message.includes(mention));

test("--cron: five fields and a command", () => {
  assert.deepEqual(parseCronOption("cron", "59 2 -1 -1 -1 /usr/bin/backup --all  now"), {
    fields: { minute: 59, hour: 2, day: -1, month: -1, weekday: -1 },
    command: "/usr/bin/backup --all  now",
    unique: false,
    harakiri: null,
    legion: null,
  });
  assert.equal(parseCronOption("unique-cron", "-5 -1 -1 -1 -1 poll").unique, true);
});

test("--legion-cron and --unique-legion-cron take the legion first", () => {
  const c = parseCronOption("legion-cron", "mylegion 0 3 -1 -1 -1 cleanup");
  assert.equal(c.legion, "mylegion");
  assert.equal(c.command, "cleanup");
  assert.equal(c.unique, false);
  assert.equal(parseCronOption("unique-cron-legion", "l 0 3 -1 -1 -1 x").unique, true);
  bad(() => parseCronOption("cron-legion", "0"), "cron-legion");
});

test("--cron: syntax and range errors name the option and field", () => {
  bad(() => parseCronOption("cron", "0 3 -1 -1 -1"), "cron", "command");
  bad(() => parseCronOption("cron", "0 3 * * * cmd"), "cron");
  bad(() => parseCronOption("cron", "0 24 -1 -1 -1 cmd"), "cron", "hour");
});

test("--cron2: key=value fields with -1 defaults, unique, harakiri, legion", () => {
  assert.deepEqual(parseCron2Option("minute=-5,hour=2,week=7,unique=1,harakiri=30,legion=L /bin/job a b"), {
    fields: { minute: -5, hour: 2, day: -1, month: -1, weekday: 7 },
    command: "/bin/job a b",
    unique: true,
    harakiri: 30,
    legion: "L",
  });
  const plain = parseCron2Option("/bin/every-minute --flag=1");
  assert.deepEqual(plain.fields, { minute: -1, hour: -1, day: -1, month: -1, weekday: -1 });
  assert.equal(plain.command, "/bin/every-minute --flag=1");
  assert.equal(plain.harakiri, null);
  assert.equal(parseCron2Option("harakiri=0 x").harakiri, 0, "0 disables --cron-harakiri");
});

test("--cron2: errors name the key", () => {
  bad(() => parseCron2Option("minute=5"), "cron2", "command");
  bad(() => parseCron2Option("minute=x cmd"), "cron2", "minute");
  bad(() => parseCron2Option("week=9 cmd"), "cron2", "week");
  bad(() => parseCron2Option("weekday=1 cmd"), "cron2", "weekday");
  bad(() => parseCron2Option("harakiri=-1 cmd"), "cron2", "harakiri");
});
