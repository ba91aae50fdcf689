/**
 * The stats server's HTTP routes besides the JSON document (`--stats-http`): `/metrics` in
 * Prometheus text format, and `/dashboard`, the live web dashboard (it reads the JSON document
 * from `/stats.json`, which like any other path gets the document).
 * @module
 */
import type { StatsHttpRoute } from "../stats/stats-server.js";
import { PROMETHEUS_CONTENT_TYPE } from "./prometheus-text.js";
import { DASHBOARD_HTML } from "../../observe/dashboard-page.js";

/** Where the routes get their content. */
export interface StatsRouteSources {
  /** The `/metrics` body. */
  prometheus(): string;
}

/** The routes, for `startStatsServer`'s `routes` option. */
export function statsHttpRoutes(sources: StatsRouteSources): Record<string, StatsHttpRoute> {
  return {
    "/metrics": () => ({ contentType: PROMETHEUS_CONTENT_TYPE, body: sources.prometheus() }),
    "/dashboard": () => ({ contentType: "text/html; charset=utf-8", body: DASHBOARD_HTML }),
  };
}
