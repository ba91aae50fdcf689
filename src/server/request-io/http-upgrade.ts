/**
 * HTTP requests with an `Upgrade` header (websockets over `--http`, `--http-socket`, or nginx's
 * `proxy_pass` with the upgrade headers). Node's HTTP server hands them to its `upgrade` event
 * with the raw socket and no response object; this listener gives the app the same pair as any
 * request (a `ServerResponse` on that socket, run by the same request runner), and marks the
 * request switchable so that `uwsgi.websocket_handshake()` can take the connection over. An app
 * that answers normally instead gets its response sent and the connection closed. Requests
 * without `Upgrade` never come here: nothing is added to their path.
 * @module
 */
import type { Buffer } from "node:buffer";
import { ServerResponse, type IncomingMessage } from "node:http";
import type { Socket } from "node:net";
import type { Duplex } from "node:stream";
import { emitResponseClose, type SwitchableRequest } from "./connection-transport.js";

type DetachableResponse = ServerResponse & { detachSocket(socket: Socket): void };

/** Ends the socket once the response is written and closes it (no keep-alive after an upgrade request). */
function onFinish(this: DetachableResponse): void {
  const socket = this.socket;
  if (socket) {
    this.detachSocket(socket);
    socket.end();
    if (socket.writableFinished) socket.destroy();
    else socket.once("finish", () => socket.destroy());
  }
  process.nextTick(emitResponseClose, this);
}

/**
 * Creates the `upgrade` listener of a worker's HTTP server around its request runner.
 * @example
 * ```ts
 * http.on("upgrade", createUpgradeListener(runner));
 * ```
 */
export function createUpgradeListener(runner: (req: IncomingMessage, res: ServerResponse) => void): (req: IncomingMessage, socket: Duplex, head: Buffer) => void {
  return function onUpgrade(req: IncomingMessage, socket: Duplex, head: Buffer): void {
    // Node removed its own listeners from the socket: a reset must not become an uncaught error
    socket.on("error", () => socket.destroy());
    const res = new ServerResponse(req) as DetachableResponse;
    res.shouldKeepAlive = false;
    res.assignSocket(socket as Socket);
    res.on("finish", onFinish);
    (req as SwitchableRequest)._uwsgiNodeSwitch = () => (socket.destroyed ? null : { socket, head });
    runner(req, res);
  };
}
