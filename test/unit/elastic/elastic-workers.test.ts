/** The master's adaptive worker count over a scripted host: which worker a removal stops, and what the algorithm sees. */
import { test } from "node:test";
import assert from "node:assert/strict";
import { ElasticWorkers, CHEAPER_CHECK_MS, type ElasticHost, type ElasticSlot } from "../../../src/server/elastic/elastic-workers.js";
import type { CheaperSettings } from "../../../src/server/elastic/cheaper-settings.js";

interface Slot {
  id: number;
  cheaped: boolean;
  busy: boolean;
  starting: boolean;
  spawnedAt: number;
  requests: number;
}

/** A host whose slots the test sets; records spawns, removals and log lines. */
function host(slots: Slot[]): ElasticHost & { spawned: number[]; cheapedIds: number[]; lines: string[] } {
  const h = {
    spawned: [] as number[],
    cheapedIds: [] as number[],
    lines: [] as string[],
    slots: (): readonly ElasticSlot[] => slots.map((s) => ({ ...s })),
    spawn: (id: number) => {
      h.spawned.push(id);
      Object.assign(slots[id - 1]!, { cheaped: false, starting: true, spawnedAt: Date.now() + id });
    },
    cheap: (id: number) => {
      h.cheapedIds.push(id);
      Object.assign(slots[id - 1]!, { cheaped: true, starting: false, busy: false, spawnedAt: 0 });
    },
    backlog: () => 0,
    busyWithLifecycle: () => false,
    log: (line: string) => h.lines.push(line),
  };
  return h;
}

function settings(algo: CheaperSettings["algo"], overload = 1): CheaperSettings {
  return { min: 1, initial: 1, step: 2, overload, algo };
}

const ready = (id: number, spawnedAt: number): Slot => ({ id, cheaped: false, busy: false, starting: false, spawnedAt, requests: 0 });
const cheap = (id: number): Slot => ({ id, cheaped: true, busy: false, starting: false, spawnedAt: 0, requests: 0 });

test("cheaper: a serving worker is not removed while spawned ones are still starting (regression: the instance served nobody until they were ready)", () => {
  const slots = [ready(1, 1), cheap(2), cheap(3)];
  const h = host(slots);
  const elastic = new ElasticWorkers(settings("spare"), 0, h);
  let now = Date.now();
  // every worker busy for more than --cheaper-overload checks: two are added
  slots[0]!.busy = true;
  for (let i = 0; i < 3 && h.spawned.length === 0; i++) elastic.tick((now += CHEAPER_CHECK_MS));
  assert.deepEqual(h.spawned, [2, 3]);
  assert.deepEqual(h.lines, ["cheaper: spawning worker 2 (2 of 3 running)", "cheaper: spawning worker 3 (3 of 3 running)"]);
  // the load stops while 2 and 3 still load the app: they are no spare workers, nothing is removed
  slots[0]!.busy = false;
  for (let i = 0; i < 6; i++) elastic.tick((now += CHEAPER_CHECK_MS));
  assert.deepEqual(h.cheapedIds, [], "worker 1 is the only one serving");
  // once they serve and stay idle, they go, oldest idle first, down to --cheaper
  slots[1]!.starting = false;
  slots[2]!.starting = false;
  for (let i = 0; i < 6; i++) elastic.tick((now += CHEAPER_CHECK_MS));
  assert.deepEqual(h.cheapedIds, [1, 2]);
  assert.equal(slots.filter((s) => !s.cheaped).length, 1);
});

test("cheaper: the fifo's - stops the youngest worker still starting before any serving one", () => {
  const slots = [ready(1, 1), cheap(2), cheap(3)];
  const h = host(slots);
  const elastic = new ElasticWorkers(settings("manual"), 0, h);
  elastic.change(1);
  elastic.change(1);
  assert.deepEqual(h.spawned, [2, 3]);
  elastic.change(-1);
  elastic.change(-1);
  assert.deepEqual(h.cheapedIds, [3, 2], "the starting ones, youngest first");
  assert.equal(slots[0]!.cheaped, false, "worker 1 kept serving");
  elastic.change(-1);
  assert.deepEqual(h.cheapedIds, [3, 2]);
  assert.match(h.lines.at(-1)!, /already at --cheaper 1/);
});

test("cheaper: without a starting worker the oldest idle one is removed, never a busy one", () => {
  const slots = [ready(1, 10), ready(2, 5), ready(3, 20)];
  slots[1]!.busy = true;
  const h = host(slots);
  const elastic = new ElasticWorkers(settings("manual"), 0, h);
  elastic.change(-1);
  assert.deepEqual(h.cheapedIds, [1], "worker 2 is older but busy");
});

test("cheaper: no worker is added while the first one is still starting (regression: a slow start looked like an overload)", () => {
  const slots = [{ ...ready(1, 1), starting: true }, cheap(2), cheap(3)];
  const h = host(slots);
  const elastic = new ElasticWorkers(settings("spare"), 0, h);
  let now = Date.now();
  for (let i = 0; i < 6; i++) elastic.tick((now += CHEAPER_CHECK_MS));
  assert.deepEqual(h.spawned, []);
  // serving and busy: the checks count from then on
  slots[0]!.starting = false;
  slots[0]!.busy = true;
  for (let i = 0; i < 3 && h.spawned.length === 0; i++) elastic.tick((now += CHEAPER_CHECK_MS));
  assert.deepEqual(h.spawned, [2, 3]);
});
