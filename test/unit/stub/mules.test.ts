/**
 * The stub's mules and farms through the public facade (§5): mule_msg to any mule, mule N or a
 * farm reaching `mule_msg_hook` as that mule or a mule waiting in mule_get_msg/farm_get_msg,
 * queues, timeouts, in_farm and the coded errors.
 */
import { beforeEach, describe, test } from "node:test";
import assert from "node:assert/strict";
import { uwsgi } from "../../../src/index.js";
import { configure, deliverSignal, logLines, pendingMuleMessages, reset, runAs } from "../../../src/testing.js";
import { isUwsgiError, type ErrorCode } from "../../../src/errors.js";
import { eventually } from "../../support/eventually.js";

const code = (c: ErrorCode) => (e: unknown) => isUwsgiError(e, c);
const b = (s: string) => Buffer.from(s);
const mule = (id: number) => ({ kind: "mule" as const, id });

/** Installs a mule_msg_hook recording (message, mule_id()) and resolves after `count` calls. */
function recordHook(count: number) {
  const calls: Array<[string, number]> = [];
  let done!: () => void;
  const reached = new Promise<void>((resolve) => (done = resolve));
  uwsgi.mule_msg_hook = (msg) => {
    calls.push([msg.toString(), uwsgi.mule_id()]);
    if (calls.length === count) done();
  };
  return {
    calls,
    async wait() {
      let timer: NodeJS.Timeout | undefined;
      try {
        await Promise.race([reached, new Promise<never>((_, rej) => (timer = setTimeout(() => rej(new Error(`hook called ${calls.length}/${count} times`)), 2_000)))]);
      } finally {
        clearTimeout(timer);
      }
    },
  };
}

/**
 * One turn of the event loop: enough for anything the stub delivers to a waiting mule (settled
 * synchronously in mule_msg, seen by `then` callbacks in the microtasks that follow).
 */
const turn = () => new Promise((r) => setImmediate(r));

beforeEach(() => {
  reset(); // also drops mule_msg_hook, which configure keeps
  configure(["--mules", "2", "--farm", "f:1,2"]);
});

describe("stub mules: mule_msg_hook", () => {
  test("mule_msg without a target reaches the hook as a mule; it returns true", async () => {
    const hook = recordHook(1);
    assert.equal(uwsgi.mule_msg("hello"), true);
    assert.deepEqual(hook.calls, [], "delivered asynchronously");
    await hook.wait();
    assert.deepEqual(hook.calls, [["hello", 1]]);
  });

  test("mule_msg(msg, N) runs the hook as mule N", async (t) => {
    t.plan(3); // one check in each of the 2 hook runs (a third run breaks the plan), one here
    const hook = recordHook(2);
    const installed = uwsgi.mule_msg_hook!;
    uwsgi.mule_msg_hook = (msg) => {
      t.assert.equal(uwsgi.mule_id(), msg.toString() === "to two" ? 2 : 1, `${msg} runs as its mule`);
      return installed(msg);
    };
    uwsgi.mule_msg("to two", 2);
    uwsgi.mule_msg(b("to one"), 1);
    await hook.wait();
    t.assert.deepEqual(hook.calls.sort(), [["to one", 1], ["to two", 2]]);
  });

  test("mule_msg(msg, 0) and null go to any mule", async () => {
    const hook = recordHook(2);
    uwsgi.mule_msg("zero", 0);
    uwsgi.mule_msg("null", null);
    await hook.wait();
    assert.deepEqual(hook.calls.map(([m]) => m).sort(), ["null", "zero"]);
  });

  test("mule_msg(msg, farm) runs the hook as a mule of that farm", async () => {
    configure(["--mules", "3", "--farm", "f:1,2", "--farm", "g:3"]);
    const hook = recordHook(2);
    uwsgi.mule_msg("for g", "g");
    uwsgi.farm_msg("f", "for f");
    await hook.wait();
    const byMessage = Object.fromEntries(hook.calls);
    assert.equal(byMessage["for g"], 3);
    assert.ok([1, 2].includes(byMessage["for f"]!));
  });

  test("the hook gets a copy: changing the sent buffer afterwards does not change the message", async () => {
    const hook = recordHook(1);
    const msg = b("abc");
    uwsgi.mule_msg(msg);
    msg[0] = 0x7a;
    await hook.wait();
    assert.deepEqual(hook.calls, [["abc", 1]]);
  });

  test("a hook that throws is logged and later messages still arrive", async (t) => {
    t.plan(3); // each of the 2 hook runs checks it got its message in order, one check here
    let calls = 0;
    uwsgi.mule_msg_hook = (msg) => {
      t.assert.equal(msg.toString(), String(++calls));
      throw new Error("hook broke");
    };
    uwsgi.mule_msg("1");
    uwsgi.mule_msg("2");
    await eventually(() => calls === 2, 2_000, "both messages reaching the hook", 1);
    t.assert.equal(logLines().some((l) => l.includes("mule_msg_hook failed") && l.includes("hook broke")), true, logLines().join("\n"));
  });
});

