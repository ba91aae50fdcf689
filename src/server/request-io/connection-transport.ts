/**
 * The request transport of the server's requests (HTTP and the uwsgi protocol alike): what
 * `uwsgi.send(data)`, `sendfile`, `offload`, `chunked_read`, `disconnect` and
 * `websocket_handshake` do to a request, mapped onto Node's request and response objects.
 *
 * - `send(data)` is `res.write(data)` (uWSGI writes body bytes, the head first when not sent).
 * - `sendfile`/`offload` stream the file through `fs.createReadStream(...).pipe(res)`: Node has
 *   no `sendfile(2)` for sockets, so bytes go through user space in 64 KiB reads, with
 *   backpressure and without blocking the event loop. `offload` resolves as soon as the file is
 *   open and ends the response when it is sent: the handler is free meanwhile, as with uWSGI's
 *   offload threads.
 * - `chunked_read` reads the request body stream in paused mode (Node's parser or the uwsgi
 *   socket removed the transfer coding): one call, the bytes that arrived, empty at the end.
 * - `routeResponse` is what internal routing does to the response (headers, an answer, a new `req.url`).
 * - `takeOver` hands the raw connection to a websocket: only requests whose server allows a
 *   switch (an HTTP `Upgrade` request, or any request on a uwsgi socket) and whose response has
 *   not started. The response is then detached; its `close` comes with the connection's, which
 *   is when the server counts the request as over.
 * @module
 */
import { Buffer } from "node:buffer";
import { createReadStream, type ReadStream } from "node:fs";
import type { IncomingMessage, ServerResponse } from "node:http";
import type { Duplex } from "node:stream";
import { UwsgiError } from "../../errors.js";
import { emitResponseClose } from "../../core/node-internals.js";
import type { RequestTransport, RouteResponse, TakenOverConnection } from "../../core/request-context.js";
import { requestIoSettings } from "./request-io-settings.js";

/** Releases a request's raw connection (set by the server that allows the switch). */
export type ConnectionSwitch = () => { socket: Duplex; head: Buffer } | null;

/** A request that may switch protocols: the HTTP server's `upgrade` path marks it. */
export type SwitchableRequest = IncomingMessage & { _uwsgiNodeSwitch?: ConnectionSwitch };

type DetachableResponse = ServerResponse & { detachSocket(socket: unknown): void };

const log = (line: string): void => {
  process.stdout.write(`${line}\n`);
};

export { emitResponseClose };

/** The transport of one server request. */
export class ConnectionTransport implements RequestTransport {
  readonly #req: IncomingMessage;
  readonly #res: ServerResponse;
  readonly #switch: ConnectionSwitch | null;
  #taken = false;

  constructor(req: IncomingMessage, res: ServerResponse, connectionSwitch: ConnectionSwitch | null) {
    this.#req = req;
    this.#res = res;
    this.#switch = connectionSwitch;
  }

  disconnect(): void {
    this.#req.socket.destroy();
  }

  #usable(what: string): ServerResponse {
    const res = this.#res;
    if (this.#taken) throw new UwsgiError("UWSGI_ERR_REQUEST_IO", what, "the connection was switched to a websocket");
    if (res.writableEnded || res.destroyed) throw new UwsgiError("UWSGI_ERR_REQUEST_IO", what, "the response is already complete");
    return res;
  }

  writeRaw(data: Buffer): Promise<boolean> {
    let res: ServerResponse;
    try {
      res = this.#usable("send");
    } catch (err) {
      return Promise.reject(err);
    }
    return new Promise((resolve, reject) => {
      res.write(data, (err?: Error | null) => (err ? reject(new UwsgiError("UWSGI_ERR_REQUEST_IO", "send", err.message)) : resolve(true)));
    });
  }

