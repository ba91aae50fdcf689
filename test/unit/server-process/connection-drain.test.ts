// The graceful stop of a worker's connections: which connections close when, and when it is over.
import { test } from "node:test";
import assert from "node:assert/strict";
import { EventEmitter } from "node:events";
import type { Socket } from "node:net";
import { ConnectionDrain, IDLE_GRACE_MS } from "../../../src/server/connection-drain.js";

/** A socket as far as the drain sees one: 'close' follows destroy() on the next tick. */
class FakeSocket extends EventEmitter {
  destroyed = false;
  constructor(readonly name: string) {
    super();
  }
  destroy(): this {
    if (!this.destroyed) {
      this.destroyed = true;
      process.nextTick(() => this.emit("close"));
    }
    return this;
  }
}

const tick = () => new Promise((r) => setImmediate(r));

test("connection drain: tracks open connections until they close; tracking twice counts once", async () => {
  const drain = new ConnectionDrain();
  const sockets = ["a", "b", "c"].map((n) => new FakeSocket(n));
  for (const s of sockets) drain.track(s as unknown as Socket);
  drain.track(sockets[0] as unknown as Socket);
  assert.equal(drain.size, 3);
  sockets[1]!.destroy(); // the middle one
  await tick();
  assert.equal(drain.size, 2);
  sockets[0]!.destroy(); // the first one
  sockets[2]!.destroy();
  await tick();
  assert.equal(drain.size, 0);
  assert.equal(drain.draining, false);
});

test("connection drain: busy and recently idle connections are kept, long idle ones closed; onEmpty once all are gone", async (t) => {
  t.mock.timers.enable({ apis: ["Date", "setInterval"], now: 1_000_000 });
  const drain = new ConnectionDrain();
  const busy = new FakeSocket("busy");
  const fresh = new FakeSocket("fresh");
  const stale = new FakeSocket("stale");
  for (const s of [stale, busy, fresh]) drain.track(s as unknown as Socket);
  const busyRequest = drain.requestStarted(busy as unknown as Socket);
  const freshRequest = drain.requestStarted(fresh as unknown as Socket);
  t.mock.timers.tick(IDLE_GRACE_MS - 1000);
  drain.requestEnded(freshRequest); // idle from now on
  t.mock.timers.tick(1000); // stale has been idle for the whole grace period
  let emptied = 0;
  drain.drain(() => emptied++);
  assert.equal(drain.draining, true);
  assert.deepEqual([stale.destroyed, busy.destroyed, fresh.destroyed], [true, false, false]);
  await tick();
  assert.equal(drain.size, 2);
  t.mock.timers.tick(IDLE_GRACE_MS);
  assert.deepEqual([busy.destroyed, fresh.destroyed], [false, true]); // busy: a request is still running
  drain.requestEnded(busyRequest);
  t.mock.timers.tick(IDLE_GRACE_MS);
  assert.equal(busy.destroyed, true);
  await tick();
  assert.equal(drain.size, 0);
  assert.equal(emptied, 1);
  drain.drain(() => emptied++); // already draining: no second run
  assert.equal(emptied, 1);
});

test("connection drain: a request on a connection nobody tracked yet tracks it", async () => {
  const drain = new ConnectionDrain();
  const socket = new FakeSocket("late");
  const tracked = drain.requestStarted(socket as unknown as Socket);
  assert.equal(drain.size, 1);
  assert.equal(tracked.active, 1);
  assert.equal(drain.track(socket as unknown as Socket), tracked);
  drain.requestEnded(tracked);
  assert.equal(tracked.active, 0);
  socket.destroy();
  await tick();
  assert.equal(drain.size, 0);
});

test("connection drain: destroyAll closes every connection, including ones a close removes from the list on the way", async () => {
  const drain = new ConnectionDrain();
  const sockets = Array.from({ length: 5 }, (_, i) => new FakeSocket(String(i)));
  for (const s of sockets) drain.track(s as unknown as Socket);
  // a socket whose destroy() closes synchronously unlinks itself while destroyAll walks the list
  sockets[2]!.destroy = function (this: FakeSocket) {
    this.destroyed = true;
    this.emit("close");
    return this;
  };
  drain.destroyAll();
  assert.ok(sockets.every((s) => s.destroyed));
  await tick();
  assert.equal(drain.size, 0);
});

test("bytesWrittenOf: equals socket.bytesWritten on a real connection, across writes, while buffered and after destroy", async () => {
  const { createServer, connect } = await import("node:net");
  const { bytesWrittenOf } = await import("../../../src/server/connection-drain.js");
  const server = createServer();
  await new Promise<void>((r) => server.listen(0, "127.0.0.1", r));
  const port = (server.address() as { port: number }).port;
  const accepted = new Promise<Socket>((r) => server.once("connection", r));
  const client = connect(port, "127.0.0.1");
  client.resume();
  const socket = await accepted;
  try {
    const drain = new ConnectionDrain();
    const tracked = drain.track(socket);
    assert.equal(bytesWrittenOf(tracked), 0);
    await new Promise<void>((r) => socket.write("hello", () => r()));
    assert.equal(bytesWrittenOf(tracked), 5);
    tracked.txMark = 5;
    // a write larger than the kernel takes at once stays buffered for a while: the getter's answer
    const big = Buffer.alloc(8 * 1024 * 1024, 1);
    const done = new Promise<void>((r) => socket.write(big, () => r()));
    assert.equal(bytesWrittenOf(tracked), socket.bytesWritten);
    await done;
    assert.equal(bytesWrittenOf(tracked), 5 + big.length);
    tracked.txMark = 5 + big.length;
    socket.destroy();
    await new Promise((r) => socket.once("close", r));
    assert.equal(bytesWrittenOf(tracked), 5 + big.length, "after the handle is gone, the socket's own count");
  } finally {
    client.destroy();
    server.close();
  }
});
