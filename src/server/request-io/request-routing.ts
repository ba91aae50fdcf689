/**
 * The worker's side of `--route` and friends: the table compiled once at start, run on every
 * request before the app (engines/routing/route-table.ts) with the request's
 * {@link routeRequestOf} (log lines, signals and alarms through the worker's `uwsgi` module).
 * Nothing is added to a request's path when no routing option is given.
 * @module
 */
import type { UwsgiModule } from "../../api.js";
import type { RequestContext } from "../../core/request-context.js";
import { RouteTable, type RouteOption } from "../../engines/routing/route-table.js";
import { routeRequestOf, type RouteHooks } from "../../module/route-functions.js";

/**
 * The routing step of a worker's requests, or null without routing options.
 * @example
 * ```ts
 * const routes = requestRouting(plan.requestIo.routes, () => uwsgi);
 * if (routes && routes(ctx) === "break") return; // answered by the table
 * ```
 */
export function requestRouting(options: readonly RouteOption[], module: () => UwsgiModule): ((ctx: RequestContext) => "continue" | "break") | null {
  if (options.length === 0) return null;
  const table = RouteTable.compile(options);
  const hooks: RouteHooks = {
    log: (line) => module().log(line),
    raiseSignal: (num) => void module().signal(num).catch((err: Error) => module().log(`[uwsgi-route] signal ${num} not raised: ${err.message}`)),
    raiseAlarm: (name, message) => module().alarm(name, message),
  };
  return (ctx) => table.apply(routeRequestOf(ctx, hooks));
}
