/**
 * The stats server (`--stats ADDR`): every connection gets the stats JSON document and is
 * closed, as in uWSGI. With `--stats-http` the client must first send something (an HTTP
 * request, read and mostly ignored) and the document comes after an `HTTP/1.0 200 OK` head.
 * Clients are served concurrently; a silent or garbage-sending client never blocks the others
 * and is dropped after the socket timeout.
 * @module
 */
import { Buffer } from "node:buffer";
import { existsSync, lstatSync, unlinkSync, chmodSync } from "node:fs";
import net from "node:net";
import { formatListenAddress, parseListenAddress, resolveListenHost } from "../listen-address.js";
import { renderStatsJson, type StatsRenderOptions } from "./stats-document.js";
import type { StatsSnapshot } from "./stats-snapshot.js";

/** What an HTTP-mode route answers. */
export interface StatsHttpReply {
  /** Status line after the version, e.g. `200 OK` (default) or `404 Not Found`. */
  status?: string;
  contentType: string;
  body: string | Buffer;
}

/** Answers one HTTP-mode path (`/metrics` ...); gets the request path without its query string. */
export type StatsHttpRoute = (path: string) => StatsHttpReply | Promise<StatsHttpReply>;

/** Stats server settings. */
export interface StatsServerOptions extends StatsRenderOptions {
  /** `--stats-http`: answer as an HTTP/1.0 server. */
  http?: boolean;
  /** `--socket-timeout` in ms: how long to wait for a client's request (HTTP) and for each write. Default 4000. */
  timeoutMs?: number;
  /** HTTP mode: extra paths; any other path gets the JSON document, as in uWSGI. */
  routes?: Readonly<Record<string, StatsHttpRoute>>;
  /** Permissions for a unix socket (`--chmod-socket`). */
  unixMode?: number;
  /** Where problems are reported; defaults to stderr. */
  logger?: (line: string) => void;
}

/** A running stats server. */
export interface StatsServer {
  /** The bound address: `host:port` (actual port when 0 was asked), a unix path or `@name`. */
  readonly address: string;
  /** Stops listening and drops open stats connections. */
  close(): Promise<void>;
}

/** A snapshot source: the master's current view, built on demand. */
export type StatsSnapshotSource = () => StatsSnapshot | Promise<StatsSnapshot>;

const HTTP_MAX_REQUEST = 4096;

/**
 * Listens on `address` (`host:port`, `:port`, `[v6]:port`, a unix socket path, or `@name` for
 * an abstract unix socket) and serves the stats document built from `getSnapshot()`.
 * @example
 * ```ts
 * const stats = await startStatsServer("127.0.0.1:9191", () => master.statsSnapshot(), { http: true });
 * // later
 * await stats.close();
 * ```
 */
