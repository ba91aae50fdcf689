// The intrusive list behind requests in flight, open connections and read deadlines.
import { test } from "node:test";
import assert from "node:assert/strict";
import { IntrusiveList, type ListLinks } from "../../../src/core/intrusive-list.js";

class Item implements ListLinks {
  prev: ListLinks | null = null;
  next: ListLinks | null = null;
  constructor(readonly name: string) {}
}

function names(list: IntrusiveList<Item>): string[] {
  const out: string[] = [];
  for (let i = list.first; i !== null; i = list.next(i)) out.push(i.name);
  return out;
}

test("intrusive list: insertion order; removal from the front, middle and end; removing twice or a stranger is harmless", () => {
  const list = new IntrusiveList<Item>();
  const [a, b, c, d] = ["a", "b", "c", "d"].map((n) => new Item(n)) as [Item, Item, Item, Item];
  for (const item of [a, b, c, d]) list.append(item);
  assert.deepEqual(names(list), ["a", "b", "c", "d"]);
  assert.equal(list.size, 4);
  list.remove(b);
  list.remove(b);
  assert.deepEqual(names(list), ["a", "c", "d"]);
  list.remove(a);
  assert.equal(list.first, c);
  list.remove(d);
  assert.deepEqual(names(list), ["c"]);
  assert.equal(list.has(d), false);
  const other = new IntrusiveList<Item>();
  const stranger = new Item("x");
  other.append(stranger);
  list.remove(stranger); // first of another list: not this list's
  assert.equal(other.size, 1);
  assert.deepEqual(names(list), ["c"]);
  list.remove(c);
  assert.equal(list.size, 0);
  assert.equal(list.first, null);
  list.append(a); // reusable after removal
  assert.deepEqual(names(list), ["a"]);
  assert.deepEqual([b.prev, b.next], [null, null]);
});
