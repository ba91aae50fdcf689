/**
 * Regression: signal registrations travel on the process bus, "ready" on Node's IPC channel, so
 * the master could take a child as ready (and route to it) before reading the registrations the
 * app made at import. A child now waits for `synced()` — the master's echo of a SIG_SYNC frame —
 * before saying it is ready. These tests drive a real bus (unix socket) between a ChildSignalBus
 * and the master's SignalBusHub.
 */
import { test } from "node:test";
import assert from "node:assert/strict";
import { BusServer } from "../../../src/server/process-bus/bus-server.js";
import { Channel } from "../../../src/server/process-bus/bus-frames.js";
import { SignalBusHub, type SignalBusSink } from "../../../src/server/signals/signal-bus-hub.js";
import { ChildSignalBus } from "../../../src/server/signals/child-signal-bus.js";

async function harness(t: import("node:test").TestContext) {
  const instance = `sync-test-${process.pid}-${Math.random().toString(36).slice(2)}`;
  const registered: Array<[number, string]> = [];
  const sink: SignalBusSink = {
    register: (_child, num, target) => void registered.push([num, target]),
    raise: () => undefined,
    addSource: () => undefined,
    acknowledge: () => undefined,
    reachable: () => undefined,
  };
  const bus = await BusServer.listen(instance);
  const master = { there: true };
  t.after(async () => {
    master.there = false; // a receiving child does not reconnect to a master that left
    await bus.close();
  });
  bus.handle(Channel.SIGNALS, new SignalBusHub(sink));
  return { instance, registered, masterConnected: () => master.there };
}

test("registrations_lost_to_ready_race: synced() resolves only after the master read every registration sent before it", async (t) => {
  const { instance, registered, masterConnected } = await harness(t);
  const child = new ChildSignalBus({ instance, role: "worker", id: 1, masterConnected });
  child.receive(() => undefined);
  for (let n = 0; n < 200; n++) child.registered(n, n % 2 ? "workers" : "worker");
  await child.synced();
  assert.equal(registered.length, 200);
  assert.deepEqual(registered[199], [199, "workers"]);
});

test("synced() resolves at once in a process that sent nothing, and when its connection fails", async () => {
  const instance = `sync-test-${process.pid}-nobody`;
  const idle = new ChildSignalBus({ instance, role: "worker", id: 1, masterConnected: () => true });
  await idle.synced(); // never connected: nothing to wait for

  const orphan = new ChildSignalBus({ instance, role: "mule", id: 3, masterConnected: () => true });
  orphan.registered(1, "mules"); // connects to an address nobody listens at: the connection fails
  await orphan.synced();
});
