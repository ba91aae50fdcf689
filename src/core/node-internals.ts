/**
 * Every private field of Node's HTTP and net objects that uwsgi-node reads or writes, in one
 * place. Node does not promise them, so each is verified once, by {@link checkNodeInternals}, on
 * objects built for the purpose (the first call of any accessor here runs it; the server's
 * processes run it at start through {@link reportNodeInternals}, which logs once what is missing).
 * An internal that fails its check is not used again: its accessor takes the public path, which
 * is slower or less exact (each entry of {@link INTERNALS} says how).
 *
 * Fields that live on a connected socket's handle (the descriptor, its byte count) cannot be
 * built without opening a connection: their accessors check the type of what they read each
 * time, take the public path when it is wrong, and report that once.
 *
 * Tested on Node 20, 22 and 24 (test/unit/core/node-internals.test.ts).
 * @module
 */
import { IncomingMessage, ServerResponse } from "node:http";
import net, { Socket } from "node:net";

/** One private field and what its absence costs. */
export interface InternalCheck {
  /** Short name (`kNeedDrain`, `_peername`, ...). */
  readonly name: string;
  /** True: the field exists and behaves as the code expects. */
  readonly ok: boolean;
  /** What the check found when not ok ("" when ok). */
  readonly detail: string;
  /** What is done instead when not ok. */
  readonly fallback: string;
}

/** The internals, what they are used for, and the public path taken without them. */
export const INTERNALS = {
  kNeedDrain: "ServerResponse's write-returned-false flag, cleared when the socket drains (uwsgi protocol responses); without it a response that once waited keeps reporting writableNeedDrain",
  _addHeaderLines: "IncomingMessage's header setter (uwsgi protocol requests); without it rawHeaders and headers are assigned (headersDistinct stays empty)",
  _peername: "net.Socket's cache behind remoteAddress/remotePort (the client REMOTE_ADDR names on --socket); without it the three properties are defined on the socket",
  _closed: "OutgoingMessage's close-emitted flag (a response's 'close' once); without it the flag is kept beside the response",
  _header: "OutgoingMessage's sent head (the request log's header count and size); without it the head is rebuilt from getHeaders()",
  _getActiveHandles: "process's list of live handles (descriptors a uwsgi.* socket function must not adopt or close); without it no descriptor is adopted or closed",
  _createServerHandle: "net's listening-socket factory (the master binds the sockets its workers share); no public equivalent: the server cannot start without it",
  _handle: "net.Socket's libuv handle (connection_fd(), bytes written, UNIX peers); without it connection_fd() is -1, bytes come from socket.bytesWritten, UNIX peers are told by localAddress",
} as const;

export type InternalName = keyof typeof INTERNALS;

type NeedDrainResponse = ServerResponse & Record<symbol, unknown>;
type HeaderLinesRequest = IncomingMessage & { _addHeaderLines?: (headers: string[], n: number) => void };
type PeernameSocket = Socket & { _peername?: { address?: string; port?: number; family?: string } };
type ClosableResponse = ServerResponse & { _closed?: boolean };
type HeadResponse = ServerResponse & { _header?: string | null };
type HandleSocket = { _handle?: { fd?: unknown; bytesWritten?: unknown; getpeername?: unknown } | null };
type CreateServerHandle = (...args: unknown[]) => unknown;

/** What the checks found, once. */
interface Verified {
  readonly checks: InternalCheck[];
  readonly needDrain: symbol | null;
  readonly addHeaderLines: boolean;
  readonly peername: boolean;
  readonly closed: boolean;
  readonly header: boolean;
  readonly activeHandles: boolean;
  readonly createServerHandle: CreateServerHandle | null;
  readonly handle: boolean;
}

function check(name: InternalName, probe: () => string): InternalCheck {
  let detail: string;
  try {
    detail = probe();
  } catch (err) {
    detail = `the check threw: ${err instanceof Error ? err.message : String(err)}`;
  }
  return { name, ok: detail === "", detail, fallback: INTERNALS[name] };
}

/** A response on an unconnected socket, as the checks need one. */
function probeResponse(): { req: IncomingMessage; res: ServerResponse } {
  const req = new IncomingMessage(new Socket());
  return { req, res: new ServerResponse(req) };
}

