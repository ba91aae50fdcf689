// Read deadlines of the uwsgi socket: an intrusive list, oldest first, one sweep timer.
import { test } from "node:test";
import assert from "node:assert/strict";
import { ReadDeadlines, type DeadlineLinks } from "../../../src/server/uwsgi-protocol/read-deadlines.js";

class Item implements DeadlineLinks {
  prev: DeadlineLinks | null = null;
  next: DeadlineLinks | null = null;
  deadlineAt = 0;
  constructor(readonly name: string) {}
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

test("read deadlines: items not removed in time expire once each, oldest first; removed ones never", async () => {
  const expired: string[] = [];
  const deadlines = new ReadDeadlines<Item>(40, (item) => expired.push(item.name));
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
  await sleep(120);
  assert.deepEqual(expired, ["a", "c"]);
  assert.equal(deadlines.size, 0);
  assert.equal(a.deadlineAt, 0);
});

test("read deadlines: adding again restarts the clock; items added after a sweep are still tracked", async () => {
  const expired: string[] = [];
  const deadlines = new ReadDeadlines<Item>(60, (item) => expired.push(item.name));
  const early = new Item("early");
  const late = new Item("late");
  deadlines.add(early);
  deadlines.add(late);
  await sleep(40);
  deadlines.add(early); // restarted: now after "late" in the list
  assert.equal(deadlines.size, 2);
  await sleep(45);
  assert.deepEqual(expired, ["late"]);
  await sleep(60);
  assert.deepEqual(expired, ["late", "early"]);
  // the sweep timer stopped when the list emptied; a new item starts it again
  const again = new Item("again");
  deadlines.add(again);
  await sleep(120);
  assert.deepEqual(expired, ["late", "early", "again"]);
});

test("read deadlines: an expiry callback may remove or add other items", async () => {
  const expired: string[] = [];
  const items = ["x", "y", "z"].map((n) => new Item(n)) as [Item, Item, Item];
  const deadlines = new ReadDeadlines<Item>(30, (item) => {
    expired.push(item.name);
    if (item.name === "x") deadlines.delete(items[1]); // y no longer expires
  });
  for (const item of items) deadlines.add(item);
  await sleep(100);
  assert.deepEqual(expired, ["x", "z"]);
  assert.equal(deadlines.size, 0);
});
