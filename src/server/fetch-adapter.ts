/**
 * Serves a fetch-style app (`(request: Request) => Response`) as a Node request listener: the
 * Node request becomes a web `Request` (body streamed, not buffered), the `Response` is written
 * back with backpressure, and the request's `signal` aborts when the client goes away.
 * @module
 */
import type { IncomingMessage, ServerResponse } from "node:http";
import { Readable } from "node:stream";
import type { ReadableStream as WebReadableStream } from "node:stream/web";

/** A fetch-style handler. */
export type FetchHandler = (request: Request) => Response | Promise<Response>;

/** Builds the web `Request` for a Node request. */
export function toWebRequest(req: IncomingMessage, signal: AbortSignal): Request {
  const host = req.headers.host ?? req.socket.localAddress ?? "localhost";
  const scheme = (req.socket as { encrypted?: boolean }).encrypted ? "https" : "http";
  const headers = new Headers();
  const raw = req.rawHeaders;
  for (let i = 0; i < raw.length; i += 2) headers.append(raw[i]!, raw[i + 1]!);
  const method = req.method ?? "GET";
  const init: RequestInit & { duplex?: "half" } = { method, headers, signal };
  if (method !== "GET" && method !== "HEAD") {
    init.body = Readable.toWeb(req) as unknown as ReadableStream<Uint8Array>;
    init.duplex = "half";
  }
  return new Request(`${scheme}://${host}${req.url ?? "/"}`, init);
}

/** Writes a web `Response` to a Node response. */
export async function writeWebResponse(response: Response, res: ServerResponse): Promise<void> {
  res.statusCode = response.status;
  if (response.statusText) res.statusMessage = response.statusText;
  for (const [name, value] of response.headers) {
    if (name !== "set-cookie") res.setHeader(name, value);
  }
  const cookies = response.headers.getSetCookie();
  if (cookies.length) res.setHeader("set-cookie", cookies);
  const body = response.body as WebReadableStream<Uint8Array> | null;
  if (!body) {
    res.end();
    return;
  }
  const reader = body.getReader();
  const onClose = (): void => {
    reader.cancel().catch(() => undefined);
  };
  res.once("close", onClose);
  try {
    for (;;) {
      const { done, value } = await reader.read();
      if (done) break;
      if (res.destroyed) return;
      if (!res.write(value)) {
        await new Promise<void>((resolve) => {
          const go = (): void => {
            res.off("drain", go);
            res.off("close", go);
            resolve();
          };
          res.on("drain", go);
          res.on("close", go);
        });
      }
    }
    res.end();
  } finally {
    res.off("close", onClose);
  }
}

/**
 * Adapts a fetch-style handler to a Node listener.
 * @example
 * ```ts
 * http.createServer(fetchListener((req) => new Response(`hello ${new URL(req.url).pathname}`)));
 * ```
 */
export function fetchListener(handler: FetchHandler): (req: IncomingMessage, res: ServerResponse) => Promise<void> {
  return async (req, res) => {
    const abort = new AbortController();
    res.once("close", () => {
      if (!res.writableFinished) abort.abort();
    });
    const response = await handler(toWebRequest(req, abort.signal));
    if (!(response instanceof Response)) {
      throw new TypeError(`the fetch handler returned ${response === undefined ? "undefined" : typeof response}, not a Response`);
    }
    await writeWebResponse(response, res);
  };
}