describe("stub mules: mule_get_msg and farm_get_msg", () => {
  test("a mule waiting in mule_get_msg gets its message instead of the hook", async () => {
    const hook = recordHook(1);
    const waiting = runAs(mule(2), () => uwsgi.mule_get_msg());
    uwsgi.mule_msg("direct", 2);
    assert.deepEqual(await waiting, b("direct"));
    // The hook runs messages in the order sent (one setImmediate each): a marker sent now reaching
    // it first proves "direct" never went there.
    uwsgi.mule_msg("marker", 2);
    await hook.wait();
    assert.deepEqual(hook.calls, [["marker", 2]]);
  });

  test("a waiting mule does not get another mule's private message", async () => {
    const waiting = runAs(mule(2), () => uwsgi.mule_get_msg(null, null, 65536, 0));
    uwsgi.mule_msg("for one", 1);
    assert.deepEqual(await waiting, Buffer.alloc(0));
    assert.deepEqual(pendingMuleMessages().mules, { 1: 1 });
  });

  test("with no hook and nobody waiting, messages queue until a mule asks", async () => {
    uwsgi.mule_msg("shared");
    uwsgi.mule_msg("private", 2);
    uwsgi.farm_msg("f", "farm");
    assert.deepEqual(pendingMuleMessages(), { shared: 1, mules: { 2: 1 }, farms: { f: 1 } });
    const got = await runAs(mule(2), async () => [await uwsgi.mule_get_msg(), await uwsgi.mule_get_msg(), await uwsgi.mule_get_msg()]);
    assert.deepEqual(got.map(String), ["private", "shared", "farm"], "own queue, then shared, then farms");
    assert.deepEqual(pendingMuleMessages(), { shared: 0, mules: { 2: 0 }, farms: { f: 0 } });
  });

  test("mule_id() inside runAs is the mule's id; 0 outside", async () => {
    assert.equal(uwsgi.mule_id(), 0);
    assert.equal(runAs(mule(2), () => uwsgi.mule_id()), 2);
    assert.equal(runAs({ kind: "worker", id: 1 }, () => uwsgi.mule_id()), 0);
  });

  test("a timeout resolves with an empty Buffer (not null)", async () => {
    const r0 = await runAs(mule(1), () => uwsgi.mule_get_msg(true, true, 65536, 0));
    assert.ok(Buffer.isBuffer(r0));
    assert.equal(r0?.length, 0);
    const r1 = await runAs(mule(1), () => uwsgi.mule_get_msg(undefined, undefined, undefined, 1));
    assert.deepEqual(r1, Buffer.alloc(0));
  });

  test("the options object is Python's keywords: buffer_size, farms, timeout", async () => {
    uwsgi.mule_msg("abcdef", 1);
    assert.deepEqual(await runAs(mule(1), () => uwsgi.mule_get_msg({ buffer_size: 2 })), b("ab"));
    uwsgi.farm_msg("f", "farm only");
    assert.deepEqual(await runAs(mule(1), () => uwsgi.mule_get_msg({ farms: false, timeout: 0 })), Buffer.alloc(0));
    assert.deepEqual(await runAs(mule(1), () => uwsgi.mule_get_msg({ timeout: 0 })), b("farm only"));
    await assert.rejects(runAs(mule(1), () => uwsgi.mule_get_msg({ buffer_size: -1 })), code("UWSGI_ERR_INVALID_ARGUMENT"));
  });

  test("buffer_size truncates the message", async () => {
    uwsgi.mule_msg("abcdef", 1);
    assert.deepEqual(await runAs(mule(1), () => uwsgi.mule_get_msg(true, true, 3)), b("abc"));
  });

  test("a mule in a farm receives farm messages in mule_get_msg; farms=false leaves them queued", async () => {
    const waiting = runAs(mule(1), () => uwsgi.mule_get_msg());
    uwsgi.farm_msg("f", "farm one");
    assert.deepEqual(await waiting, b("farm one"));
    const noFarms = runAs(mule(1), () => uwsgi.mule_get_msg(true, false, 65536, 0));
    uwsgi.farm_msg("f", "farm two");
    assert.deepEqual(await noFarms, Buffer.alloc(0));
    assert.equal(pendingMuleMessages().farms.f, 1);
  });

  test("farm_get_msg waits for farm messages only", async () => {
    let got: Buffer | null | undefined;
    const waiting = runAs(mule(1), () => uwsgi.farm_get_msg()).then((m) => (got = m));
    uwsgi.mule_msg("private", 1);
    uwsgi.mule_msg("shared");
    assert.deepEqual(pendingMuleMessages(), { shared: 1, mules: { 1: 1 }, farms: {} }, "both queued, not handed to the waiter");
    await turn();
    assert.equal(got, undefined, "private and shared messages do not end farm_get_msg");
    uwsgi.farm_msg("f", "farm");
    await waiting;
    assert.deepEqual(got, b("farm"));
    assert.deepEqual(pendingMuleMessages(), { shared: 1, mules: { 1: 1 }, farms: {} });
  });

  test("farm_get_msg returns a queued farm message at once", async () => {
    uwsgi.mule_msg("queued", "f");
    assert.deepEqual(await runAs(mule(2), () => uwsgi.farm_get_msg()), b("queued"));
  });

  test("signal handlers run while a mule waits, and the wait goes on", async () => {
    const handled: number[] = [];
    uwsgi.register_signal(7, "mules", (n) => handled.push(n));
    let got: Buffer | null | undefined;
    const waiting = runAs(mule(1), () => uwsgi.mule_get_msg()).then((m) => (got = m));
    await deliverSignal(7);
    assert.deepEqual(handled, [7]);
    assert.equal(got, undefined);
    uwsgi.mule_msg("after", 1);
    await waiting;
    assert.deepEqual(got, b("after"));
  });

  test("configure releases waiting mules with an empty message and drops queues", async () => {
    const waiting = runAs(mule(1), () => uwsgi.mule_get_msg());
    uwsgi.mule_msg("queued", 2);
    configure(["--mules", "2"]);
    assert.deepEqual(await waiting, Buffer.alloc(0));
    assert.deepEqual(pendingMuleMessages(), { shared: 0, mules: {}, farms: {} });
  });
});

