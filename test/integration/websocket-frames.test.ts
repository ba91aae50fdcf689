// Websocket protocol edge cases after the Autobahn suite's categories, against a real worker:
// frames are written on a raw TCP socket after the handshake (test/support/raw-websocket.ts) and
// the server's frames, close codes included, are read off the wire. Then uWSGI's keep-alive:
// --websockets-ping-freq pings and --websockets-pong-tolerance.
import { after, before, describe, test } from "node:test";
import assert from "node:assert/strict";
import { Buffer } from "node:buffer";
import { fixtureApp, startServer, type TestServer } from "./server-harness.js";
import { OP, RawWebsocket, type Frame } from "../support/raw-websocket.js";

/** The next frame that is not a ping (the server's keep-alive may interleave them). */
async function nextData(ws: RawWebsocket): Promise<Frame> {
  for (;;) {
    const f = await ws.next();
    if (f.opcode !== OP.PING) return f;
  }
}

describe("websocket frames on the wire (real worker, --websockets-max-size 1 KiB)", { timeout: 60000 }, () => {
  let server: TestServer;
  before(async () => {
    server = await startServer([
      "--http", "127.0.0.1:0", "--processes", "1", "--module", fixtureApp("request-io-app"), "--disable-logging", "--websockets-max-size", "1",
    ]);
  });
  after(async () => {
    await server.stop("SIGKILL");
  });

  test("a text message split in 3 frames comes back reassembled as one text frame", async () => {
    const ws = await RawWebsocket.open(server.port, "/ws");
    ws.write(
      { opcode: OP.TEXT, payload: "Hel", fin: false },
      { opcode: OP.CONT, payload: "lo w", fin: false },
      { opcode: OP.CONT, payload: "orld €", fin: true },
    );
    const f = await nextData(ws);
    assert.deepEqual({ opcode: f.opcode, fin: f.fin, text: f.payload.toString() }, { opcode: OP.TEXT, fin: true, text: "Hello world €" });
    ws.destroy();
  });

  test("a binary message split in 5 frames (one byte each, a multi-byte character cut) comes back whole", async () => {
    const ws = await RawWebsocket.open(server.port, "/ws?binary=1");
    const bytes = Buffer.from("ab€"); // 5 bytes, the euro sign's 3 cut across frames
    ws.write(...[...bytes].map((b, i) => ({ opcode: i === 0 ? OP.BINARY : OP.CONT, payload: Buffer.from([b]), fin: i === bytes.length - 1 })));
    const f = await nextData(ws);
    assert.equal(f.opcode, OP.BINARY);
    assert.deepEqual(f.payload, bytes);
    ws.destroy();
  });

  test("a text message cut inside a UTF-8 sequence across fragments is valid once reassembled", async () => {
    const ws = await RawWebsocket.open(server.port, "/ws");
    const euro = Buffer.from("€");
    ws.write({ opcode: OP.TEXT, payload: euro.subarray(0, 1), fin: false }, { opcode: OP.CONT, payload: euro.subarray(1), fin: true });
    assert.equal((await nextData(ws)).payload.toString(), "€");
    ws.destroy();
  });

  test("a ping between fragments is answered at once with its payload; the message still arrives whole", async () => {
    const ws = await RawWebsocket.open(server.port, "/ws");
    ws.write(
      { opcode: OP.TEXT, payload: "frag-1 ", fin: false },
      { opcode: OP.PING, payload: "between" },
      { opcode: OP.CONT, payload: "frag-2", fin: true },
    );
    const first = await ws.next();
    assert.deepEqual({ opcode: first.opcode, payload: first.payload.toString() }, { opcode: OP.PONG, payload: "between" });
    const msg = await ws.next();
    assert.deepEqual({ opcode: msg.opcode, payload: msg.payload.toString() }, { opcode: OP.TEXT, payload: "frag-1 frag-2" });
    ws.destroy();
  });

  test("a ping with the largest control payload (125 bytes) gets a pong with the same 125 bytes", async () => {
    const ws = await RawWebsocket.open(server.port, "/ws");
    const payload = Buffer.alloc(125, 0xa5);
    ws.write({ opcode: OP.PING, payload });
    const pong = await ws.next();
    assert.equal(pong.opcode, OP.PONG);
    assert.deepEqual(pong.payload, payload);
    ws.destroy();
  });

  test("a pong nobody asked for is ignored (no answer, the connection stays open)", async () => {
    const ws = await RawWebsocket.open(server.port, "/ws");
    ws.write({ opcode: OP.PONG, payload: "unsolicited" }, { opcode: OP.TEXT, payload: "still here" });
    const f = await nextData(ws);
    assert.deepEqual({ opcode: f.opcode, payload: f.payload.toString() }, { opcode: OP.TEXT, payload: "still here" });
    ws.destroy();
  });

  test("a message above --websockets-max-size closes with 1009 (one frame)", async () => {
    const ws = await RawWebsocket.open(server.port, "/ws");
    ws.write({ opcode: OP.BINARY, payload: Buffer.alloc(1025) });
    assert.equal((await ws.closeFrame()).code, 1009);
    ws.destroy();
  });

  test("a message above --websockets-max-size closes with 1009 (fragments that are small alone)", async () => {
    const ws = await RawWebsocket.open(server.port, "/ws");
    ws.write({ opcode: OP.TEXT, payload: "a".repeat(600), fin: false }, { opcode: OP.CONT, payload: "b".repeat(600), fin: true });
    assert.equal((await ws.closeFrame()).code, 1009);
    ws.destroy();
  });

  test("a message of exactly --websockets-max-size is accepted", async () => {
    const ws = await RawWebsocket.open(server.port, "/ws");
    ws.write({ opcode: OP.TEXT, payload: "z".repeat(1024) });
    assert.equal((await nextData(ws)).payload.length, 1024);
    ws.destroy();
  });

  for (const rsv of [1, 2, 4]) {
    test(`a frame with reserved bit RSV${rsv === 4 ? 3 : rsv} set (no extension negotiated) closes with 1002`, async () => {
      const ws = await RawWebsocket.open(server.port, "/ws");
      ws.write({ opcode: OP.TEXT, payload: "rsv", rsv });
      assert.equal((await ws.closeFrame()).code, 1002);
      ws.destroy();
    });
  }

  test("invalid UTF-8 in a text frame closes with 1007 and websocket_recv() rejects with a coded error", async () => {
    const ws = await RawWebsocket.open(server.port, "/ws-recv-error");
    assert.equal((await nextData(ws)).payload.toString(), "ready");
    const from = server.log().length;
    ws.write({ opcode: OP.TEXT, payload: Buffer.from([0x68, 0x69, 0xc3, 0x28]) });
    assert.equal((await ws.closeFrame()).code, 1007);
    ws.destroy();
    await server.waitForLog(/recv-error UWSGI_ERR_WEBSOCKET_CLOSED /, 10000, from);
  });

  test("invalid UTF-8 split across fragments (an overlong encoding) closes with 1007", async () => {
    const ws = await RawWebsocket.open(server.port, "/ws");
    ws.write({ opcode: OP.TEXT, payload: Buffer.from([0x61, 0xc0]), fin: false }, { opcode: OP.CONT, payload: Buffer.from([0xaf]), fin: true });
    assert.equal((await ws.closeFrame()).code, 1007);
    ws.destroy();
  });

  test("an unmasked client frame closes with 1002", async () => {
    const ws = await RawWebsocket.open(server.port, "/ws");
    ws.write({ opcode: OP.TEXT, payload: "naked", mask: false });
    assert.equal((await ws.closeFrame()).code, 1002);
    ws.destroy();
  });

  const protocolErrors: Array<[string, Parameters<RawWebsocket["write"]>]> = [
    ["a fragmented ping", [{ opcode: OP.PING, payload: "p", fin: false }]],
    ["a ping with a 126-byte payload", [{ opcode: OP.PING, payload: Buffer.alloc(126) }]],
    ["a continuation frame with no message started", [{ opcode: OP.CONT, payload: "orphan" }]],
    ["a new text frame while a fragmented message is open", [{ opcode: OP.TEXT, payload: "a", fin: false }, { opcode: OP.TEXT, payload: "b" }]],
    ["an unknown opcode (0x3)", [{ opcode: 0x3, payload: "?" }]],
  ];
  for (const [what, frames] of protocolErrors) {
    test(`${what} closes with 1002`, async () => {
      const ws = await RawWebsocket.open(server.port, "/ws");
      ws.write(...frames);
      assert.equal((await ws.closeFrame()).code, 1002);
      ws.destroy();
    });
  }

  test("a close frame from the client is answered with the same code, then the TCP connection ends", async () => {
    const ws = await RawWebsocket.open(server.port, "/ws");
    const payload = Buffer.alloc(2);
    payload.writeUInt16BE(4001);
    ws.write({ opcode: OP.CLOSE, payload });
    assert.equal((await ws.closeFrame()).code, 4001);
    await ws.ended();
  });

  test("an abrupt TCP close: websocket_recv() rejects with UWSGI_ERR_WEBSOCKET_CLOSED (code 1006) and the worker serves on", async () => {
    const ws = await RawWebsocket.open(server.port, "/ws-recv-error");
    assert.equal((await nextData(ws)).payload.toString(), "ready");
    const from = server.log().length;
    ws.destroy();
    const [line] = await server.waitForLog(/recv-error .*/, 10000, from);
    assert.match(line, /^recv-error UWSGI_ERR_WEBSOCKET_CLOSED .*code 1006/);
    const again = await RawWebsocket.open(server.port, "/ws");
    again.write({ opcode: OP.TEXT, payload: "alive" });
    assert.equal((await nextData(again)).payload.toString(), "alive");
    again.destroy();
  });

  test("an abrupt TCP close in the middle of a fragmented message: recv rejects, nothing half-delivered", async () => {
    const ws = await RawWebsocket.open(server.port, "/ws-recv-error");
    assert.equal((await nextData(ws)).payload.toString(), "ready");
    const from = server.log().length;
    ws.write({ opcode: OP.TEXT, payload: "half", fin: false });
    ws.socket.end(); // the frame is written, then the TCP connection ends
    const [line] = await server.waitForLog(/recv-error .*/, 10000, from);
    assert.match(line, /^recv-error UWSGI_ERR_WEBSOCKET_CLOSED /);
  });
});

