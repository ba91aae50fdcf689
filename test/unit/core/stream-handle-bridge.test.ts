// The stream-handle bridge: its self-check passes on the running Node (20, 22, 24), and a uwsgi
// request served on its connection's handle has no net.Socket until the app reads req.socket,
// which is then a real net.Socket naming the client the front end saw.
import { test } from "node:test";
import assert from "node:assert/strict";
import net from "node:net";
import { checkStreamHandleBridge } from "../../../src/core/stream-handle-bridge.js";
import { encodePacket, encodeVars } from "../../../src/protocol/packet.js";
import { createUwsgiProtocolServer } from "../../../src/server/uwsgi-protocol/uwsgi-protocol-server.js";
import { HandleSocket } from "../../../src/server/uwsgi-protocol/handle-socket.js";

test(`stream-handle bridge: every private name is usable on Node ${process.version}`, () => {
  assert.equal(checkStreamHandleBridge(), "");
});

function ask(port: number, vars: Record<string, string>): Promise<string> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    const sock = net.connect(port, "127.0.0.1", () => sock.write(encodePacket(0, 0, encodeVars(vars))));
    sock.on("data", (c) => chunks.push(c));
    sock.on("error", reject);
    sock.on("close", () => resolve(Buffer.concat(chunks).toString("latin1")));
  });
}

test("stream-handle bridge: a request is served on the handle; req.socket becomes a net.Socket on first read", async () => {
  const seen: { before: boolean; socket: boolean; address: string | undefined; after: boolean }[] = [];
  const server = createUwsgiProtocolServer(
    (req, res) => {
      const conn = res.socket as unknown;
      const before = conn instanceof HandleSocket && !conn.materialized;
      if (req.url === "/socket") {
        const socket = req.socket;
        seen.push({ before, socket: socket instanceof net.Socket, address: socket.remoteAddress, after: (conn as HandleSocket).materialized });
      } else {
        seen.push({ before, socket: false, address: undefined, after: (conn as HandleSocket).materialized });
      }
      res.end("ok");
    },
    { bufferSize: 4096, logger: () => {} },
  );
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const port = (server.address() as net.AddressInfo).port;
  try {
    const base = { REQUEST_METHOD: "GET", SERVER_PROTOCOL: "HTTP/1.1", REMOTE_ADDR: "192.0.2.9", REMOTE_PORT: "5151" };
    assert.match(await ask(port, { ...base, REQUEST_URI: "/plain" }), /^HTTP\/1\.1 200 OK\r\n[^]*\r\n\r\nok$/);
    assert.match(await ask(port, { ...base, REQUEST_URI: "/socket" }), /^HTTP\/1\.1 200 OK\r\n[^]*\r\n\r\nok$/);
    assert.deepEqual(seen, [
      { before: true, socket: false, address: undefined, after: false },
      { before: true, socket: true, address: "192.0.2.9", after: true },
    ]);
  } finally {
    await new Promise<void>((resolve) => server.close(() => resolve()));
  }
});
