/**
 * The private names of Node's stream handles that serving a connection on its accepted handle
 * needs (no `net.Socket` per connection), in one place, checked once: the `stream_wrap` binding
 * (`WriteWrap`, `streamBaseState` and its `kReadBytesOrError` / `kArrayBufferOffset` /
 * `kBytesWritten` / `kLastWriteWasAsync` slots), a listening server's `_handle.onconnection`,
 * `_connections` and `_emitCloseIfDrained`, and the accepted handle's `onread`,
 * `readStart`/`readStop`, `writeLatin1String`/`writeUtf8String`/`writeBuffer`, `close`.
 *
 * {@link streamHandleBridge} runs the self-check on first use and returns null when anything is
 * missing (after logging it once through {@link reportStreamHandleBridge}'s log); callers then
 * keep serving with a `net.Socket` per connection. A handle that lacks one of its methods when
 * it is accepted is given to Node's own `onconnection` (a `net.Socket`), so one odd handle type
 * cannot break the server either.
 *
 * All of these names exist on Node 20, 22 and 24 (test/unit/core/stream-handle-bridge.test.ts).
 * `process.binding` prints a deprecation warning (DEP0111) only under `--pending-deprecation`.
 * @module
 */
import { Buffer } from "node:buffer";
import net from "node:net";

/** An accepted TCP or pipe handle, as the bridge uses it. */
export interface StreamHandle {
  onread: ((arrayBuffer: ArrayBuffer | undefined) => void) | undefined;
  readStart(): number;
  readStop(): number;
  writeLatin1String(req: WriteRequest, data: string): number;
  writeUtf8String(req: WriteRequest, data: string): number;
  writeBuffer(req: WriteRequest, data: Uint8Array): number;
  close(callback?: () => void): void;
  setNoDelay?(enable: boolean): number;
  getpeername?(out: Record<string, unknown>): number;
  getsockname?(out: Record<string, unknown>): number;
  readonly bytesWritten: number;
  readonly fd: number;
  /** The connection served on the handle (the bridge's user sets it; a named field for a stable shape). */
  _uwsgiNodeOwner?: unknown;
}

/** A write in flight (Node's `WriteWrap`). */
export interface WriteRequest {
  handle: StreamHandle;
  oncomplete: (this: WriteRequest, status: number) => void;
  async: boolean;
  /** What the user of the bridge hangs on the write (its callbacks). */
  callbacks: unknown;
  bytes: number;
  /** Keeps the written data alive while the write is in flight. */
  data: unknown;
}

/** What reading and writing on a raw handle take from Node. */
export interface StreamHandleBridge {
  /** A new write request for `handle`, completing with `oncomplete`. */
  writeRequest(handle: StreamHandle, oncomplete: (this: WriteRequest, status: number) => void): WriteRequest;
  /** After a write call: true when it went to the kernel at once (its completion will not be called). */
  lastWriteWasSync(): boolean;
  /** After a write call: the bytes it wrote or queued. */
  lastWriteBytes(): number;
  /** Inside an `onread`: the bytes read (> 0), or 0, or a negative libuv error (UV_EOF at the end). */
  readResult(): number;
  /** Inside an `onread` with a positive result: the bytes read, as a Buffer over Node's read buffer. */
  readBuffer(arrayBuffer: ArrayBuffer, nread: number): Buffer;
  /**
   * Makes `server` hand its accepted handles to `accept` instead of building a `net.Socket`; a
   * handle without the methods the bridge uses goes to Node's own `onconnection`. Call it each
   * time the server starts listening (a new listening handle).
   * @returns false when the server's handle has no `onconnection` (Node builds sockets as before).
   */
  takeOverAccepts(server: net.Server, accept: (handle: StreamHandle) => void): boolean;
  /** Counts a connection served on its handle in `server.getConnections()` and `close()`'s wait. */
  connectionOpened(server: net.Server): void;
  /** The connection of {@link connectionOpened} closed (a server closing may now emit 'close'). */
  connectionClosed(server: net.Server): void;
  /**
   * A `net.Socket` on `handle` from now on, as Node's `onconnection` would have built it (the
   * handle must not be reading: it is stopped here, and the socket starts it again). Counted in
   * the server's connections already (it was by {@link connectionOpened}).
   */
  socketOf(handle: StreamHandle, server: net.Server): net.Socket;
}

type StreamWrapBinding = {
  WriteWrap?: new () => WriteRequest;
  streamBaseState?: Int32Array;
  kReadBytesOrError?: number;
  kArrayBufferOffset?: number;
  kBytesWritten?: number;
  kLastWriteWasAsync?: number;
};

type ServerInternals = net.Server & {
  _handle?: { onconnection?: (err: number, handle: StreamHandle | undefined) => void } | null;
  _connections?: number;
  _emitCloseIfDrained?: () => void;
};