/**
 * Runs every check on fresh objects of the running Node (a few microseconds; nothing is
 * connected or bound). Exposed for tests and for `--version`-style diagnostics: the accessors
 * below use the first result.
 * @example
 * for (const c of checkNodeInternals()) if (!c.ok) console.log(c.name, c.detail);
 */
export function checkNodeInternals(): InternalCheck[] {
  return verify().checks;
}

function verify(): Verified {
  let needDrain: symbol | null = null;
  let createServerHandle: CreateServerHandle | null = null;
  const checks = [
    check("kNeedDrain", () => {
      const { res } = probeResponse();
      const sym = Object.getOwnPropertySymbols(res).find((s) => s.description === "kNeedDrain");
      if (sym === undefined) return "no symbol property described kNeedDrain on a ServerResponse";
      const r = res as NeedDrainResponse;
      if (typeof r[sym] !== "boolean") return `kNeedDrain holds ${typeof r[sym]}, not a boolean`;
      r[sym] = true;
      if (res.writableNeedDrain !== true) return "setting kNeedDrain does not show in writableNeedDrain";
      r[sym] = false;
      if ((res.writableNeedDrain as boolean) !== false) return "clearing kNeedDrain does not show in writableNeedDrain";
      needDrain = sym;
      return "";
    }),
    check("_addHeaderLines", () => {
      const req = new IncomingMessage(new Socket()) as HeaderLinesRequest;
      if (typeof req._addHeaderLines !== "function") return "IncomingMessage has no _addHeaderLines method";
      req._addHeaderLines(["x-a", "1", "x-a", "2", "host", "h"], 6);
      if (req.headers["x-a"] !== "1, 2" || req.headers.host !== "h") return `headers read ${JSON.stringify(req.headers)} after _addHeaderLines`;
      if (req.rawHeaders.length !== 6) return "rawHeaders not set by _addHeaderLines";
      return "";
    }),
    check("_peername", () => {
      const socket = new Socket() as PeernameSocket;
      socket._peername = { address: "192.0.2.7", port: 7, family: "IPv4" };
      if (socket.remoteAddress !== "192.0.2.7" || socket.remotePort !== 7 || socket.remoteFamily !== "IPv4") return "remoteAddress/remotePort/remoteFamily do not read _peername";
      return "";
    }),
    check("_closed", () => {
      const { res } = probeResponse();
      if ((res as ClosableResponse)._closed !== false) return `a new ServerResponse's _closed is ${String((res as ClosableResponse)._closed)}, not false`;
      return "";
    }),
    check("_header", () => {
      const { res } = probeResponse();
      res.writeHead(201, { "x-probe": "1" });
      const head = (res as HeadResponse)._header;
      if (typeof head !== "string" || !head.startsWith("HTTP/1.1 201") || !head.includes("x-probe: 1\r\n") || !head.endsWith("\r\n\r\n")) return "writeHead() does not leave the head in _header";
      return "";
    }),
    check("_getActiveHandles", () => {
      const fn = (process as unknown as { _getActiveHandles?: () => unknown })._getActiveHandles;
      if (typeof fn !== "function") return "process._getActiveHandles is not a function";
      if (!Array.isArray(fn.call(process))) return "process._getActiveHandles() does not return an array";
      return "";
    }),
    check("_createServerHandle", () => {
      const fn = (net as unknown as { _createServerHandle?: CreateServerHandle })._createServerHandle;
      if (typeof fn !== "function") return "net._createServerHandle is not a function";
      createServerHandle = fn;
      return "";
    }),
    check("_handle", () => {
      const socket = new Socket() as unknown as HandleSocket;
      if (!("_handle" in socket)) return "net.Socket has no _handle member";
      if (socket._handle !== null) return "an unconnected net.Socket's _handle is not null";
      return "";
    }),
  ];
  const ok = (name: InternalName) => checks.find((c) => c.name === name)!.ok;
  return {
    checks,
    needDrain,
    addHeaderLines: ok("_addHeaderLines"),
    peername: ok("_peername"),
    closed: ok("_closed"),
    header: ok("_header"),
    activeHandles: ok("_getActiveHandles"),
    createServerHandle,
    handle: ok("_handle"),
  };
}

let verified: Verified | null = null;
const checked = (): Verified => (verified ??= verify());

