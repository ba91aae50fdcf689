/**
 * Plain socket functions (`connect`, `recv`, `send`, `close`, `is_connected`, `wait_fd_*`,
 * `sendfile`, `offload`). uWSGI hands out raw file descriptors; Node owns its sockets, so the
 * descriptors index a table of `net.Socket`s: those `connect` opened, and any other socket or
 * pipe descriptor given (adopted on first use). What each maps to in Node: `connect` is
 * `net.connect`; `wait_fd_read` waits for the socket's `readable` event (bytes stay buffered for
 * `recv`), `wait_fd_write` for `drain` when its buffer is full; `recv` is `socket.read()`;
 * `send(fd, data)` is `socket.write()`; nothing blocks the event loop.
 * @module
 */
import { Buffer } from "node:buffer";
import { closeSync } from "node:fs";
import { connect as netConnect, Socket } from "node:net";
import type { UwsgiModule } from "../api.js";
import { type BytesLike, toBuffer } from "../core/bytes.js";
import { UwsgiError } from "../errors.js";
import { socketFd, watchedDescriptors } from "../core/node-internals.js";
import { currentRequest, type RequestTransport } from "../core/request-context.js";

type SocketFunctionName =
  | "connect" | "async_connect" | "close" | "is_connected" | "recv" | "send" | "sendfile"
  | "wait_fd_read" | "wait_fd_write" | "offload";

/** Parses `host:port`, `/unix/path` or `@abstract` (uWSGI's address syntax). */
export function parseSocketAddress(address: string): { host: string; port: number } | { path: string } {
  if (address.startsWith("/") || address.startsWith("./")) return { path: address };
  if (address.startsWith("@")) return { path: `\0${address.slice(1)}` };
  const colon = address.lastIndexOf(":");
  const port = Number(address.slice(colon + 1));
  if (colon < 0 || !Number.isInteger(port) || port <= 0 || port > 65535) {
    throw new UwsgiError("UWSGI_ERR_INVALID_ARGUMENT", "socket", `expected host:port, /unix/path or @abstract, got ${JSON.stringify(address)}`);
  }
  const host = address.slice(0, colon).replace(/^\[|\]$/g, "") || "127.0.0.1";
  return { host, port };
}

/** Opens a connection, rejecting after `timeoutMs` (0 = no limit). */
export function openConnection(address: string, timeoutMs: number): Promise<Socket> {
  const target = parseSocketAddress(address);
  return new Promise((resolve, reject) => {
    const sock = "path" in target ? netConnect({ path: target.path }) : netConnect({ host: target.host, port: target.port });
    const timer = timeoutMs > 0 ? setTimeout(() => sock.destroy(new Error(`connect to ${address} timed out`)), timeoutMs) : null;
    sock.once("connect", () => {
      if (timer) clearTimeout(timer);
      resolve(sock);
    });
    sock.once("error", (err) => {
      if (timer) clearTimeout(timer);
      reject(err);
    });
  });
}

/** The current request's transport, which must offer `method`. */
function requestTransport(name: string, method: keyof RequestTransport): RequestTransport {
  const req = currentRequest();
  if (!req) throw new UwsgiError("UWSGI_ERR_NO_REQUEST");
  const transport = req.transport;
  if (!transport?.[method]) throw new UwsgiError("UWSGI_ERR_NOT_IMPLEMENTED", name, "this request's transport cannot write to the client");
  return transport;
}

function checkFileSource(source: unknown, start: number, size: number): void {
  if (typeof source !== "string" && !(Number.isInteger(source) && (source as number) >= 0)) {
    throw new UwsgiError("UWSGI_ERR_INVALID_ARGUMENT", "fd_or_name", `expected a file name or a descriptor, got ${String(source)}`);
  }
  if (!Number.isInteger(start) || start < 0) throw new UwsgiError("UWSGI_ERR_INVALID_ARGUMENT", "start_pos", `expected a whole number >= 0, got ${start}`);
  if (!Number.isInteger(size) || size < 0) throw new UwsgiError("UWSGI_ERR_INVALID_ARGUMENT", "filesize", `expected a whole number >= 0, got ${size}`);
}

/** True when a live Node handle of this process watches `fd` (or when that cannot be known). */
function ownedHere(fd: number): boolean {
  return watchedDescriptors()?.has(fd) ?? true;
}