const HANDLE_METHODS = ["readStart", "readStop", "writeLatin1String", "writeUtf8String", "writeBuffer", "close"] as const;

/** What the check found: the bridge, or why there is none. */
function build(): StreamHandleBridge | string {
  const processBinding = (process as unknown as { binding?: (name: string) => unknown }).binding;
  if (typeof processBinding !== "function") return "process.binding is not a function";
  let binding: StreamWrapBinding;
  try {
    binding = processBinding.call(process, "stream_wrap") as StreamWrapBinding;
  } catch (err) {
    return `process.binding("stream_wrap") threw: ${err instanceof Error ? err.message : String(err)}`;
  }
  const { WriteWrap, streamBaseState: state, kReadBytesOrError, kArrayBufferOffset, kBytesWritten, kLastWriteWasAsync } = binding;
  if (typeof WriteWrap !== "function") return "stream_wrap has no WriteWrap";
  if (!(state instanceof Int32Array)) return "stream_wrap's streamBaseState is not an Int32Array";
  for (const [name, slot] of Object.entries({ kReadBytesOrError, kArrayBufferOffset, kBytesWritten, kLastWriteWasAsync })) {
    if (typeof slot !== "number" || !Number.isInteger(slot) || slot < 0 || slot >= state.length) return `stream_wrap's ${name} is not a slot of streamBaseState`;
  }
  const server = net.createServer() as ServerInternals;
  if (typeof server._connections !== "number") return "net.Server has no _connections count";
  if (typeof server._emitCloseIfDrained !== "function") return "net.Server has no _emitCloseIfDrained";
  const readSlot = kReadBytesOrError!;
  const offsetSlot = kArrayBufferOffset!;
  const bytesSlot = kBytesWritten!;
  const asyncSlot = kLastWriteWasAsync!;
  return {
    writeRequest(handle, oncomplete) {
      const req = new WriteWrap();
      req.handle = handle;
      req.oncomplete = oncomplete;
      req.async = false;
      req.callbacks = null;
      req.bytes = 0;
      req.data = null;
      return req;
    },
    lastWriteWasSync: () => state[asyncSlot] === 0,
    lastWriteBytes: () => state[bytesSlot]!,
    readResult: () => state[readSlot]!,
    readBuffer: (arrayBuffer, nread) => Buffer.from(arrayBuffer, state[offsetSlot], nread),
    takeOverAccepts(srv, accept) {
      const listening = (srv as ServerInternals)._handle;
      const original = listening?.onconnection;
      if (listening == null || typeof original !== "function") return false;
      listening.onconnection = function onconnection(this: unknown, err: number, handle: StreamHandle | undefined): void {
        if (err !== 0 || handle === undefined || !HANDLE_METHODS.every((m) => typeof handle[m] === "function")) {
          original.call(this, err, handle);
          return;
        }
        accept(handle);
      };
      return true;
    },
    connectionOpened(srv) {
      (srv as ServerInternals)._connections!++;
    },
    connectionClosed(srv) {
      const s = srv as ServerInternals;
      s._connections!--;
      s._emitCloseIfDrained!();
    },
    socketOf(handle, srv) {
      handle.readStop();
      const socket = new net.Socket({ handle, readable: true, writable: true, allowHalfOpen: (srv as net.Server & { allowHalfOpen?: boolean }).allowHalfOpen === true } as net.SocketConstructorOpts) as net.Socket & {
        server: net.Server;
        _server: net.Server;
      };
      socket.server = srv;
      socket._server = srv;
      return socket;
    },
  };
}

let built: StreamHandleBridge | string | null = null;
let report: (line: string) => void = (line) => process.stderr.write(`${line}\n`);
let reported = false;

/**
 * The bridge, or null when this Node lacks one of its names (logged once, with what is missing).
 * @example
 * const bridge = streamHandleBridge();
 * if (bridge !== null) bridge.takeOverAccepts(server, serveOnHandle);
 */
export function streamHandleBridge(): StreamHandleBridge | null {
  built ??= build();
  if (typeof built !== "string") return built;
  if (!reported) {
    reported = true;
    report(`uwsgi-node: Node.js ${process.version}: stream handles not usable directly (${built}); uwsgi protocol connections are served with a net.Socket each`);
  }
  return null;
}

/** The self-check's finding: "" when the bridge is usable, else what is missing (for tests and diagnostics). */
export function checkStreamHandleBridge(): string {
  built ??= build();
  return typeof built === "string" ? built : "";
}

/** Where the bridge's one line goes when it is not usable (the worker's log; stderr until set). */
export function reportStreamHandleBridge(log: (line: string) => void): void {
  report = log;
}
