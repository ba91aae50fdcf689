import { test } from "node:test";
import assert from "node:assert/strict";
import { Buffer } from "node:buffer";
import { LegionState, type LegionSettings } from "../../../src/engines/legion/legion-state.js";
import { NO_LORD_UUID } from "../../../src/protocol/legion-packet.js";

const uuidOf = (c: string) => Buffer.from(`${c.repeat(8)}-${c.repeat(4)}-${c.repeat(4)}-${c.repeat(4)}-${c.repeat(12)}`, "latin1");
const settings = (over: Partial<LegionSettings> = {}): LegionSettings => ({
  name: "lg", valor: 10, scroll: null, quorum: 0, tolerance: 15, skewTolerance: 60, deathOnLordError: 0, scrollMaxSize: 4096, scrollListMaxSize: 32768, ...over,
});
const node = (valor: number, uuidChar: string, scroll: string | null = null, pid = 1) =>
  new LegionState(settings({ valor, scroll: scroll === null ? null : Buffer.from(scroll) }), { hostname: Buffer.from("host"), pid, uuid: uuidOf(uuidChar) });

/** Runs uWSGI's cycle for every node: all announce, all receive every other announce, all elect. */
function round(nodes: LegionState[], now: number): void {
  const announces = nodes.map((n) => (n.mayAnnounce(now) ? n.announce(now) : null));
  nodes.forEach((n, i) => announces.forEach((a, j) => a && i !== j && n.receive(a, now)));
  for (const n of nodes) {
    for (const e of n.step(now)) if (e.kind === "lord-attempt") n.lordHooksDone(true, now);
  }
}

test("legion election: a lone node with quorum 0 elects itself on its first election", () => {
  const a = node(10, "a");
  const events = a.step(100);
  assert.deepEqual(events.map((e) => e.kind), ["join", "quorum", "lord-attempt"]);
  a.lordHooksDone(true, 100);
  assert.equal(a.lordSince, 100);
  assert.equal(a.checksum, 10 + uuidOf("a").reduce((s, b) => s + b, 0));
});

test("legion election: the highest valor wins, every node agrees, exactly one Lord", () => {
  const nodes = [node(10, "a", "A", 1), node(30, "b", "B", 2), node(20, "c", "C", 3)];
  for (let t = 0; t < 4; t++) round(nodes, 1000 + t);
  assert.deepEqual(nodes.map((n) => n.lordSince > 0), [false, true, false]);
  for (const n of nodes) {
    assert.equal(n.lordValor, 30);
    assert.deepEqual(n.lordUuid, uuidOf("b"));
    assert.deepEqual(n.view().lordScroll, Buffer.from("B"));
  }
  assert.equal(new Set(nodes.map((n) => n.checksum)).size, 1, "one checksum across the legion");
});

test("legion election: equal valor, the greater uuid (byte order) wins", () => {
  const nodes = [node(10, "1"), node(10, "f"), node(10, "9")];
  for (let t = 0; t < 3; t++) round(nodes, 1000 + t);
  assert.deepEqual(nodes.map((n) => n.lordSince > 0), [false, true, false]);
});

test("legion election: arbiters (valor 0) vote but never become Lord", () => {
  const nodes = [node(0, "f"), node(5, "1")];
  for (let t = 0; t < 3; t++) round(nodes, 1000 + t);
  assert.deepEqual(nodes.map((n) => n.lordSince > 0), [false, true]);
});

test("legion election: a disagreeing checksum gives zero votes, so no quorum is reached with quorum 2", () => {
  const a = new LegionState(settings({ quorum: 2 }), { hostname: Buffer.from("h"), pid: 1, uuid: uuidOf("a") });
  const b = { legion: "lg", valor: 5, unix: 100, lord: 0, name: Buffer.from("h"), pid: 2, uuid: uuidOf("b"), checksum: 12345, lordValor: 10, lordUuid: uuidOf("a"), scroll: null, dead: false };
  a.receive(b, 100);
  assert.ok(!a.step(100).some((e) => e.kind === "lord-attempt"));
  assert.equal(a.lordSince, 0);
});

