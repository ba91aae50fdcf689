/**
 * Read deadlines of an HTTP server that never listens itself (the worker hands it connections
 * with `emit("connection")`, so Node's header/request timeout checker, started on 'listening',
 * would never run): the header block must arrive within `--socket-timeout` (Node's own
 * `headersTimeout`, measured from the request's first byte, answered 408 as Node does), idle
 * keep-alive connections close after `--http-keepalive`. Request bodies and silent new
 * connections are watched by {@link ConnectionWatch} (per read, not per request).
 * @module
 */
import type { IncomingMessage, Server as HttpServer, ServerResponse } from "node:http";
import type { LimitSettings } from "./limit-settings.js";

type CheckedServer = HttpServer & { connectionsCheckingInterval: number };

function closeAfterResponse(_req: IncomingMessage, res: ServerResponse): void {
  res.shouldKeepAlive = false;
}

/**
 * Applies the limits to `http` and starts Node's connection checker on it (an unref'd interval
 * over Node's native connection list: no cost per request).
 * @example
 * ```ts
 * const http = createServer(listener);
 * applyHttpLimits(http, limits);
 * net.createServer((socket) => http.emit("connection", socket));
 * ```
 */
export function applyHttpLimits(http: HttpServer, limits: LimitSettings): void {
  const server = http as CheckedServer;
  server.headersTimeout = limits.socketTimeoutMs;
  // a whole-request deadline would cut slow but steady uploads: bodies get a per-read one instead
  server.requestTimeout = 0;
  if (limits.httpKeepAliveMs > 0) server.keepAliveTimeout = limits.httpKeepAliveMs;
  // `Connection: close` and the close, on every response (maxRequestsPerSocket would send the
  // header but keep the connection open); a listener ahead of the app's
  else server.prependListener("request", closeAfterResponse);
  // checked a few times per timeout, so a stalled head is closed within 1.25 x the timeout
  server.connectionsCheckingInterval = Math.max(100, Math.floor(limits.socketTimeoutMs / 4));
  // Node creates its connection list and checker on 'listening' (setupConnectionsTracking)
  server.emit("listening");
}
