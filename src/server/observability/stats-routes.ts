/**
 * The stats server's HTTP routes besides the JSON document (`--stats-http`): `/metrics` in
 * Prometheus text format.
 * @module
 */
import type { StatsHttpRoute } from "../stats/stats-server.js";
import { PROMETHEUS_CONTENT_TYPE } from "./prometheus-text.js";

/** Where the routes get their content. */
export interface StatsRouteSources {
  /** The `/metrics` body. */
  prometheus(): string;
}

/** The routes, for `startStatsServer`'s `routes` option. */
export function statsHttpRoutes(sources: StatsRouteSources): Record<string, StatsHttpRoute> {
  return {
    "/metrics": () => ({ contentType: PROMETHEUS_CONTENT_TYPE, body: sources.prometheus() }),
  };
}
