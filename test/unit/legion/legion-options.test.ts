import { test } from "node:test";
import assert from "node:assert/strict";
import { OptionSet } from "../../../src/config/option-set.js";
import { readAllLegions, readLegionGlobals } from "../../../src/config/legion-options.js";
import { isUwsgiError } from "../../../src/errors.js";

const opts = (...pairs: Array<[string, string]>) => new OptionSet(pairs.map(([name, value]) => ({ name, value })));

test("legion options: a UDP legion with nodes, quorum, scroll and hooks, in any option order", () => {
  const { udp, redis } = readAllLegions(
    opts(
      ["legion-node", "lg 10.0.0.2:3000"],
      ["legion", "lg 127.0.0.1:3000 10 aes-256-cbc:secret myiv"],
      ["legion-quorum", "lg 2"],
      ["legion-scroll", "lg hello world"],
      ["legion-lord", "lg cmd:echo lord"],
      ["legion-node-left", "lg signal:17"],
      ["legion-unlord", "lg log:bye"],
    ),
  );
  assert.equal(redis.length, 0);
  const l = udp[0]!;
  assert.deepEqual([l.name, l.bindHost, l.bindPort, l.valor, l.algorithm, l.secret, l.iv, l.quorum, l.scroll], ["lg", "127.0.0.1", 3000, 10, "aes-256-cbc", "secret", "myiv", 2, "hello world"]);
  assert.deepEqual(l.nodes, [{ host: "10.0.0.2", port: 3000 }]);
  assert.deepEqual(l.hooks.lord.map((h) => h.action), [{ kind: "cmd", command: "echo lord" }]);
  assert.deepEqual(l.hooks["node-left"].map((h) => h.action), [{ kind: "signal", signum: 17 }]);
  assert.deepEqual(l.hooks.unlord.map((h) => h.action), [{ kind: "log", text: "bye" }]);
});

test("legion options: a Redis lease legion; UDP-only options on it are refused", () => {
  const { redis } = readAllLegions(opts(["legion-redis", "lr redis://127.0.0.1:6379/2 7"], ["legion-scroll", "lr s"]));
  assert.deepEqual(redis.map((r) => [r.name, r.url, r.valor, r.scroll]), [["lr", "redis://127.0.0.1:6379/2", 7, "s"]]);
  const refused = (...pairs: Array<[string, string]>) =>
    assert.throws(() => readAllLegions(opts(...pairs)), (e) => isUwsgiError(e, "UWSGI_ERR_LEGION_OPTION"));
  refused(["legion-redis", "lr redis://x:1 1"], ["legion-quorum", "lr 2"]);
  refused(["legion-redis", "lr redis://x:1 1"], ["legion-node", "lr 127.0.0.1:1"]);
  refused(["legion-redis", "lr http://x:1 1"]);
});

test("legion options: bad values are coded errors naming the option", () => {
  const bad = (pairs: Array<[string, string]>, re: RegExp) =>
    assert.throws(() => readAllLegions(opts(...pairs)), (e) => isUwsgiError(e, "UWSGI_ERR_LEGION_OPTION") && re.test(e.message));
  bad([["legion", "lg 127.0.0.1:3000 10"]], /--legion: invalid syntax/);
  bad([["legion", "lg 127.0.0.1:99999 10 aes-128-cbc:x"]], /invalid udp port/);
  bad([["legion", "lg 127.0.0.1:1 ten aes-128-cbc:x"]], /whole number/);
  bad([["legion", "lg 127.0.0.1:1 1 aes-128-cbc:x"], ["legion", "lg 127.0.0.1:2 1 aes-128-cbc:x"]], /declared twice/);
  bad([["legion", "lg 127.0.0.1:1 1 aes-128-cbc:x"], ["legion-lord", "lg alarm:x y"]], /alarm "x" is not defined/);
  bad([["legion", "lg 127.0.0.1:1 1 aes-128-cbc:x"], ["legion-lord", "lg page:x"]], /unknown action "page"/);
  const withAlarm = readAllLegions(opts(["alarm", "pager cmd:true"], ["legion", "lg 127.0.0.1:1 1 aes-128-cbc:x"], ["legion-lord", "lg alarm:pager I am Lord"]));
  assert.deepEqual(withAlarm.udp[0]!.hooks.lord[0]!.action, { kind: "alarm", alarm: "pager", message: "I am Lord" });
  bad([["legion", "lg 127.0.0.1:1 1 aes-128-cbc:x"], ["legion-join", "lg signal:300"]], /out of range/);
  assert.deepEqual(readLegionGlobals(opts()), { freq: 3, tolerance: 15, skewTolerance: 60, deathOnLordError: 0, scrollMaxSize: 4096, scrollListMaxSize: 32768 });
});
