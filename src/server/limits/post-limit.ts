/**
 * `--limit-post` on HTTP sockets: a request announcing a larger body (`Content-Length`) is
 * answered 413 and its connection closed before the app sees it; a chunked body is counted as it
 * arrives and, past the limit, the request is destroyed with UWSGI_ERR_BODY_TOO_LARGE (413 if
 * nothing was answered yet). Applied only when the option is set: without it, requests pay
 * nothing. (On uwsgi sockets CONTENT_LENGTH is always known; the protocol server refuses there.)
 * @module
 */
import type { IncomingMessage, RequestListener, ServerResponse } from "node:http";
import { UwsgiError } from "../../errors.js";
import type { RateLimitedLog } from "../../core/rate-limited-log.js";

const BODY = "Request Entity Too Large";

function refuse(res: ServerResponse): void {
  if (res.headersSent) {
    res.socket?.destroy();
    return;
  }
  res.writeHead(413, { "Content-Type": "text/plain", "Content-Length": BODY.length, Connection: "close" });
  res.end(BODY);
}

/**
 * Wraps `listener` with the body limit.
 * @example
 * ```ts
 * http.on("request", withPostLimit(app, 1 << 20, log));
 * ```
 */
export function withPostLimit(listener: RequestListener, limit: number, log: RateLimitedLog): RequestListener {
  return (req: IncomingMessage, res: ServerResponse): void => {
    const declared = req.headers["content-length"];
    if (declared !== undefined && Number(declared) > limit) {
      log.line("limit-post", `http: Invalid (too big) Content-Length ${declared} (--limit-post ${limit}) for ${req.method} ${JSON.stringify(req.url)}: 413`);
      refuse(res);
      return;
    }
    if (declared === undefined && req.headers["transfer-encoding"] !== undefined) {
      let received = 0;
      const push = req.push;
      req.push = function (chunk: unknown, encoding?: BufferEncoding): boolean {
        if (chunk !== null && (chunk as Buffer).length !== undefined) {
          received += (chunk as Buffer).length;
          if (received > limit) {
            req.push = push;
            log.line("limit-post", `http: chunked request body past --limit-post ${limit} for ${req.method} ${JSON.stringify(req.url)}: aborted`);
            const error = new UwsgiError("UWSGI_ERR_BODY_TOO_LARGE", limit);
            if (res.headersSent) {
              req.destroy(error);
            } else {
              // the 413 goes out first: destroying the request closes the connection
              refuse(res);
              res.once("finish", () => req.destroy(error));
            }
            return false;
          }
        }
        return push.call(this, chunk, encoding);
      };
    }
    listener(req, res);
  };
}
