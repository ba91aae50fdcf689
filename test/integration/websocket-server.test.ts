// uWSGI's websocket API inside real uwsgi-node workers: --http (and nginx proxy_pass in front of
// it), the uwsgi socket behind nginx uwsgi_pass, many clients in one worker, a slow reader.
import { after, before, describe, test } from "node:test";
import assert from "node:assert/strict";
import net from "node:net";
import { WebSocket } from "ws";
import { fixtureApp, httpRequest, startServer, type TestServer } from "./server-harness.js";
import { startNginxWith, UWSGI_PARAMS, type Nginx } from "../support/nginx.js";

/** Messages a client received and nobody took yet, and who waits for the next one. */
const inboxes = new WeakMap<WebSocket, { messages: string[]; waiters: Array<(m: string) => void>; closed: number | null }>();

/** Starts collecting `ws`'s messages from the beginning (a message may come with the 101). */
function collect(ws: WebSocket): WebSocket {
  const box = { messages: [] as string[], waiters: [] as Array<(m: string) => void>, closed: null as number | null };
  inboxes.set(ws, box);
  ws.on("message", (data: Buffer) => {
    const w = box.waiters.shift();
    if (w) w(data.toString());
    else box.messages.push(data.toString());
  });
  ws.on("close", (code) => (box.closed = code));
  return ws;
}

/** Opens a websocket client; resolves once open. */
function open(url: string, protocols?: string | string[], headers?: Record<string, string>): Promise<WebSocket> {
  return new Promise((resolve, reject) => {
    const ws = collect(new WebSocket(url, protocols, { headers }));
    ws.once("open", () => resolve(ws));
    ws.once("error", reject);
    ws.once("unexpected-response", (_req, res) => reject(new Error(`unexpected response ${res.statusCode}`)));
  });
}

/** The next message of `ws` as a string. */
function next(ws: WebSocket): Promise<string> {
  const box = inboxes.get(ws)!;
  const m = box.messages.shift();
  if (m !== undefined) return Promise.resolve(m);
  return new Promise((resolve, reject) => {
    box.waiters.push(resolve);
    ws.once("close", (code) => reject(new Error(`closed with ${code} before a message`)));
  });
}

/** Sends `text` and waits for the echo. */
async function roundTrip(ws: WebSocket, text: string): Promise<string> {
  const reply = next(ws);
  ws.send(text);
  return reply;
}

function closed(ws: WebSocket): Promise<number> {
  return new Promise((resolve) => ws.once("close", (code) => resolve(code)));
}

