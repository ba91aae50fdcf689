/**
 * What a failed exchange with another node means to a caller: a node that answered "no" (closed
 * without a reply, uWSGI's miss) is a miss (`null`/`false`); a node that could not be reached or
 * did not answer within `--socket-timeout` is an error, so "missing" and "unreachable" can be
 * told apart (uWSGI returns None for both; see docs/differences.md).
 * @module
 */
import { UwsgiError } from "../errors.js";
import type { ExchangeResult } from "./uwsgi-exchange.js";

/**
 * Throws for an unreachable or silent node; returns for a reply or a miss.
 * @throws UwsgiError UWSGI_ERR_REMOTE_UNREACHABLE naming the address and why.
 */
export function throwIfUnreachable(address: string, reply: ExchangeResult<unknown>): void {
  if (reply.ok || (reply.reason !== "unreachable" && reply.reason !== "timeout")) return;
  const why = reply.error instanceof Error ? reply.error.message : reply.reason === "timeout" ? "no answer within --socket-timeout" : String(reply.error ?? "");
  throw new UwsgiError("UWSGI_ERR_REMOTE_UNREACHABLE", address, reply.reason, why);
}
