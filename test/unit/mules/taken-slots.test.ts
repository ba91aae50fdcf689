import { after, test } from "node:test";
import assert from "node:assert/strict";
import { NO_SLOT, TAKEN_SLOTS_PER_MULE, TakenSlot, TakenSlots, takenThrough } from "../../../src/server/mules/taken-slots.js";

const instance = `${process.pid}-taken-unit`;
const slots = TakenSlots.create(instance, 1);
after(() => slots.unlink());

test("taken slots: what a mule stores in its slot is what the master reads, slot by slot", () => {
  const a = slots.claim();
  const b = slots.claim();
  assert.notEqual(a, b);
  assert.equal(slots.read(a), 0, "a claimed slot starts at nothing taken");
  TakenSlot.attach(instance, a).store(41);
  TakenSlot.attach(instance, b).store(7);
  assert.equal(slots.read(a), 41);
  assert.equal(slots.read(b), 7);
  slots.release(a);
  slots.release(b);
});

test("taken slots: once all are in use, claim answers NO_SLOT; a released slot is reset when claimed again", () => {
  const held = Array.from({ length: TAKEN_SLOTS_PER_MULE }, () => slots.claim());
  assert.ok(held.every((s) => s !== NO_SLOT));
  assert.equal(slots.claim(), NO_SLOT);
  TakenSlot.attach(instance, held[0]!).store(99);
  slots.release(held[0]!);
  const again = slots.claim();
  assert.equal(again, held[0]);
  assert.equal(slots.read(again), 0);
  for (const s of held) slots.release(s);
});

test("takenThrough: deliveries up to the stored id count as taken, across the u32 wrap", () => {
  assert.equal(takenThrough(5, 5), true);
  assert.equal(takenThrough(4, 5), true);
  assert.equal(takenThrough(6, 5), false);
  assert.equal(takenThrough(1, 0), false, "nothing stored: nothing taken");
  assert.equal(takenThrough(0xfffffffe, 3), true, "ids wrap to 1 after 0xffffffff");
  assert.equal(takenThrough(4, 0xfffffffe), false);
});