  async sendFile(source: string | number, offset: number, length: number | null, options: { end: boolean; detach: boolean }): Promise<void> {
    const what = options.detach ? "offload" : "sendfile";
    const res = this.#usable(what);
    if (length === 0) {
      if (options.end) res.end();
      return;
    }
    const range = { start: offset, ...(length === null ? {} : { end: offset + length - 1 }) };
    const stream: ReadStream =
      typeof source === "number" ? createReadStream("", { fd: source, autoClose: false, ...range }) : createReadStream(source, range);
    if (typeof source === "string") {
      // a missing or unreadable file fails the call, before anything is written
      await new Promise<void>((resolve, reject) => {
        stream.once("ready", () => resolve());
        stream.once("error", (err) => reject(new UwsgiError("UWSGI_ERR_REQUEST_IO", what, err.message)));
      });
    }
    const done = new Promise<void>((resolve, reject) => {
      const fail = (err: Error): void => {
        stream.destroy();
        reject(new UwsgiError("UWSGI_ERR_REQUEST_IO", what, err.message));
      };
      stream.once("error", fail);
      stream.once("end", () => resolve());
      res.once("close", () => {
        if (!stream.readableEnded) fail(new Error("the client went away"));
      });
    });
    stream.pipe(res, { end: options.end });
    if (!options.detach) return done;
    done.catch((err: Error) => {
      log(`[uwsgi-offload] ${err.message}`);
      this.#req.socket.destroy();
    });
  }

  readRaw(maxBytes: number, timeoutMs: number): Promise<Buffer | null> {
    const req = this.#req;
    const take = (): Buffer | null => {
      const chunk = req.read() as Buffer | null;
      if (chunk === null) return req.complete && req.readableLength === 0 ? Buffer.alloc(0) : null;
      if (chunk.length > maxBytes) {
        req.unshift(chunk.subarray(maxBytes));
        return chunk.subarray(0, maxBytes);
      }
      return chunk;
    };
    if (req.readableEnded) return Promise.resolve(Buffer.alloc(0));
    const now = take();
    if (now !== null || timeoutMs === 0) return Promise.resolve(now);
    return new Promise((resolve, reject) => {
      const timer = timeoutMs > 0 ? setTimeout(() => finish(new UwsgiError("UWSGI_ERR_REQUEST_TIMEOUT", timeoutMs, "the request body")), timeoutMs) : null;
      const finish = (err: Error | null, value: Buffer | null = null): void => {
        if (timer) clearTimeout(timer);
        req.off("readable", onReadable);
        req.off("end", onEnd);
        req.off("close", onClose);
        if (err) reject(err);
        else resolve(value);
      };
      const onReadable = (): void => {
        const chunk = take();
        if (chunk !== null) finish(null, chunk);
      };
      const onEnd = (): void => finish(null, Buffer.alloc(0));
      const onClose = (): void => {
        if (req.complete) finish(null, take() ?? Buffer.alloc(0));
        else finish(new UwsgiError("UWSGI_ERR_REQUEST_IO", "chunked_read", "the client went away before the end of the body"));
      };
      req.on("readable", onReadable);
      req.once("end", onEnd);
      req.once("close", onClose);
    });
  }

  routeResponse(): RouteResponse {
    const req = this.#req;
    const res = this.#res;
    return {
      addHeader: (name, value) => {
        if (!res.headersSent) res.appendHeader(name, value);
      },
      respond: (status, reason, headers, body) => {
        if (res.headersSent || res.writableEnded) {
          res.end();
          return;
        }
        res.writeHead(status, reason, headers);
        res.end(body);
      },
      close: () => this.disconnect(),
      rewrite: (url) => {
        req.url = url;
      },
    };
  }

  takeOver(): TakenOverConnection | null {
    const res = this.#res as DetachableResponse;
    if (this.#taken || this.#switch === null || res.headersSent || res.writableEnded) return null;
    const raw = this.#switch();
    if (raw === null) return null;
    this.#taken = true;
    const { socket, head } = raw;
    // for the request log: the request switched protocols
    res.statusCode = 101;
    if (res.socket === socket) res.detachSocket(socket);
    // the request is over when the websocket's connection is
    if (socket.destroyed) process.nextTick(emitResponseClose, res);
    else socket.once("close", () => emitResponseClose(res));
    return { socket, head, limits: requestIoSettings().websocket, log };
  }
}
