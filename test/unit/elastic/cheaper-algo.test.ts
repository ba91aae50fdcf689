/** uWSGI's cheaper algorithms, check by check (core/master_utils.c semantics). */
import { test } from "node:test";
import assert from "node:assert/strict";
import { createCheaperAlgo } from "../../../src/server/elastic/cheaper-algo.js";

const limits = { min: 1, step: 2, overload: 2 };

test("cheaper spare: adds up to --cheaper-step workers once every worker has been busy for more than --cheaper-overload checks", () => {
  const algo = createCheaperAlgo("spare", limits);
  const allBusy = { active: 2, busy: 2, cheaped: 3, backlog: 0 };
  assert.equal(algo(allBusy), 0);
  assert.equal(algo(allBusy), 0);
  assert.equal(algo(allBusy), 2, "third busy check > overload 2: add step 2");
  assert.equal(algo({ ...allBusy, cheaped: 1 }), 0, "overload counter was reset");
  assert.equal(algo({ ...allBusy, cheaped: 1 }), 0);
  assert.equal(algo({ ...allBusy, cheaped: 1 }), 1, "never more than the cheaped slots");
});

test("cheaper spare: one idle worker is the stable state; more idle ones are removed every --cheaper-overload checks down to --cheaper", () => {
  const algo = createCheaperAlgo("spare", limits);
  assert.equal(algo({ active: 3, busy: 2, cheaped: 2, backlog: 0 }), 0, "exactly one spare worker");
  assert.equal(algo({ active: 3, busy: 0, cheaped: 2, backlog: 0 }), 0);
  assert.equal(algo({ active: 3, busy: 0, cheaped: 2, backlog: 0 }), -1, "every overload-th idle check removes one");
  assert.equal(algo({ active: 2, busy: 0, cheaped: 3, backlog: 0 }), 0);
  assert.equal(algo({ active: 2, busy: 0, cheaped: 3, backlog: 0 }), -1);
  assert.equal(algo({ active: 1, busy: 0, cheaped: 4, backlog: 0 }), 0, "stable: one idle worker");
  const atMin = createCheaperAlgo("spare", { ...limits, min: 2 });
  for (let i = 0; i < 6; i++) assert.equal(atMin({ active: 2, busy: 0, cheaped: 3, backlog: 0 }), 0, "never below --cheaper");
});

test("cheaper spare: a busy spell interrupts the removals", () => {
  const algo = createCheaperAlgo("spare", limits);
  assert.equal(algo({ active: 3, busy: 0, cheaped: 2, backlog: 0 }), 0);
  assert.equal(algo({ active: 3, busy: 3, cheaped: 2, backlog: 0 }), 0, "overloaded now");
  assert.equal(algo({ active: 3, busy: 0, cheaped: 2, backlog: 0 }), 0, "the idle count starts again");
  assert.equal(algo({ active: 3, busy: 0, cheaped: 2, backlog: 0 }), -1);
});

test("cheaper backlog: adds while the listen queue exceeds --cheaper-overload, removes while it is shorter", () => {
  const algo = createCheaperAlgo("backlog", limits);
  assert.equal(algo({ active: 1, busy: 1, cheaped: 4, backlog: 5 }), 2);
  assert.equal(algo({ active: 3, busy: 3, cheaped: 2, backlog: 2 }), 0, "queue == overload: no change");
  assert.equal(algo({ active: 3, busy: 3, cheaped: 2, backlog: 1 }), -1);
  assert.equal(algo({ active: 1, busy: 0, cheaped: 4, backlog: 0 }), 0, "never below --cheaper");
  assert.equal(algo({ active: 5, busy: 5, cheaped: 0, backlog: 9 }), 0, "nothing left to add");
});

test("cheaper manual: never changes the count by itself", () => {
  const algo = createCheaperAlgo("manual", limits);
  assert.equal(algo({ active: 1, busy: 1, cheaped: 4, backlog: 50 }), 0);
  assert.equal(algo({ active: 5, busy: 0, cheaped: 0, backlog: 0 }), 0);
});
