/**
 * The websocket functions. uwsgi-node does not implement uWSGI's websocket API yet: inside a
 * request they fail with `UWSGI_ERR_NOT_IMPLEMENTED`, outside one with `UWSGI_ERR_NO_REQUEST`
 * (as uWSGI does). Node apps can use the `ws` package on the HTTP server meanwhile.
 * @module
 */
import type { UwsgiModule } from "../api.js";
import { UwsgiError } from "../errors.js";
import { currentRequest } from "../core/request-context.js";

type WebsocketFunctionName = "websocket_handshake" | "websocket_recv" | "websocket_recv_nb" | "websocket_send" | "websocket_send_binary";

function unavailable(name: string): Promise<never> {
  if (!currentRequest()) return Promise.reject(new UwsgiError("UWSGI_ERR_NO_REQUEST"));
  return Promise.reject(new UwsgiError("UWSGI_ERR_NOT_IMPLEMENTED", name, "uWSGI's websocket API is not implemented yet"));
}

/** Builds the websocket functions. */
export function websocketFunctions(): Pick<UwsgiModule, WebsocketFunctionName> {
  return {
    websocket_handshake: () => unavailable("websocket_handshake"),
    websocket_recv: () => unavailable("websocket_recv"),
    websocket_recv_nb: () => unavailable("websocket_recv_nb"),
    websocket_send: () => unavailable("websocket_send"),
    websocket_send_binary: () => unavailable("websocket_send_binary"),
  };
}