export async function startStatsServer(
  address: string,
  getSnapshot: StatsSnapshotSource,
  options: StatsServerOptions = {},
): Promise<StatsServer> {
  const log = options.logger ?? ((line: string) => process.stderr.write(line + "\n"));
  const timeoutMs = options.timeoutMs ?? 4000;
  const target = parseListenAddress("stats", address);
  const unixPath = target.kind === "unix" ? target.path : undefined;
  const open = new Set<net.Socket>();

  const server = net.createServer((socket) => {
    open.add(socket);
    socket.on("close", () => open.delete(socket));
    socket.on("error", () => socket.destroy());
    const serve = options.http ? serveHttp(socket) : serveDocument(socket, null);
    serve.catch((err: unknown) => {
      log(`stats server: cannot answer a client: ${err instanceof Error ? err.message : String(err)}`);
      socket.destroy();
    });
  });

  const documentOf = async (): Promise<string> => renderStatsJson(await getSnapshot(), options);

  async function serveDocument(socket: net.Socket, httpHead: string | null): Promise<void> {
    socket.setTimeout(timeoutMs, () => socket.destroy()); // a client that does not read is dropped
    socket.resume(); // discard anything the client sends
    const body = await documentOf();
    if (socket.destroyed) return;
    socket.end(httpHead === null ? body : httpHead + body);
  }

  async function serveHttp(socket: net.Socket): Promise<void> {
    const request = await readHttpRequest(socket, timeoutMs);
    if (request === null) {
      socket.destroy(); // nothing was sent: uWSGI closes without an answer
      return;
    }
    const path = requestPath(request);
    const route = path === null ? undefined : options.routes?.[path];
    if (route === undefined) {
      await serveDocument(socket, httpHead("200 OK", "application/json"));
      return;
    }
    socket.setTimeout(timeoutMs, () => socket.destroy());
    socket.resume();
    const reply = await route(path!);
    if (socket.destroyed) return;
    socket.write(httpHead(reply.status ?? "200 OK", reply.contentType));
    socket.end(reply.body);
  }

  if (unixPath !== undefined) removeStaleSocket(unixPath);
  const host = target.kind === "tcp" ? await resolveListenHost("stats", target.host) : "";
  await new Promise<void>((resolve, reject) => {
    server.once("error", reject);
    const done = () => {
      server.off("error", reject);
      resolve();
    };
    if (target.kind === "tcp") server.listen(target.port, host, done);
    else server.listen(target.path, done);
  });
  server.on("error", (err) => log(`stats server: ${err.message}`));
  if (unixPath !== undefined && !unixPath.startsWith("\0") && options.unixMode !== undefined) {
    chmodSync(unixPath, options.unixMode);
  }

  const bound = server.address();
  const shown =
    typeof bound === "object" && bound !== null
      ? formatListenAddress({ kind: "tcp", host: bound.address, port: bound.port })
      : formatListenAddress(target);

  return {
    address: shown,
    close: () =>
      new Promise<void>((resolve) => {
        for (const s of open) s.destroy();
        server.close(() => resolve());
      }),
  };
}

/** The HTTP head uWSGI sends before the document (no Content-Length: the body ends at close). */
function httpHead(status: string, contentType: string): string {
  return (
    `HTTP/1.0 ${status}\r\nConnection: close\r\nAccess-Control-Allow-Origin: *\r\n` +
    `Content-Type: ${contentType}\r\n\r\n`
  );
}

/**
 * Reads the client's request: until the end of an HTTP head, 4096 bytes, EOF or the socket
 * timeout. Resolves null when the client sent nothing at all.
 */
function readHttpRequest(socket: net.Socket, timeoutMs: number): Promise<Buffer | null> {
  return new Promise((resolve) => {
    const chunks: Buffer[] = [];
    let size = 0;
    const timer = setTimeout(() => finish(), timeoutMs);
    const finish = () => {
      clearTimeout(timer);
      socket.pause();
      socket.off("data", onData);
      socket.off("end", finish);
      socket.off("close", finish);
      resolve(size === 0 ? null : Buffer.concat(chunks, size));
    };
    const onData = (chunk: Buffer) => {
      chunks.push(chunk);
      size += chunk.length;
      if (size >= HTTP_MAX_REQUEST || Buffer.concat(chunks, size).includes("\r\n\r\n")) finish();
    };
    socket.on("data", onData);
    socket.on("end", finish);
    socket.on("close", finish);
  });
}

/** The path of an HTTP request line (`GET /metrics?x HTTP/1.1` -> `/metrics`), or null. */
function requestPath(request: Buffer): string | null {
  const line = request.subarray(0, Math.min(request.length, HTTP_MAX_REQUEST)).toString("latin1").split("\r\n", 1)[0]!;
  const m = /^[A-Za-z]+ (\S+)/.exec(line);
  if (!m) return null;
  const q = m[1]!.indexOf("?");
  return q === -1 ? m[1]! : m[1]!.slice(0, q);
}

/** uWSGI unlinks a leftover unix socket before binding; so do we (only if it is a socket). */
function removeStaleSocket(path: string): void {
  if (path.startsWith("\0") || !existsSync(path)) return;
  if (lstatSync(path).isSocket()) unlinkSync(path);
}