describe("stub mules: in_farm and errors", () => {
  test("in_farm: null outside mules; true/false inside", () => {
    configure(["--mules", "3", "--farm", "f:1,2", "--farm", "g:2"]);
    assert.equal(uwsgi.in_farm("f"), null);
    assert.equal(runAs({ kind: "worker", id: 1 }, () => uwsgi.in_farm("f")), null);
    runAs(mule(1), () => {
      assert.equal(uwsgi.in_farm("f"), true);
      assert.equal(uwsgi.in_farm("g"), false);
      assert.equal(uwsgi.in_farm("nope"), false);
      assert.equal(uwsgi.in_farm(), true, "any farm");
    });
    assert.equal(runAs(mule(2), () => uwsgi.in_farm("g")), true);
    assert.equal(runAs(mule(3), () => uwsgi.in_farm()), false);
  });

  test("no mules configured: mule_msg throws UWSGI_ERR_MULE_NONE", () => {
    configure([]);
    assert.throws(() => uwsgi.mule_msg("x"), code("UWSGI_ERR_MULE_NONE"));
    assert.throws(() => uwsgi.mule_msg("x", 1), code("UWSGI_ERR_MULE_NONE"));
  });

  test("a mule id out of range throws UWSGI_ERR_MULE_INVALID (uWSGI reads outside its mule table)", () => {
    for (const id of [3, -1, 1.5]) assert.throws(() => uwsgi.mule_msg("x", id), code("UWSGI_ERR_MULE_INVALID"), String(id));
    assert.deepEqual(pendingMuleMessages(), { shared: 0, mules: {}, farms: {} });
  });

  test("an unknown farm throws UWSGI_ERR_FARM_UNKNOWN (mule_msg and farm_msg)", () => {
    assert.throws(() => uwsgi.mule_msg("x", "nope"), code("UWSGI_ERR_FARM_UNKNOWN"));
    assert.throws(() => uwsgi.farm_msg("nope", "x"), code("UWSGI_ERR_FARM_UNKNOWN"));
  });

  test("receiving outside a mule throws UWSGI_ERR_NOT_IN_MULE", async () => {
    await assert.rejects(uwsgi.mule_get_msg(), code("UWSGI_ERR_NOT_IN_MULE"));
    await assert.rejects(uwsgi.farm_get_msg(), code("UWSGI_ERR_NOT_IN_MULE"));
    await assert.rejects(runAs({ kind: "worker", id: 1 }, () => uwsgi.mule_get_msg()), code("UWSGI_ERR_NOT_IN_MULE"));
    await assert.rejects(runAs({ kind: "spooler", id: 1 }, () => uwsgi.farm_get_msg()), code("UWSGI_ERR_NOT_IN_MULE"));
  });

  test("a message that is not bytes or a string is a coded error", () => {
    assert.throws(() => uwsgi.mule_msg(42 as unknown as string), code("UWSGI_ERR_INVALID_ARGUMENT"));
  });

  test("--farm naming an unknown mule is an option error at configure", () => {
    assert.throws(() => configure(["--mules", "1", "--farm", "f:1,2"]), code("UWSGI_ERR_OPTION_VALUE"));
  });
});
