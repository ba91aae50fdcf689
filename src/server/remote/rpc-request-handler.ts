/**
 * The server side of uWSGI's RPC protocol (modifier1 173): runs the named function (of this
 * process's registry, else of another process of the instance that registered it) and writes its
 * result back. modifier2 0 replies with a header (values over 64 KiB use the `CONTENT_LENGTH`
 * form), 1 with the raw value, 2 answers an HTTP request whose PATH_INFO is `/func/arg1/arg2`. Unknown functions and empty results get no reply, as in uWSGI.
 * An empty request with modifier2 75 keeps the connection for further calls, each of which is
 * answered, a miss too (see protocol/rpc-keepalive.ts).
 * @module
 */
import { Buffer } from "node:buffer";
import type { RpcRegistry } from "../../engines/rpc/rpc-registry.js";
import type { RpcRouting } from "../../module/rpc-functions.js";
import { RpcModifier2, decodeRpcRequest, encodeRpcResponse } from "../../protocol/messages.js";
import { decodeVars, varsGet } from "../../protocol/packet.js";
import type { ModifierHandler, ModifierRequest } from "../uwsgi-protocol/modifier-handlers.js";
import { RPC_EMPTY_REPLY, RPC_FAREWELL_PACKET, RPC_KEEP, RPC_KEEP_IDLE_MS, encodeKeepAck } from "../../protocol/rpc-keepalive.js";

function httpReply(status: string, body: Buffer, contentType: string): Buffer {
  const head = `HTTP/1.0 ${status}\r\nContent-Length: ${body.length}\r\nContent-Type: ${contentType}\r\n\r\n`;
  return Buffer.concat([Buffer.from(head, "latin1"), body]);
}

/**
 * Builds the modifier1 173 handler over the registry returned by `registry`; with `routing`, a
 * function this process did not register is called in a process of the instance that did.
 */
export function createRpcRequestHandler(registry: () => RpcRegistry, routing?: () => RpcRouting | null): ModifierHandler {
  // the result now when this process's function returns synchronously: such a call costs no promise
  const invoke = (func: Buffer, args: Buffer[]): Buffer | null | Promise<Buffer | null> => {
    const table = registry();
    const entry = table.find(func);
    if (entry) return table.runNow(entry, args);
    const router = routing?.();
    return router ? router.call(func, args) : null;
  };
  const answer = (req: ModifierRequest, result: Buffer | null): void => {
    if (!result || result.length === 0) {
      // a kept connection answers every call; otherwise no reply, as in uWSGI
      if (req.kept) req.socket.write(RPC_EMPTY_REPLY);
      return;
    }
    req.socket.write(req.modifier2 === RpcModifier2.RAW ? result : encodeRpcResponse(result));
  };
  const serveHttp = async (req: ModifierRequest): Promise<void> => {
    const vars = decodeVars(req.payload);
    const path = varsGet(vars, "PATH_INFO")?.toString("utf8") ?? "";
    const [func, ...args] = path.split("/").slice(1);
    if (!func) {
      req.socket.write(httpReply("500 Internal Server Error", Buffer.alloc(0), "text/plain"));
      return;
    }
    const result = await invoke(Buffer.from(decodeURIComponent(func)), args.map((a) => Buffer.from(decodeURIComponent(a))));
    const accept = varsGet(vars, "HTTP_ACCEPT")?.toString("latin1");
    const type = accept && accept !== "*" && accept !== "*/*" ? accept : "application/binary";
    req.socket.write(result ? httpReply("200 OK", result, type) : httpReply("404 Not Found", Buffer.alloc(0), "text/plain"));
  };
  return (req) => {
    if (req.modifier2 === RpcModifier2.HTTP) return serveHttp(req);
    if (req.modifier2 === RPC_KEEP && req.payload.length === 0 && req.keepOpen) {
      // a uwsgi-node client asks to keep the connection for its next calls (protocol/rpc-keepalive.ts)
      req.keepOpen(RPC_KEEP_IDLE_MS, RPC_FAREWELL_PACKET);
      req.socket.write(encodeKeepAck(RPC_KEEP_IDLE_MS));
      return;
    }
    const { func, args } = decodeRpcRequest(req.payload);
    const result = invoke(func, args);
    if (result instanceof Promise) return result.then((value) => answer(req, value));
    answer(req, result);
  };
}