/** Builds the socket functions over a table private to this process. */
export function socketFunctions(): Pick<UwsgiModule, SocketFunctionName> {
  const table = new Map<number, Socket>();

  function socketOf(fd: number): Socket {
    return table.get(fd) ?? adopt(fd);
  }
  /**
   * A descriptor this process did not open through `connect()` (inherited, opened by native
   * code, a FIFO from `fs.openSync`): wrapped in a `net.Socket` (libuv watches it as a pipe or
   * TCP socket) and kept in the table, so later calls see the same bytes. Descriptors that a
   * Node object of this process already watches are refused: two watchers on one descriptor
   * would steal each other's events.
   */
  function adopt(fd: number): Socket {
    if (!Number.isInteger(fd) || fd < 0) throw new UwsgiError("UWSGI_ERR_FD", fd, "not a file descriptor");
    const req = currentRequest();
    if (req?.socket !== undefined && socketFd(req.socket) === fd) {
      throw new UwsgiError("UWSGI_ERR_FD", fd, "the current request's connection belongs to the server: read its body with chunked_read(), write with send()");
    }
    if (fd <= 2 || ownedHere(fd)) throw new UwsgiError("UWSGI_ERR_FD", fd, "already watched by another object of this process (stdio, a server, a child process pipe)");
    let sock: Socket;
    try {
      sock = new Socket({ fd, readable: true, writable: true });
    } catch (err) {
      throw new UwsgiError("UWSGI_ERR_FD", fd, `cannot be watched by the event loop (${(err as Error).message}); regular files are always ready: use node:fs`);
    }
    register(sock);
    return sock;
  }
  function register(sock: Socket): number {
    const fd = socketFd(sock);
    let key = fd;
    if (key < 0) for (key = -2; table.has(key); key--);
    table.set(key, sock);
    // Bytes stay in the socket's own buffer until recv() reads them (no "data" listener: a
    // second consumer would see chunks twice). Errors end the connection: recv then reports EOF.
    sock.on("error", () => undefined);
    // The OS may give this number to a newer connection before this one's close event fires.
    sock.once("close", () => {
      if (table.get(key) === sock) table.delete(key);
    });
    return key;
  }
  function waitReadable(fd: number, timeoutMs: number | null): Promise<void> {
    const sock = socketOf(fd);
    if (sock.readableLength > 0 || sock.readableEnded || sock.destroyed) return Promise.resolve();
    return new Promise((resolve, reject) => {
      const timer = timeoutMs !== null ? setTimeout(() => done(new UwsgiError("UWSGI_ERR_FD", fd, "timed out waiting to read")), timeoutMs) : null;
      const done = (err?: Error) => {
        if (timer) clearTimeout(timer);
        sock.off("readable", onReadable);
        sock.off("end", onReadable);
        sock.off("close", onReadable);
        if (err) reject(err);
        else resolve();
      };
      const onReadable = () => done();
      sock.once("readable", onReadable);
      sock.once("end", onReadable);
      sock.once("close", onReadable);
    });
  }
  const timeoutArg = (timeout: number | null | undefined) => (timeout === null || timeout === undefined || timeout < 0 ? null : timeout * 1000);

  return {
    async connect(socket: string, timeout = 0): Promise<number> {
      try {
        return register(await openConnection(socket, timeout * 1000));
      } catch (err) {
        throw new UwsgiError("UWSGI_ERR_FD", socket, `unable to connect: ${(err as Error).message}`);
      }
    },
    async async_connect(socket: string): Promise<number> {
      try {
        return register(await openConnection(socket, 0));
      } catch {
        return -1;
      }
    },
    close(fd: number): void {
      const sock = table.get(fd);
      if (sock) {
        sock.destroy();
        table.delete(fd);
        return;
      }
      if (!Number.isInteger(fd) || fd <= 2 || ownedHere(fd) || socketFd(currentRequest()?.socket) === fd) {
        throw new UwsgiError("UWSGI_ERR_FD", fd, "not closed: it is not a descriptor this code may close (stdio, the request's connection, or watched by another object)");
      }
      try {
        closeSync(fd);
      } catch (err) {
        // closing what is already closed is harmless, as in uWSGI (close(2)'s EBADF is ignored)
        if ((err as NodeJS.ErrnoException).code !== "EBADF") throw new UwsgiError("UWSGI_ERR_FD", fd, (err as Error).message);
      }
    },
    is_connected: (fd) => {
      let s: Socket;
      try {
        s = socketOf(fd);
      } catch {
        return false;
      }
      return !s.destroyed && s.writable;
    },
    async recv(fd: number, maxsize = 4096): Promise<Buffer> {
      const sock = socketOf(fd);
      for (;;) {
        if (sock.readableLength > 0) return sock.read(Math.min(maxsize, sock.readableLength)) as Buffer;
        if (sock.readableEnded || sock.destroyed) return Buffer.alloc(0);
        await waitReadable(fd, null);
      }
    },
    async send(fd_or_data: number | BytesLike, data?: BytesLike | null): Promise<boolean> {
      if (typeof fd_or_data !== "number") return requestTransport("send", "writeRaw").writeRaw!(toBuffer(fd_or_data, "data"));
      const sock = socketOf(fd_or_data);
      const bytes = toBuffer(data ?? Buffer.alloc(0), "data");
      return new Promise((resolve) => sock.write(bytes, (err) => resolve(!err)));
    },
    async sendfile(fd_or_name: number | string, _chunk_size = 0, start_pos = 0, filesize = 0): Promise<boolean | null> {
      const transport = requestTransport("sendfile", "sendFile");
      checkFileSource(fd_or_name, start_pos, filesize);
      await transport.sendFile!(fd_or_name, start_pos, filesize > 0 ? filesize : null, { end: false, detach: false });
      return true;
    },
    async wait_fd_read(fd: number, timeout?: number | null): Promise<Buffer> {
      await waitReadable(fd, timeoutArg(timeout));
      return Buffer.alloc(0);
    },
    async wait_fd_write(fd: number, timeout?: number | null): Promise<Buffer> {
      const sock = socketOf(fd);
      if (!sock.writableNeedDrain) return Buffer.alloc(0);
      const ms = timeoutArg(timeout);
      await new Promise<void>((resolve, reject) => {
        const timer = ms !== null ? setTimeout(() => reject(new UwsgiError("UWSGI_ERR_FD", fd, "timed out waiting to write")), ms) : null;
        sock.once("drain", () => {
          if (timer) clearTimeout(timer);
          resolve();
        });
      });
      return Buffer.alloc(0);
    },
    async offload(filename: string): Promise<Buffer> {
      const transport = requestTransport("offload", "sendFile");
      checkFileSource(filename, 0, 0);
      await transport.sendFile!(filename, 0, null, { end: true, detach: true });
      return Buffer.alloc(0);
    },
  };
}
