/**
 * Lines a client can make the server write at will are rate-limited, on a real server: each kind
 * of bad uwsgi request (malformed vars, oversized packet, truncated packet, bytes after the
 * body) is written a few times, then summarised as `... repeated N times in S s`, and the worker
 * keeps serving.
 */
import assert from "node:assert/strict";
import net from "node:net";
import { after, before, describe, it } from "node:test";
import { encodePacket, encodeVars } from "../../src/protocol/packet.js";
import { fixtureApp, startServer, uwsgiRequest, type TestServer } from "./server-harness.js";

const ROUNDS = 40;
/** RateLimitedLog's default burst: lines of one kind written per 5 s window. */
const BURST = 3;

function send(port: number, bytes: Buffer): Promise<void> {
  return new Promise((resolve) => {
    const socket = net.connect(port, "127.0.0.1", () => socket.end(bytes));
    socket.on("error", () => undefined);
    socket.on("close", () => resolve());
    socket.resume();
  });
}

describe("client errors in the log: rate-limited per kind", { timeout: 60_000 }, () => {
  let server: TestServer;
  let port = 0;
  before(async () => {
    server = await startServer(["--socket", "127.0.0.1:0", "--processes", "1", "--buffer-size", "512", fixtureApp("node-listener-app")]);
    port = Number((await server.waitForLog(/uwsgi socket 0 bound to TCP address [^\s]+:(\d+) fd \d+ \(uwsgi\)/))[1]);
  });
  after(() => server?.stop());

  it("regression: malformed, oversized and truncated packets and bytes after the body were each logged once per request (a client could flood the log)", async () => {
    const from = server.log().length;
    const kinds: Array<[RegExp, Buffer]> = [
      [/malformed uwsgi packet: vars: zero key length/, encodePacket(0, 0, Buffer.from([0, 0, 1, 0, 0x41]))],
      [/invalid request block size: 2000 \(max 512\)/, encodePacket(0, 0, Buffer.alloc(2000, 1))],
      [/truncated uwsgi packet/, encodePacket(0, 0, encodeVars({ PATH_INFO: "/" })).subarray(0, 9)],
      [
        /unexpected data after the request body/,
        Buffer.concat([encodePacket(0, 0, encodeVars({ REQUEST_METHOD: "POST", PATH_INFO: "/", REQUEST_URI: "/", CONTENT_LENGTH: "1" })), Buffer.from("xEXTRA")]),
      ],
    ];
    for (let i = 0; i < ROUNDS; i++) await Promise.all(kinds.map(([, bytes]) => send(port, bytes)));
    // the summaries come when each kind's 5 s window closes
    for (const [re] of kinds) await server.waitForLog(new RegExp(`${re.source}.* \\.\\.\\. repeated \\d+ times in \\d+ s`), 20_000, from);
    const log = server.log().slice(from).split("\n");
    for (const [re] of kinds) {
      const lines = log.filter((l) => re.test(l));
      const written = lines.filter((l) => !/ repeated \d+ times/.test(l)).length;
      const summarised = lines.map((l) => / repeated (\d+) times/.exec(l)).reduce((n, m) => n + (m ? Number(m[1]) : 0), 0);
      assert.ok(written <= BURST * 2, `${re}: ${written} lines written for ${ROUNDS} requests`);
      assert.equal(written + summarised, ROUNDS, `${re}: every occurrence written or counted`);
    }
    assert.match(await uwsgiRequest(port, { REQUEST_METHOD: "GET", PATH_INFO: "/", REQUEST_URI: "/", SERVER_PROTOCOL: "HTTP/1.1" }), /^HTTP\/1\.1 200/);
  });
});