/** Where the one-time lines go (set by {@link reportNodeInternals}; stderr until then). */
let report: (line: string) => void = (line) => process.stderr.write(`${line}\n`);
const reported = new Set<string>();

function reportOnce(name: string, detail: string, fallback: string): void {
  if (reported.has(name)) return;
  reported.add(name);
  report(`uwsgi-node: Node.js ${process.version}: private ${name} not usable (${detail}); ${fallback}`);
}

/**
 * Runs the checks (if not yet) and logs one line per internal that failed, naming what is done
 * instead; `log` also gets the lines of handle fields found wrong later, on first use. Called
 * once at the start of the master and of every worker (which pass `announce: false`: the master
 * already logged the same checks).
 * @returns the failed checks.
 * @example
 * reportNodeInternals((line) => process.stderr.write(line + "\n"));
 */
export function reportNodeInternals(log: (line: string) => void, { announce = true }: { announce?: boolean } = {}): InternalCheck[] {
  report = log;
  const failed = checked().checks.filter((c) => !c.ok);
  for (const c of failed) {
    if (announce) reportOnce(c.name, c.detail, c.fallback);
    else reported.add(c.name);
  }
  return failed;
}

// --- accessors ----------------------------------------------------------------------------------

/**
 * Tells a response its socket drained (what Node's HTTP server does before emitting `drain` on
 * it), so `writableNeedDrain` reads false again and the response's `write()` may return true.
 */
export function clearNeedDrain(res: ServerResponse): void {
  const sym = checked().needDrain;
  if (sym !== null) (res as NeedDrainResponse)[sym] = false;
}

/** Sets a request's headers from `rawHeaders` (names lowercase, values alternating), as Node's parser does. */
export function setRequestHeaders(req: IncomingMessage, rawHeaders: string[]): void {
  if (checked().addHeaderLines) {
    (req as HeaderLinesRequest)._addHeaderLines!(rawHeaders, rawHeaders.length);
    return;
  }
  const headers: Record<string, string | string[]> = {};
  for (let i = 0; i < rawHeaders.length; i += 2) {
    const name = rawHeaders[i]!;
    const value = rawHeaders[i + 1]!;
    const known = headers[name];
    if (known === undefined) headers[name] = name === "set-cookie" ? [value] : value;
    else if (Array.isArray(known)) known.push(value);
    else headers[name] = name === "cookie" ? `${known}; ${value}` : `${known}, ${value}`;
  }
  req.rawHeaders = rawHeaders;
  req.headers = headers as IncomingMessage["headers"];
}

/**
 * Makes `socket.remoteAddress` / `remotePort` / `remoteFamily` report the client the front end
 * saw (REMOTE_ADDR / REMOTE_PORT) instead of the front end itself.
 */
export function setSocketPeer(socket: Socket, address: string, port: number | undefined): void {
  const family = address.includes(":") ? "IPv6" : "IPv4";
  if (checked().peername) {
    // a plain field, so the socket keeps its fast shape
    (socket as PeernameSocket)._peername = port === undefined ? { address, family } : { address, family, port };
    return;
  }
  Object.defineProperties(socket, {
    remoteAddress: { value: address, configurable: true },
    remotePort: { value: port, configurable: true },
    remoteFamily: { value: family, configurable: true },
  });
}

type PeerHandle = { getpeername(out: { address: string; family: string; port: number }): number };

/**
 * Fills Node's peer-address cache of an accepted TCP socket (`_peername`, what `remoteAddress`,
 * `remotePort` and `remoteFamily` read) with one getpeername(2), as Node's getter would, but into
 * an object that already has the three fields: Node's getter passes an empty one, to which the
 * C++ side then adds each property (3.2k instructions a call against 6.7k, callgrind
 * micro-benchmark, Node 20). Does nothing when the cache is filled, the socket has no TCP handle
 * (UNIX socket, closed) or is connecting, or `_peername`/`_handle` are not usable: the getters
 * then do it their way.
 */
export function fillPeername(socket: Socket): void {
  const s = socket as PeernameSocket;
  if (s._peername || socket.connecting || !checked().peername) return;
  const handle = handleOf(socket);
  if (handle === null || typeof handle.getpeername !== "function") return;
  const out = { address: "", family: "", port: 0 };
  if ((handle as unknown as PeerHandle).getpeername(out) === 0 && out.address !== "") s._peername = out;
}

