import { test } from "node:test";
import assert from "node:assert/strict";
import { PeerAllowList } from "../../../src/server/remote/peer-allow-list.js";
import { readRemoteAccess } from "../../../src/server/remote/remote-access-settings.js";
import { parseArgv } from "../../../src/config/argv-parser.js";

const tcp = (address: string) => ({ kind: "tcp" as const, address });

test("allow-list: loopback covers 127.0.0.0/8, ::1 and IPv4-mapped loopback; unix only when listed", () => {
  const list = new PeerAllowList(["loopback"]);
  for (const a of ["127.0.0.1", "127.200.1.2", "::1", "::ffff:127.0.0.1"]) assert.equal(list.allows(tcp(a)), true, a);
  for (const a of ["10.0.0.1", "::2", "::ffff:10.0.0.1", "", "garbage"]) assert.equal(list.allows(tcp(a)), false, a);
  assert.equal(list.allows({ kind: "unix" }), false);
  assert.equal(new PeerAllowList(["unix"]).allows({ kind: "unix" }), true);
});

test("allow-list: addresses and CIDR networks of both families", () => {
  const list = new PeerAllowList(["10.1.0.0/16", "192.168.1.7", "fd00::/8"]);
  assert.equal(list.allows(tcp("10.1.255.3")), true);
  assert.equal(list.allows(tcp("::ffff:10.1.0.9")), true);
  assert.equal(list.allows(tcp("10.2.0.1")), false);
  assert.equal(list.allows(tcp("192.168.1.7")), true);
  assert.equal(list.allows(tcp("192.168.1.8")), false);
  assert.equal(list.allows(tcp("fd12::1")), true);
  assert.equal(list.allows(tcp("fe80::1")), false);
  assert.equal(list.allows(tcp("127.0.0.1")), false, "an explicit list replaces the default");
});

test("allow-list: malformed entries are coded option errors naming the entry", () => {
  for (const bad of ["10.0.0.0/33", "fd00::/129", "example.com", "10.0.0.0/", "10.0.0.0/x"]) {
    assert.throws(() => new PeerAllowList([bad]), { code: "UWSGI_ERR_OPTION_VALUE", message: new RegExp(`remote-allow.*${bad.replace(/[./]/g, "\\$&")}`) }, bad);
  }
});

test("remote access settings: --plugin names (commas, spaces, repeated) enable 111/173/110/17; defaults to loopback and unix", () => {
  const none = readRemoteAccess(parseArgv(["--plugin", "python3"]).options);
  assert.deepEqual(none.modifiers, []);
  assert.deepEqual(none.notes, ["plugin(s) python3: nothing to load in uwsgi-node, no effect"]);
  const all = readRemoteAccess(parseArgv(["--plugin", "python3,cache rpc", "--plugins", "signal,spooler,ping"]).options);
  assert.deepEqual(all.modifiers, [17, 110, 111, 173]);
  assert.deepEqual(all.allow, ["loopback", "unix"]);
  const some = readRemoteAccess(parseArgv(["--plugin", "cache", "--remote-allow", "10.0.0.0/8,unix"]).options);
  assert.deepEqual(some.allow, ["10.0.0.0/8", "unix"]);
  assert.match(some.notes.join("\n"), /remote operations disabled: remote spooling, remote signals, remote RPC/);
  const unused = readRemoteAccess(parseArgv(["--remote-allow", "10.0.0.1"]).options);
  assert.match(unused.notes.join("\n"), /--remote-allow has no effect: no remote operation is enabled/);
});
