// Read deadlines of the uwsgi socket: an intrusive list, oldest first, one sweep timer.
import { test, type TestContext } from "node:test";
import assert from "node:assert/strict";
import { ReadDeadlines, type DeadlineLinks } from "../../../src/server/uwsgi-protocol/read-deadlines.js";

class Item implements DeadlineLinks {
  prev: DeadlineLinks | null = null;
  next: DeadlineLinks | null = null;
  deadlineAt = 0;
  constructor(readonly name: string) {}
}

/** Mock timers: setInterval and Date are driven by `tick`, and the deadlines read the mocked Date. */
function clock(t: TestContext): { tick: (ms: number) => void; now: () => number } {
  t.mock.timers.enable({ apis: ["setInterval", "Date"] });
  return { tick: (ms) => t.mock.timers.tick(ms), now: () => Date.now() };
}

test("read deadlines: items not removed in time expire once each, oldest first; removed ones never", (t) => {
  const expired: string[] = [];
  const { tick, now } = clock(t);
  const deadlines = new ReadDeadlines<Item>(40, (item) => expired.push(item.name), now);
  const [a, b, c, d] = ["a", "b", "c", "d"].map((n) => new Item(n)) as [Item, Item, Item, Item];
  deadlines.add(a);
  deadlines.add(b);
  deadlines.add(c);
  deadlines.add(d);
  assert.equal(deadlines.size, 4);
  deadlines.delete(b); // from the middle
  deadlines.delete(d); // the tail
  deadlines.delete(d); // twice: harmless
  assert.equal(deadlines.size, 2);
  assert.deepEqual([b.deadlineAt, b.prev, b.next], [0, null, null]);
  tick(39);
  assert.deepEqual(expired, [], "nothing expires before its deadline");
  tick(81);
  assert.deepEqual(expired, ["a", "c"]);
  assert.equal(deadlines.size, 0);
  assert.equal(a.deadlineAt, 0);
});

test("read deadlines: adding again restarts the clock; items added after a sweep are still tracked", (t) => {
  const expired: string[] = [];
  const { tick, now } = clock(t);
  const deadlines = new ReadDeadlines<Item>(60, (item) => expired.push(item.name), now);
  const early = new Item("early");
  const late = new Item("late");
  deadlines.add(early);
  deadlines.add(late);
  tick(40);
  deadlines.add(early); // restarted: now after "late" in the list
  assert.equal(deadlines.size, 2);
  tick(45);
  assert.deepEqual(expired, ["late"]);
  tick(60);
  assert.deepEqual(expired, ["late", "early"]);
  // the sweep timer stopped when the list emptied; a new item starts it again
  const again = new Item("again");
  deadlines.add(again);
  tick(120);
  assert.deepEqual(expired, ["late", "early", "again"]);
});

test("read deadlines: an expiry callback may remove or add other items", (t) => {
  const expired: string[] = [];
  const { tick, now } = clock(t);
  const items = ["x", "y", "z"].map((n) => new Item(n)) as [Item, Item, Item];
  const deadlines = new ReadDeadlines<Item>(30, (item) => {
    expired.push(item.name);
    if (item.name === "x") deadlines.delete(items[1]); // y no longer expires
  }, now);
  for (const item of items) deadlines.add(item);
  tick(100);
  assert.deepEqual(expired, ["x", "z"]);
  assert.equal(deadlines.size, 0);
});
