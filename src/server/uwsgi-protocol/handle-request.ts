/**
 * The `http.IncomingMessage` of a request served on its connection's handle
 * ({@link HandleSocket}): `req.socket` (and `req.connection`) is a real `net.Socket`, built on
 * first read ({@link HandleSocket.materialize}); until then the request holds the handle's
 * connection object, which Node's response code writes to. Most requests never read
 * `req.socket`, and never pay for a socket.
 *
 * `socket` is an own accessor of each request, so it survives frameworks that replace the
 * request's prototype (Express does); assigning `req.socket` replaces it with the value given.
 * @module
 */
import { IncomingMessage } from "node:http";
import type { HandleSocket } from "./handle-socket.js";

type LazySocketRequest = IncomingMessage & { _uwsgiNodeHandleSocket: HandleSocket };

function getSocket(this: LazySocketRequest): unknown {
  return this._uwsgiNodeHandleSocket.materialize();
}

function setSocket(this: LazySocketRequest, value: unknown): void {
  Object.defineProperty(this, "socket", { value, writable: true, enumerable: true, configurable: true });
}

/** One descriptor for every request (the same accessor pair keeps the requests' shape shared). */
const LAZY_SOCKET: PropertyDescriptor = { get: getSocket, set: setSocket, enumerable: true, configurable: true };

/** An IncomingMessage whose `socket` is made on first read. */
export class HandleRequest extends IncomingMessage {
  declare _uwsgiNodeHandleSocket: HandleSocket;

  constructor(socket: HandleSocket) {
    // IncomingMessage's constructor assigns this.socket: the prototype's setter below keeps it
    super(socket as unknown as ConstructorParameters<typeof IncomingMessage>[0]);
    Object.defineProperty(this, "socket", LAZY_SOCKET);
  }
}

// what IncomingMessage's constructor assigns to `socket` lands here (no own data property that
// the accessor would have to replace)
Object.defineProperty(HandleRequest.prototype, "socket", {
  set(this: LazySocketRequest, value: HandleSocket) {
    this._uwsgiNodeHandleSocket = value;
  },
  get(this: LazySocketRequest) {
    return this._uwsgiNodeHandleSocket;
  },
  enumerable: false,
  configurable: true,
});