describe("websockets over --http in a real worker", { timeout: 30000 }, () => {
  let server: TestServer;
  let uwsgiPort = 0;
  before(async () => {
    server = await startServer([
      "--http", "127.0.0.1:0", "--socket", "127.0.0.1:0", "--processes", "1", "--module", fixtureApp("request-io-app"),
      "--disable-logging", "--websockets-max-size", "1",
    ]);
    uwsgiPort = Number((await server.waitForLog(/uwsgi socket 1 bound to TCP address [^\s]+:(\d+) /))[1]);
  });
  after(async () => {
    await server.stop("SIGKILL");
  });

  test("echo: text and binary messages come back, with uWSGI's handshake headers", async () => {
    const ws = collect(new WebSocket(`ws://127.0.0.1:${server.port}/ws`, { headers: { Origin: "http://client.example" } }));
    const upgrade = new Promise<Record<string, string | string[] | undefined>>((resolve) => ws.once("upgrade", (res) => resolve(res.headers)));
    await new Promise((resolve, reject) => {
      ws.once("open", resolve);
      ws.once("error", reject);
    });
    const headers = await upgrade;
    assert.equal(headers["sec-websocket-origin"], "http://client.example");
    assert.equal(await roundTrip(ws, "hello"), "hello");
    assert.equal(await roundTrip(ws, "whoami"), "worker 1 request /ws");
    const bin = new Promise<{ data: Buffer; isBinary: boolean }>((resolve) => ws.once("message", (data: Buffer, isBinary) => resolve({ data, isBinary })));
    const euro = next(ws);
    ws.send(Buffer.from("€", "utf8"));
    const got = await bin;
    assert.equal(await euro, "€");
    assert.equal(got.isBinary, false, "websocket_send sends a text frame whatever it received");
    // bytes that are not UTF-8 cannot go in a text frame: websocket_send refuses them (uWSGI sends them)
    const refused = next(ws);
    ws.send(Buffer.from([0, 1, 2, 255]));
    assert.equal(await refused, "error:UWSGI_ERR_WEBSOCKET_SEND");
    ws.close();
    assert.equal(await closed(ws), 1005);
  });

  test("websocket_send_binary sends binary frames; the proto and origin given to the handshake are answered", async () => {
    const ws = await open(`ws://127.0.0.1:${server.port}/ws?binary=1`);
    const bin = new Promise<boolean>((resolve) => ws.once("message", (_d, isBinary) => resolve(isBinary)));
    const echoed = next(ws);
    ws.send("x");
    assert.equal(await bin, true);
    assert.equal(await echoed, "x");
    ws.close();
    const chat = new WebSocket(`ws://127.0.0.1:${server.port}/ws-proto`, ["chat"]);
    const upgraded = new Promise<Record<string, unknown>>((resolve, reject) => {
      chat.once("upgrade", (res) => resolve(res.headers));
      chat.once("error", reject);
    });
    await new Promise((resolve) => chat.once("open", resolve));
    const headers = await upgraded;
    assert.equal(chat.protocol, "chat");
    assert.equal(headers["sec-websocket-origin"], "https://origin.example");
    chat.close();
  });

  test("a ping is answered with a pong carrying the ping's payload (uWSGI's empty pong is a bug)", async () => {
    const ws = await open(`ws://127.0.0.1:${server.port}/ws`);
    const pong = new Promise<string>((resolve) => ws.once("pong", (data: Buffer) => resolve(data.toString())));
    ws.ping("payload-123");
    assert.equal(await pong, "payload-123");
    ws.close();
  });

  test("a message above --websockets-max-size (1 KiB here) closes with 1009", async () => {
    const ws = await open(`ws://127.0.0.1:${server.port}/ws`);
    const code = closed(ws);
    ws.send("x".repeat(2048));
    assert.equal(await code, 1009);
  });

  test("recv_nb returns empty bytes when nothing waits", async () => {
    const ws = await open(`ws://127.0.0.1:${server.port}/ws-nb`);
    assert.equal(await next(ws), "nb:0");
    assert.equal(await roundTrip(ws, "after"), "after");
    ws.close();
  });

  test("an Upgrade request the app answers as plain HTTP gets its response", async () => {
    const r = await httpRequest(server.port, "/no-ws", { headers: { Connection: "Upgrade", Upgrade: "websocket" } });
    assert.equal(r.status, 200);
    assert.deepEqual(JSON.parse(r.body), { upgrade: "websocket" });
  });

  test("a handshake without an Upgrade request fails with UWSGI_ERR_WEBSOCKET_HANDSHAKE", async () => {
    const r = await httpRequest(server.port, "/ws");
    assert.equal(r.status, 500);
    assert.equal(JSON.parse(r.body).code, "UWSGI_ERR_WEBSOCKET_HANDSHAKE");
  });

  test("after the client closes, recv rejects with UWSGI_ERR_WEBSOCKET_CLOSED and send with UWSGI_ERR_WEBSOCKET_SEND", async () => {
    const ws = await open(`ws://127.0.0.1:${server.port}/ws-after-close`);
    const from = server.log().length;
    ws.close(1000);
    await server.waitForLog(/after-close recv:UWSGI_ERR_WEBSOCKET_CLOSED send:UWSGI_ERR_WEBSOCKET_SEND/, 10000, from);
  });

  test("200 concurrent clients in one worker each get their own messages back", async () => {
    const clients = await Promise.all(Array.from({ length: 200 }, () => open(`ws://127.0.0.1:${server.port}/ws`)));
    try {
      const replies = await Promise.all(clients.map(async (ws, i) => [await roundTrip(ws, `c${i}-a`), await roundTrip(ws, `c${i}-b`)]));
      replies.forEach(([a, b], i) => {
        assert.equal(a, `c${i}-a`);
        assert.equal(b, `c${i}-b`);
      });
    } finally {
      for (const ws of clients) ws.terminate();
    }
  });

  test("a slow websocket reader does not block other requests of its worker", async () => {
    const slow = await open(`ws://127.0.0.1:${server.port}/ws-slow?ms=1500`);
    assert.equal(await next(slow), "ready");
    for (let i = 0; i < 10; i++) slow.send(`m${i}`);
    // the one worker serves HTTP and other websockets while the slow handler sleeps
    const r = await httpRequest(server.port, "/hello");
    assert.equal(r.status, 200);
    const other = await open(`ws://127.0.0.1:${server.port}/ws`);
    assert.equal(await roundTrip(other, "meanwhile"), "meanwhile");
    other.close();
    assert.equal(await next(slow), "drained 10");
    slow.close();
  });

  test("a websocket over the uwsgi socket (a raw uwsgi packet with the upgrade vars)", async () => {
    const { encodePacket, encodeVars } = await import("../../src/protocol/packet.js");
    const vars = {
      REQUEST_METHOD: "GET", REQUEST_URI: "/ws", PATH_INFO: "/ws", QUERY_STRING: "", SERVER_PROTOCOL: "HTTP/1.1",
      HTTP_HOST: "x", HTTP_UPGRADE: "websocket", HTTP_CONNECTION: "Upgrade", HTTP_SEC_WEBSOCKET_KEY: "dGhlIHNhbXBsZSBub25jZQ==", HTTP_SEC_WEBSOCKET_VERSION: "13",
    };
    const sock = net.connect(uwsgiPort, "127.0.0.1");
    sock.write(encodePacket(0, 0, encodeVars(vars)));
    let buf = Buffer.alloc(0);
    const head = await new Promise<string>((resolve, reject) => {
      sock.on("data", (c: Buffer) => {
        buf = Buffer.concat([buf, c]);
        const end = buf.indexOf("\r\n\r\n");
        if (end >= 0) resolve(buf.subarray(0, end).toString());
      });
      sock.once("error", reject);
    });
    assert.match(head, /^HTTP\/1\.1 101 /);
    assert.match(head, /Sec-WebSocket-Accept: s3pPLMBiTxaQ9kYGzzhZRbK\+xOo=/);
    sock.destroy();
  });
});

