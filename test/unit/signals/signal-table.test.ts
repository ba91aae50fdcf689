import { test } from "node:test";
import assert from "node:assert/strict";
import { SignalTable } from "../../../src/engines/signals/signal-table.js";
import { checkSignalNumber } from "../../../src/engines/signals/signal-number.js";
import { isUwsgiError } from "../../../src/errors.js";

const master = { workerId: 0 };
const worker1 = { workerId: 1 };
const noop = () => undefined;
const code = (c: Parameters<typeof isUwsgiError>[1]) => (e: unknown) => isUwsgiError(e, c);

test("signal table: register, look up, run", () => {
  const t = new SignalTable();
  const seen: number[] = [];
  t.register(17, "workers", (n) => seen.push(n), master);
  assert.equal(t.isRegistered(17), true);
  assert.equal(t.isRegistered(18), false);
  const e = t.entry(17)!;
  assert.equal(e.target, "workers");
  assert.deepEqual(e.parsedTarget, { kind: "workers" });
  assert.equal(e.workerId, 0);
  t.handlerFor(17)!.handler(17);
  assert.deepEqual(seen, [17]);
  assert.equal(t.handlerFor(18), null);
  assert.equal(t.entry(18), null);
});

test("signal table: numbers must be integers 0..255 (uWSGI wraps modulo 256)", () => {
  const t = new SignalTable();
  t.register(0, "", noop, master);
  t.register(255, "", noop, master);
  for (const bad of [256, 300, -1, 1.5, Number.NaN]) {
    assert.throws(() => t.register(bad, "", noop, master), code("UWSGI_ERR_SIGNAL_INVALID"), String(bad));
  }
  assert.equal(t.isRegistered(44), false, "300 did not register 44");
  assert.equal(checkSignalNumber(9), 9);
});

test("signal table: targets over 63 bytes are refused", () => {
  const t = new SignalTable();
  t.register(1, "farm_" + "x".repeat(58), noop, master);
  assert.throws(() => t.register(2, "farm_" + "x".repeat(59), noop, master), code("UWSGI_ERR_SIGNAL_REGISTER"));
  assert.throws(() => t.register(3, "farm_" + "é".repeat(30), noop, master), code("UWSGI_ERR_SIGNAL_REGISTER"), "bytes, not characters");
});

test("signal table: unknown targets are refused at registration", () => {
  assert.throws(() => new SignalTable().register(1, "everyone", noop, master), (e: unknown) => isUwsgiError(e, "UWSGI_ERR_SIGNAL_REGISTER") && e.message.includes("everyone"));
});

test("signal table: the master cannot re-register; a worker overwrites", () => {
  const t = new SignalTable();
  t.register(5, "workers", noop, master);
  assert.throws(() => t.register(5, "mules", noop, master), code("UWSGI_ERR_SIGNAL_REGISTER"));
  assert.equal(t.entry(5)!.target, "workers");
  const h = () => "second";
  t.register(5, "worker1", noop, worker1);
  t.register(5, "worker1", h, worker1);
  assert.equal(t.entry(5)!.handler, h);
  assert.equal(t.entry(5)!.workerId, 1);
});

test("signal table: mules and spoolers cannot register; handlers must be functions", () => {
  const t = new SignalTable();
  assert.throws(() => t.register(1, "", noop, { workerId: 0, role: "mule" }), code("UWSGI_ERR_SIGNAL_REGISTER"));
  assert.throws(() => t.register(1, "", noop, { workerId: 0, role: "spooler" }), code("UWSGI_ERR_SIGNAL_REGISTER"));
  assert.throws(() => t.register(1, "", "nope" as unknown as () => void, master), code("UWSGI_ERR_SIGNAL_REGISTER"));
  assert.equal(t.isRegistered(1), false);
});

test("signal table: a worker-registered handler only runs in that worker; master entries run anywhere", () => {
  const t = new SignalTable();
  t.register(1, "", noop, master);
  t.register(2, "", noop, { workerId: 2 });
  assert.notEqual(t.handlerFor(1, 3), null);
  assert.equal(t.handlerFor(2, 3), null);
  assert.notEqual(t.handlerFor(2, 2), null);
  assert.notEqual(t.handlerFor(2), null);
});

test("signal table: entries are listed by number", () => {
  const t = new SignalTable();
  t.register(9, "", noop, master);
  t.register(3, "mules", noop, master);
  assert.deepEqual(t.entries().map((e) => e.num), [3, 9]);
});
