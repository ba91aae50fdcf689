/**
 * Functions about the current request (`env`, `cl`, `add_var`, log variables, `disconnect`,
 * chunked input, the connection's descriptor), read from the AsyncLocalStorage request context.
 * @module
 */
import { Buffer } from "node:buffer";
import type { UwsgiModule } from "../api.js";
import { UwsgiError } from "../errors.js";
import { socketFd } from "../core/node-internals.js";
import { currentRequest, type RequestContext } from "../core/request-context.js";

type RequestFunctionName =
  | "cl" | "connection_fd" | "disconnect" | "add_var" | "set_logvar" | "get_logvar" | "log_this_request"
  | "chunked_read" | "chunked_read_nb" | "ready_fd" | "request_id";

function request(): RequestContext {
  const req = currentRequest();
  if (!req) throw new UwsgiError("UWSGI_ERR_NO_REQUEST");
  return req;
}

/** The current request's variables (with `add_var` additions), or `{}` outside a request. */
export function requestEnv(): Record<string, string> {
  const req = currentRequest();
  if (!req) return {};
  if (req.addedVars.size === 0) return req.env;
  return { ...req.env, ...Object.fromEntries(req.addedVars) };
}

/** Builds the request functions. `bufferSize` bounds what `add_var` may add, as in uWSGI. */
export function requestFunctions(bufferSize: () => number): Pick<UwsgiModule, RequestFunctionName> {
  async function readChunk(timeoutMs: number): Promise<Buffer | null> {
    const req = request();
    const read = req.transport?.readRaw;
    if (!read) throw new UwsgiError("UWSGI_ERR_NOT_IMPLEMENTED", "chunked input", "this request's transport does not expose body reads");
    return read.call(req.transport, 65536, timeoutMs);
  }
  return {
    cl: () => currentRequest()?.contentLength ?? 0,
    connection_fd: () => socketFd(currentRequest()?.socket),
    request_id: () => currentRequest()?.requestId ?? 0,
    disconnect(): void {
      const req = request();
      if (req.transport) req.transport.disconnect();
      else req.socket?.destroy();
    },
    add_var(name: string, value: string): boolean {
      const req = request();
      const size = [...Object.entries(req.env), ...req.addedVars].reduce((n, [k, v]) => n + 4 + Buffer.byteLength(k) + Buffer.byteLength(v), 0);
      if (size + 4 + Buffer.byteLength(name) + Buffer.byteLength(value) > bufferSize()) {
        throw new UwsgiError("UWSGI_ERR_INVALID_ARGUMENT", "add_var", `the request variables would exceed the buffer size (${bufferSize()} bytes)`);
      }
      req.addedVars.set(String(name), String(value));
      return true;
    },
    set_logvar(name: string, value: string): void {
      request().logvars.set(String(name), Buffer.from(String(value)));
    },
    get_logvar: (name) => request().logvars.get(String(name)) ?? null,
    log_this_request(): void {
      request().forceLog = true;
    },
    chunked_read: async (timeout = 0) => (await readChunk(timeout > 0 ? timeout * 1000 : -1)) ?? Buffer.alloc(0),
    chunked_read_nb: () => readChunk(0),
    ready_fd(): boolean {
      const sock = currentRequest()?.socket;
      return !!sock && sock.readable && sock.readableLength > 0;
    },
  };
}