describe("websockets behind real nginx", { timeout: 30000 }, () => {
  let server: TestServer;
  let uwsgiPort = 0;
  let proxy: Nginx;
  let uwsgiFront: Nginx;
  before(async () => {
    server = await startServer([
      "--http-socket", "127.0.0.1:0", "--socket", "127.0.0.1:0", "--processes", "1", "--module", fixtureApp("request-io-app"), "--disable-logging",
    ]);
    uwsgiPort = Number((await server.waitForLog(/uwsgi socket 1 bound to TCP address [^\s]+:(\d+) /))[1]);
    proxy = await startNginxWith(`proxy_pass http://127.0.0.1:${server.port};
      proxy_http_version 1.1;
      proxy_set_header Upgrade $http_upgrade;
      proxy_set_header Connection "upgrade";
      proxy_read_timeout 60s;`);
    uwsgiFront = await startNginxWith(`${UWSGI_PARAMS}
      uwsgi_pass 127.0.0.1:${uwsgiPort};`);
  });
  after(async () => {
    await proxy?.stop();
    await uwsgiFront?.stop();
    await server?.stop("SIGKILL");
  });

  test("nginx proxy_pass with the Upgrade headers to --http-socket: echo", async () => {
    const ws = await open(`ws://127.0.0.1:${proxy.port}/ws`);
    assert.equal(await roundTrip(ws, "through nginx"), "through nginx");
    assert.equal(await roundTrip(ws, "x".repeat(70000)), "x".repeat(70000));
    ws.close();
    assert.deepEqual(proxy.errors(), []);
  });

  test("nginx uwsgi_pass passes the 101 and the upgraded connection: echo over the uwsgi socket", async () => {
    const ws = await open(`ws://127.0.0.1:${uwsgiFront.port}/ws`);
    assert.equal(await roundTrip(ws, "through uwsgi_pass"), "through uwsgi_pass");
    assert.equal(await roundTrip(ws, "y".repeat(70000)), "y".repeat(70000));
    ws.close();
    assert.deepEqual(uwsgiFront.errors(), []);
  });
});
