/**
 * The websocket functions: `websocket_handshake()` switches the current request's connection to
 * a websocket (the server's transports hand it over, see `RequestTransport.takeOver`), the
 * others talk over it ({@link WebsocketSession}). Outside a request they fail with
 * `UWSGI_ERR_NO_REQUEST`, as in uWSGI. The optional `request_context` argument (uWSGI 2.1) is
 * not supported: the current request is always the one of the calling code.
 * @module
 */
import type { UwsgiModule } from "../api.js";
import { type BytesLike, toBuffer } from "../core/bytes.js";
import { UwsgiError } from "../errors.js";
import { currentRequest, type RequestContext } from "../core/request-context.js";
import { WebsocketSession } from "../engines/websocket/websocket-session.js";

type WebsocketFunctionName = "websocket_handshake" | "websocket_recv" | "websocket_recv_nb" | "websocket_send" | "websocket_send_binary";

/** The websocket of each request that made one. */
const sessions = new WeakMap<RequestContext, WebsocketSession>();

function request(): RequestContext {
  const req = currentRequest();
  if (!req) throw new UwsgiError("UWSGI_ERR_NO_REQUEST");
  return req;
}

function sessionOf(req: RequestContext): WebsocketSession {
  const session = sessions.get(req);
  if (!session) throw new UwsgiError("UWSGI_ERR_WEBSOCKET_NONE");
  return session;
}

/** The websocket the current request opened, if any (for the testing helpers). */
export function currentWebsocket(): WebsocketSession | null {
  const req = currentRequest();
  return (req && sessions.get(req)) ?? null;
}

function optionalString(value: string | null | undefined, name: string): string | null {
  if (value === null || value === undefined) return null;
  if (typeof value !== "string") throw new UwsgiError("UWSGI_ERR_INVALID_ARGUMENT", name, `expected a string, got ${typeof value}`);
  return value;
}

/** Builds the websocket functions. */
export function websocketFunctions(): Pick<UwsgiModule, WebsocketFunctionName> {
  const call = <T>(fn: () => Promise<T>): Promise<T> => {
    try {
      return fn();
    } catch (err) {
      return Promise.reject(err);
    }
  };
  return {
    websocket_handshake: (security_key?: string | null, origin?: string | null, proto?: string | null) =>
      call(async () => {
        const req = request();
        if (sessions.has(req)) throw new UwsgiError("UWSGI_ERR_WEBSOCKET_HANDSHAKE", "this request already made its handshake");
        const env = req.env;
        const key = optionalString(security_key, "security_key") ?? env.HTTP_SEC_WEBSOCKET_KEY ?? null;
        if (!key) throw new UwsgiError("UWSGI_ERR_WEBSOCKET_HANDSHAKE", "the request has no Sec-WebSocket-Key and none was given");
        const conn = req.transport?.takeOver?.() ?? null;
        if (conn === null) throw new UwsgiError("UWSGI_ERR_WEBSOCKET_HANDSHAKE", "this request's connection cannot switch protocols (not an Upgrade request, or its response has started)");
        const session = WebsocketSession.open(conn, {
          key,
          origin: optionalString(origin, "origin") ?? env.HTTP_ORIGIN ?? null,
          protocol: optionalString(proto, "proto") ?? env.HTTP_SEC_WEBSOCKET_PROTOCOL ?? null,
        });
        sessions.set(req, session);
      }),
    websocket_recv: () => call(() => sessionOf(request()).recv()),
    websocket_recv_nb: () => call(() => sessionOf(request()).recvNb()),
    websocket_send: (message: BytesLike) => call(() => sessionOf(request()).send(toBuffer(message, "message"), false)),
    websocket_send_binary: (message: BytesLike) => call(() => sessionOf(request()).send(toBuffer(message, "message"), true)),
  };
}