describe("websocket keep-alive: --websockets-ping-freq 1 --websockets-pong-tolerance 1", { timeout: 60000 }, () => {
  let server: TestServer;
  before(async () => {
    server = await startServer([
      "--http", "127.0.0.1:0", "--processes", "1", "--module", fixtureApp("request-io-app"), "--disable-logging",
      "--websockets-ping-freq", "1", "--websockets-pong-tolerance", "1",
    ]);
  });
  after(async () => {
    await server.stop("SIGKILL");
  });

  test("a quiet connection gets a ping each period; a client that pongs stays open", async () => {
    const ws = await RawWebsocket.open(server.port, "/ws");
    const opened = Date.now();
    const pingTimes: number[] = [];
    for (let i = 0; i < 3; i++) {
      const f = await ws.next();
      assert.equal(f.opcode, OP.PING);
      pingTimes.push(Date.now());
      ws.write({ opcode: OP.PONG, payload: f.payload });
    }
    // about one period apart (the server counts from the last traffic, the pong)
    const gaps = [pingTimes[0]! - opened, pingTimes[1]! - pingTimes[0]!, pingTimes[2]! - pingTimes[1]!];
    for (const gap of gaps) {
      assert.ok(gap >= 900, `pings ${gaps.join(", ")} ms apart: one came early`);
      assert.ok(gap < 5000, `pings ${gaps.join(", ")} ms apart: one came very late`);
    }
    // still open and serving after three periods
    ws.write({ opcode: OP.TEXT, payload: "after pings" });
    assert.equal((await nextData(ws)).payload.toString(), "after pings");
    ws.destroy();
  });

  test("a client that never answers the ping is closed after the tolerance; websocket_recv() rejects", async () => {
    const from = server.log().length;
    const ws = await RawWebsocket.open(server.port, "/ws-recv-error");
    assert.equal((await ws.next()).payload.toString(), "ready");
    const ping = await ws.next();
    assert.equal(ping.opcode, OP.PING);
    const pingedAt = Date.now();
    await ws.ended();
    const waited = Date.now() - pingedAt;
    assert.ok(waited >= 900, `closed ${waited} ms after the ping, before the 1 s tolerance`);
    await server.waitForLog(/no PONG received in 1 seconds, closing the connection/, 10000, from);
    await server.waitForLog(/recv-error UWSGI_ERR_WEBSOCKET_CLOSED .*code 1006/, 10000, from);
  });
});
