/**
 * `uwsgi.route(name, args)`: runs one internal-routing action on the current request at once,
 * as uWSGI's `uwsgi_route_api_func`, and returns its code (0 NEXT, 1 CONTINUE, 2 BREAK). An
 * action uwsgi-node does not provide returns -1, as uWSGI's unknown router does; bad arguments
 * throw `UWSGI_ERR_ROUTE`. Outside a request: `UWSGI_ERR_NO_REQUEST`. Also builds the
 * {@link RouteRequest} of a request, which the server's `--route` table uses too.
 * @module
 */
import type { UwsgiModule } from "../api.js";
import { Buffer } from "node:buffer";
import { UwsgiError } from "../errors.js";
import { currentRequest, type RequestContext } from "../core/request-context.js";
import { isRouteAction, parseRouteAction, type RouteRequest } from "../engines/routing/route-actions.js";

/** What routing actions reach outside the request. */
export interface RouteHooks {
  log(line: string): void;
  raiseSignal(num: number): void;
  raiseAlarm(name: string, message: string): void;
}

/** The {@link RouteRequest} of request `ctx`. */
export function routeRequestOf(ctx: RequestContext, hooks: RouteHooks): RouteRequest {
  const response = ctx.transport?.routeResponse?.();
  const noResponse = (): never => {
    throw new UwsgiError("UWSGI_ERR_NOT_IMPLEMENTED", "this routing action", "this request's transport has no response to act on");
  };
  return {
    env: ctx.env,
    setLogvar: (name, value) => ctx.logvars.set(name, Buffer.from(value)),
    doNotLog: () => {
      ctx.skipLog = true;
    },
    log: (line) => hooks.log(line),
    addHeader: (name, value) => (response ? response.addHeader(name, value) : noResponse()),
    respond: (status, reason, headers, body) => (response ? response.respond(status, reason, headers, body) : noResponse()),
    close: () => (response ? response.close() : noResponse()),
    rewrite: (url) => (response ? response.rewrite(url) : noResponse()),
    raiseSignal: (num) => hooks.raiseSignal(num),
    raiseAlarm: (name, message) => hooks.raiseAlarm(name, message),
  };
}

/** Builds `route`. */
export function routeFunctions(hooks: RouteHooks): Pick<UwsgiModule, "route"> {
  return {
    route(name: string, args_str = ""): number {
      const ctx = currentRequest();
      if (!ctx) throw new UwsgiError("UWSGI_ERR_NO_REQUEST");
      if (typeof name !== "string" || !isRouteAction(name)) return -1;
      const action = parseRouteAction(name, String(args_str ?? ""));
      return action.run(routeRequestOf(ctx, hooks), []);
    },
  };
}
