/**
 * The `metric_*` functions over a {@link MetricsEngine}; with metrics disabled every getter reads 0
 * and every setter returns false, as in uWSGI.
 * @module
 */
import type { UwsgiModule } from "../api.js";
import { UwsgiError } from "../errors.js";
import type { MetricsEngine } from "../engines/metrics/metrics-engine.js";

/** Names of the functions this group provides. */
export type MetricFunctionName =
  | "metric_get" | "metric_set" | "metric_inc" | "metric_dec" | "metric_mul" | "metric_div"
  | "metric_set_max" | "metric_set_min";

function intArg(value: number): number {
  if (!Number.isInteger(value)) throw new UwsgiError("UWSGI_ERR_INVALID_ARGUMENT", "value", `expected an integer, got ${value}`);
  return value;
}

/** Builds the metric functions over the engine returned by `metrics` (null = disabled). */
export function metricFunctions(metrics: () => MetricsEngine | null): Pick<UwsgiModule, MetricFunctionName> {
  type Setter = "set" | "inc" | "dec" | "mul" | "div" | "setMax" | "setMin";
  const setter = (op: Setter) => (key: string, value = 1): boolean => metrics()?.[op](String(key), intArg(value)) ?? false;
  return {
    metric_get: (key) => metrics()?.get(String(key)) ?? 0,
    metric_set: setter("set"),
    metric_inc: setter("inc"),
    metric_dec: setter("dec"),
    metric_mul: setter("mul"),
    metric_div: setter("div"),
    metric_set_max: setter("setMax"),
    metric_set_min: setter("setMin"),
  };
}
