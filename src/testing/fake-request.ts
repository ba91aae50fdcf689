/**
 * `openRequest()`: runs an app handler inside one request with a body and, optionally, a
 * websocket peer, so that handlers using `chunked_read`, `send`, `sendfile`, `offload`,
 * `disconnect` and the `websocket_*` functions can be unit-tested with the stub backend.
 *
 * The request goes through the server's own code: a loopback Node HTTP server (127.0.0.1, an
 * ephemeral port, closed after the exchange) whose requests get the server's
 * `ConnectionTransport`, and whose `Upgrade` requests go through the server's upgrade listener;
 * the client side is Node's HTTP client or a `ws` client. Only the request runner's accounting
 * (worker counters, request log) is left out.
 * @module
 */
import { Buffer } from "node:buffer";
import { createServer, request as httpRequest, type IncomingHttpHeaders, type IncomingMessage, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";
import { WebSocket } from "ws";
import { type BytesLike, toBuffer } from "../core/bytes.js";
import { createRequestContext, runInRequest } from "../core/request-context.js";
import { cgiEnvOf } from "../server/cgi-env.js";
import { ConnectionTransport, type SwitchableRequest } from "../server/request-io/connection-transport.js";
import { createUpgradeListener } from "../server/request-io/http-upgrade.js";

/** The request to make. */
export interface FakeRequestInit {
  /** Default GET (POST when there is a body). */
  readonly method?: string;
  /** Path and query; default `/`. */
  readonly path?: string;
  readonly headers?: Readonly<Record<string, string>>;
  /** The body: one piece (sent with a Content-Length), or pieces sent with chunked transfer coding. */
  readonly body?: BytesLike | readonly BytesLike[];
  /** Open a websocket: the request carries the Upgrade headers and {@link FakeExchange.websocket} is the client. */
  readonly websocket?: boolean;
  /** Websocket subprotocols the client asks for. */
  readonly protocols?: readonly string[];
}

/** The response as the client read it. */
export interface FakeResponse {
  readonly status: number;
  readonly headers: IncomingHttpHeaders;
  readonly body: Buffer;
}

/** The client end of a websocket opened by the handler. */
export interface WebsocketPeer {
  /** Sends a text message (strings) or a binary one (bytes). */
  send(data: string | Buffer): void;
  /** The next message the handler sent, as bytes; rejects if the connection closes first. */
  next(): Promise<Buffer>;
  /** Pings with `payload`; resolves with the pong's payload. */
  ping(payload?: BytesLike): Promise<Buffer>;
  /** Closes with `code` (default 1000). */
  close(code?: number): void;
  /** Resolves with the close code once the connection is closed. */
  readonly closed: Promise<number>;
  /** The `ws` client, for anything else (raw frames through `ws._socket`, headers). */
  readonly client: WebSocket;
}

/** One exchange. */
export interface FakeExchange {
  /** The response (for a websocket request: rejects if the handler did not switch). */
  readonly response: Promise<FakeResponse>;
  /** The websocket client once the handler made its handshake, when `init.websocket` is set. */
  readonly websocket: WebsocketPeer | null;
  /** Settles with the handler's own outcome (its returned promise). */
  readonly handled: Promise<unknown>;
}

type Handler = (req: IncomingMessage, res: ServerResponse) => unknown;

function peerOf(ws: WebSocket): WebsocketPeer {
  const inbox: Buffer[] = [];
  const waiters: Array<{ resolve(b: Buffer): void; reject(e: Error): void }> = [];
  let closedCode: number | null = null;
  const closed = new Promise<number>((resolve) =>
    ws.once("close", (code: number) => {
      closedCode = code;
      for (const w of waiters.splice(0)) w.reject(new Error(`the websocket closed (code ${code})`));
      resolve(code);
    }),
  );
  ws.on("message", (data: Buffer) => {
    const w = waiters.shift();
    if (w) w.resolve(data);
    else inbox.push(data);
  });
  return {
    client: ws,
    closed,
    send: (data) => ws.send(data, { binary: typeof data !== "string" }),
    next: () => {
      const m = inbox.shift();
      if (m) return Promise.resolve(m);
      if (closedCode !== null) return Promise.reject(new Error(`the websocket closed (code ${closedCode})`));
      return new Promise((resolve, reject) => waiters.push({ resolve, reject }));
    },
    ping: (payload) =>
      new Promise((resolve) => {
        ws.once("pong", (data: Buffer) => resolve(data));
        ws.ping(payload === undefined ? undefined : toBuffer(payload, "payload"));
      }),
    close: (code = 1000) => ws.close(code),
  };
}

/**
 * Runs `handler` inside one request made by a local client, and gives the client's side.
 * @example
 * ```ts
 * import { openRequest } from "uwsgi-node/testing";
 * const { websocket, handled } = await openRequest(app, { path: "/chat", websocket: true });
 * websocket!.send("hi");
 * assert.equal((await websocket!.next()).toString(), "hi");
 * websocket!.close();
 * await handled;
 *
 * const upload = await openRequest(app, { method: "POST", body: ["part1", "part2"] }); // chunked
 * assert.equal((await upload.response).status, 200);
 * ```
 */
export async function openRequest(handler: Handler, init: FakeRequestInit = {}): Promise<FakeExchange> {
  let settleHandled!: (p: Promise<unknown>) => void;
  const handled = new Promise<unknown>((resolve) => (settleHandled = (p) => resolve(p)));
  const run = (req: IncomingMessage, res: ServerResponse): void => {
    const ctx = createRequestContext({
      env: cgiEnvOf(req),
      socket: req.socket,
      contentLength: Number(req.headers["content-length"] ?? 0) || 0,
      transport: new ConnectionTransport(req, res, (req as SwitchableRequest)._uwsgiNodeSwitch ?? null),
    });
    const outcome = (async () => runInRequest(ctx, () => handler(req, res)))();
    settleHandled(outcome);
    outcome.catch(() => {
      if (!res.headersSent && !res.writableEnded && res.socket) {
        res.writeHead(500, { "content-type": "text/plain" });
        res.end("handler failed");
      }
    });
  };
  const server = createServer(run);
  server.on("upgrade", createUpgradeListener(run));
  await new Promise<void>((resolve, reject) => {
    server.once("error", reject);
    server.listen(0, "127.0.0.1", () => resolve());
  });
  const { port } = server.address() as AddressInfo;
  const finish = (): void => {
    server.close();
    server.closeAllConnections?.();
  };
  const path = init.path ?? "/";

  if (init.websocket) {
    const ws = new WebSocket(`ws://127.0.0.1:${port}${path}`, [...(init.protocols ?? [])], { headers: { ...init.headers } });
    let peer: WebsocketPeer | null = null;
    const response = new Promise<FakeResponse>((resolve, reject) => {
      ws.once("open", () => {
        peer = peerOf(ws);
        void peer.closed.then(finish);
        resolve({ status: 101, headers: {}, body: Buffer.alloc(0) });
      });
      ws.once("unexpected-response", (_req, res) => {
        const chunks: Buffer[] = [];
        res.on("data", (c: Buffer) => chunks.push(c));
        res.on("end", () => {
          finish();
          resolve({ status: res.statusCode ?? 0, headers: res.headers, body: Buffer.concat(chunks) });
        });
      });
      ws.once("error", (err) => {
        finish();
        reject(err);
      });
    });
    // the peer exists once the handshake is answered; the messages are collected from then on
    const answered = await response.catch(() => null);
    return { response, websocket: answered?.status === 101 ? peer : null, handled };
  }

  const pieces = init.body === undefined ? [] : Array.isArray(init.body) ? (init.body as BytesLike[]).map((b) => toBuffer(b, "body")) : [toBuffer(init.body as BytesLike, "body")];
  const chunked = Array.isArray(init.body);
  const response = new Promise<FakeResponse>((resolve, reject) => {
    const headers: Record<string, string | number> = { ...init.headers };
    if (chunked) headers["transfer-encoding"] = "chunked";
    else if (pieces.length > 0) headers["content-length"] = pieces[0]!.length;
    const req = httpRequest({ host: "127.0.0.1", port, path, method: init.method ?? (init.body === undefined ? "GET" : "POST"), headers, agent: false }, (res) => {
      const chunks: Buffer[] = [];
      res.on("data", (c: Buffer) => chunks.push(c));
      res.on("end", () => {
        finish();
        resolve({ status: res.statusCode ?? 0, headers: res.headers, body: Buffer.concat(chunks) });
      });
      res.on("error", reject);
    });
    req.on("error", (err) => {
      finish();
      reject(err);
    });
    for (const p of pieces) req.write(p);
    req.end();
  });
  return { response, websocket: null, handled };
}