test("legion: the Lord's death (silence past the tolerance) elects the next node", () => {
  const nodes = [node(10, "a"), node(30, "b"), node(20, "c")];
  for (let t = 0; t < 3; t++) round(nodes, 1000 + t);
  assert.equal(nodes[1]!.lordSince > 0, true);
  const survivors = [nodes[0]!, nodes[2]!];
  let t = 1003;
  for (; t < 1003 + 20 && !survivors[1]!.lordSince; t++) {
    for (const n of survivors) n.expire(t);
    round(survivors, t);
  }
  assert.ok(survivors[1]!.lordSince > 0, "valor 20 took over");
  assert.ok(t - 1003 <= 15 + 2, `within the tolerance plus a cycle (took ${t - 1003} s)`);
  assert.equal(survivors[0]!.lordSince, 0);
});

test("legion: a node announcing dead is removed at once; an unknown dead node is ignored", () => {
  const a = node(10, "a");
  const bAnnounce = node(5, "b").announce(100);
  assert.deepEqual(a.receive(bAnnounce, 100).map((e) => e.kind), ["node-joined"]);
  assert.deepEqual(a.receive({ ...bAnnounce, dead: true }, 101).map((e) => e.kind), ["node-dead"]);
  assert.equal(a.members.length, 0);
  assert.deepEqual(a.receive({ ...bAnnounce, dead: true }, 102), []);
});

test("legion: its own announce is ignored; an announce older than the skew tolerance is refused", () => {
  const a = node(10, "a");
  assert.deepEqual(a.receive(a.announce(100), 100), []);
  const old = { ...node(5, "b").announce(10), unix: 10 };
  assert.deepEqual(a.receive(old, 100).map((e) => e.kind), ["refused"]);
  const future = { ...node(5, "b").announce(10), unix: 10_000 };
  assert.deepEqual(a.receive(future, 100).map((e) => e.kind), ["node-joined"]);
});

test("legion scrolls: own scroll first, then members in join order; empty until a member joins", () => {
  const a = node(10, "a", "mine");
  assert.deepEqual(a.view().scrolls, []);
  a.receive(node(5, "b", "b-scroll").announce(100), 100);
  a.receive(node(6, "c").announce(100), 100);
  assert.deepEqual(a.view().scrolls.map((s) => s.toString()), ["mine", "b-scroll", ""]);
});

test("legion: a failed lord hook with --legion-death-on-lord-error suspends the node, which later rejoins (uWSGI stays dead: BUG)", () => {
  const a = new LegionState(settings({ deathOnLordError: 5 }), { hostname: Buffer.from("h"), pid: 1, uuid: uuidOf("a") });
  assert.ok(a.step(100).some((e) => e.kind === "lord-attempt"));
  assert.equal(a.lordHooksDone(false, 100), true);
  assert.equal(a.announce(100).dead, true);
  assert.equal(a.mayAnnounce(103), false);
  assert.ok(!a.step(103).some((e) => e.kind === "lord-attempt"), "no candidacy while suspended");
  assert.equal(a.mayAnnounce(106), true);
  assert.equal(a.announce(106).dead, false);
  assert.ok(a.step(106).some((e) => e.kind === "lord-attempt"));
  assert.equal(a.lordHooksDone(true, 106), false);
  assert.equal(a.lordSince, 106);
});

test("legion: with quorum 3 and two nodes, nobody is Lord; the third node brings the quorum", () => {
  const mk = (valor: number, c: string) => new LegionState(settings({ valor, quorum: 3 }), { hostname: Buffer.from("h"), pid: valor, uuid: uuidOf(c) });
  const nodes = [mk(10, "a"), mk(20, "b")];
  for (let t = 0; t < 3; t++) round(nodes, 1000 + t);
  assert.ok(nodes.every((n) => n.lordSince === 0));
  nodes.push(mk(5, "c"));
  for (let t = 3; t < 6; t++) round(nodes, 1000 + t);
  assert.deepEqual(nodes.map((n) => n.lordSince > 0), [false, true, false]);
  assert.deepEqual(NO_LORD_UUID.length, 36);
});