/** Responses whose 'close' was emitted, when `_closed` is not usable. */
const closedResponses = new WeakSet<ServerResponse>();

/** Emits a finished response's 'close' once, as Node's HTTP server does (its emitCloseNT). */
export function emitResponseClose(res: ServerResponse): void {
  if (checked().closed) {
    const r = res as ClosableResponse;
    if (r._closed) return;
    r._closed = true;
  } else {
    if (closedResponses.has(res)) return;
    closedResponses.add(res);
  }
  res.destroyed = true;
  res.emit("close");
}

/** The response head as sent (status line, headers, blank line), or null before it is. */
export function sentHead(res: ServerResponse): string | null {
  if (!res.headersSent) return null;
  if (checked().header) {
    const head = (res as HeadResponse)._header;
    return typeof head === "string" ? head : null;
  }
  let head = `HTTP/1.1 ${res.statusCode} ${res.statusMessage}\r\n`;
  const headers = res.getHeaders();
  for (const name in headers) {
    const value = headers[name];
    for (const v of Array.isArray(value) ? value : [value]) head += `${name}: ${String(v)}\r\n`;
  }
  return head + "\r\n";
}

/**
 * Descriptors watched by live handles of this process, or null when they cannot be listed
 * (callers then treat every descriptor as watched).
 */
export function watchedDescriptors(): Set<number> | null {
  if (!checked().activeHandles) return null;
  const fds = new Set<number>();
  for (const h of (process as unknown as { _getActiveHandles: () => unknown[] })._getActiveHandles()) {
    const own = (h as { fd?: unknown } | null)?.fd;
    if (typeof own === "number") fds.add(own);
    const fd = (h as HandleSocket | null)?._handle?.fd;
    if (typeof fd === "number") fds.add(fd);
  }
  return fds;
}

/**
 * Node's own listening-socket factory (what node:cluster's primary uses).
 * @throws Error when this Node has none (the check's detail says why).
 */
export function createServerHandleFunction<F>(): F {
  const fn = checked().createServerHandle;
  if (fn === null) {
    const c = checked().checks.find((x) => x.name === "_createServerHandle")!;
    throw new Error(`Node.js ${process.version} has no usable net._createServerHandle (${c.detail}); uwsgi-node needs it to share listening sockets`);
  }
  return fn as F;
}

function handleOf(socket: unknown): NonNullable<HandleSocket["_handle"]> | null {
  if (socket == null || !checked().handle) return null;
  return (socket as HandleSocket)._handle ?? null;
}

/** The descriptor of a socket's connection, -1 when it has none (closed, not connected, or not knowable). */
export function socketFd(socket: unknown): number {
  const handle = handleOf(socket);
  if (handle === null) return -1;
  const fd = handle.fd;
  if (typeof fd === "number") return fd;
  reportOnce("_handle.fd", `a connected socket's handle has fd ${typeof fd}`, "connection_fd() returns -1");
  return -1;
}

/**
 * The byte counter of a socket's handle, read once per connection, so that the bytes written can
 * be read without the `bytesWritten` getter's cost ({@link handleBytesWritten}); null: use
 * `socket.bytesWritten`.
 */
export function byteCounterOf(socket: Socket): { readonly bytesWritten?: unknown } | null {
  return handleOf(socket);
}

/** Bytes a handle from {@link byteCounterOf} has written, or -1 when it does not tell (then use `socket.bytesWritten`). */
export function handleBytesWritten(counter: { readonly bytesWritten?: unknown }): number {
  const n = counter.bytesWritten;
  if (typeof n === "number") return n;
  reportOnce("_handle.bytesWritten", `a connected socket's handle has bytesWritten ${typeof n}`, "bytes come from socket.bytesWritten");
  return -1;
}

/** True for a connection over a UNIX socket (its handle has no peer address), false for TCP. */
export function isUnixConnection(socket: Socket): boolean {
  if (checked().handle) {
    const handle = (socket as unknown as HandleSocket)._handle;
    return handle != null && typeof handle.getpeername !== "function";
  }
  // public: an open UNIX socket has no local IP address (a TCP one keeps it while open)
  return !socket.destroyed && socket.localAddress === undefined;
}
