/**
 * Metric declarations: the `--metric` option (a bare name or uWSGI's key=value form) and the
 * {@link MetricSpec} every process builds its {@link MetricsEngine} from.
 * @module
 */
import { UwsgiError } from "../../errors.js";
import { parseKeyValList } from "./keyval-list.js";

/** How a metric's value is meant to be read (reported in stats; no effect on arithmetic). */
export type MetricType = "counter" | "gauge" | "absolute" | "alias";

/** Collectors a `--metric` line may name: uWSGI's, minus the C-only `ptr` and `func`. */
export const METRIC_COLLECTORS = ["file", "sum", "avg", "accumulator", "adder", "multiplier"] as const;

/**
 * Pseudo-collector for built-in metrics the runtime maintains itself (`core.*`, `worker.N.*`)
 * through {@link MetricsEngine.setInternal}: read-only to the API, skipped by the collector.
 * Not accepted in a `--metric` line.
 */
export const RUNTIME_COLLECTOR = "runtime";

/** One declared metric. */
export interface MetricSpec {
  /** Unique name, `[0-9A-Za-z._-]+`. */
  readonly name: string;
  /** SNMP-style oid (digits and dots), or "" when none was given. */
  readonly oid: string;
  readonly type: MetricType;
  /** Starting value; collected metrics are `initialValue + collector()`. */
  readonly initialValue: bigint;
  /** One of {@link METRIC_COLLECTORS}, {@link RUNTIME_COLLECTOR}, or null (set through the API). */
  readonly collector: string | null;
  /** Seconds between collections (at least 1). */
  readonly freq: number;
  readonly arg1: string | null;
  readonly arg2: string | null;
  readonly arg3: string | null;
  readonly arg1n: bigint;
  readonly arg2n: bigint;
  readonly arg3n: bigint;
  /** Names of the metrics the sum/avg/accumulator/adder/multiplier collectors read. */
  readonly children: readonly string[];
  /** For type `alias`: the metric whose value this one shows. */
  readonly alias: string | null;
  /** Reset to the initial value after a pusher shipped the value (kept for pushers). */
  readonly resetAfterPush: boolean;
}

const KEYS = [
  "name", "oid", "type", "initial_value", "collector", "freq", "arg1", "arg2", "arg3",
  "arg1n", "arg2n", "arg3n", "children", "alias", "reset_after_push",
] as const;

const NAME = /^[0-9A-Za-z._-]+$/;
const OID = /^[0-9.]*$/;
const INT64_MIN = -(2n ** 63n);
const INT64_MAX = 2n ** 63n - 1n;

/** Stats type code of a metric type (counter 0, gauge 1, absolute 2, alias 3), as uWSGI reports it. */
export function metricTypeCode(type: MetricType): number {
  return ["counter", "gauge", "absolute", "alias"].indexOf(type);
}

/**
 * Builds a spec with defaults for everything not given, validating it like a `--metric` line
 * (the runtime uses it for built-in metrics, which may also use {@link RUNTIME_COLLECTOR}).
 * @throws UwsgiError `UWSGI_ERR_METRIC_OPTION` naming the bad field.
 * @example
 * defineMetric("core.routed_signals", { oid: "5.1", collector: RUNTIME_COLLECTOR });
 */
export function defineMetric(name: string, fields: Partial<Omit<MetricSpec, "name">> = {}): MetricSpec {
  const spec: MetricSpec = {
    name,
    oid: "",
    type: "counter",
    initialValue: 0n,
    collector: null,
    freq: 1,
    arg1: null,
    arg2: null,
    arg3: null,
    arg1n: 0n,
    arg2n: 0n,
    arg3n: 0n,
    children: [],
    alias: null,
    resetAfterPush: false,
    ...fields,
  };
  checkSpec(spec);
  return spec;
}

/**
 * Parses one `--metric` value: a bare name (`requests.ok`) or
 * `name=..,oid=..,type=counter|gauge|absolute|alias,initial_value=..,collector=..,freq=..,
 * arg1=..,arg2=..,arg3=..,arg1n=..,arg2n=..,arg3n=..,children=a;b,alias=other,reset_after_push=1`.
 *
 * Stricter than uWSGI, which silently turns an unknown type into a counter and ignores unknown
 * keys and non-numeric numbers: here each of these is an error naming the key.
 * @throws UwsgiError `UWSGI_ERR_METRIC_OPTION` naming the bad key.
 * @example
 * parseMetricOption("name=jobs.done,type=gauge,initial_value=10");
 */
export function parseMetricOption(value: string): MetricSpec {
  const text = value.trim();
  if (!text.includes("=")) return defineMetric(text);
  let kv: Map<string, string>;
  try {
    kv = parseKeyValList(text, "metric", KEYS);
  } catch (err) {
    throw new UwsgiError("UWSGI_ERR_METRIC_OPTION", "syntax", err instanceof Error ? err.message : String(err));
  }
  const name = kv.get("name");
  if (name === undefined) throw new UwsgiError("UWSGI_ERR_METRIC_OPTION", "name", `a metric name is required in ${JSON.stringify(text)}`);
  const type = kv.get("type") ?? "counter";
  if (!(["counter", "gauge", "absolute", "alias"] as string[]).includes(type)) {
    throw new UwsgiError("UWSGI_ERR_METRIC_OPTION", "type", `unknown type ${JSON.stringify(type)} (counter, gauge, absolute or alias)`);
  }
  const collector = kv.get("collector") ?? null;
  if (collector !== null && !(METRIC_COLLECTORS as readonly string[]).includes(collector)) {
    const why = collector === "ptr" || collector === "func"
      ? `the "${collector}" collector reads C memory and is not available in uwsgi-node`
      : `unknown collector ${JSON.stringify(collector)} (${METRIC_COLLECTORS.join(", ")})`;
    throw new UwsgiError("UWSGI_ERR_METRIC_OPTION", "collector", why);
  }
  const freq = kv.get("freq");
  const children = kv.get("children");
  return defineMetric(name, {
    oid: kv.get("oid") ?? "",
    type: type as MetricType,
    initialValue: int64Field(kv, "initial_value"),
    collector,
    freq: freq === undefined ? 1 : Math.max(1, Number(int64Field(kv, "freq", 0n, 2n ** 32n - 1n))),
    arg1: kv.get("arg1") ?? null,
    arg2: kv.get("arg2") ?? null,
    arg3: kv.get("arg3") ?? null,
    arg1n: int64Field(kv, "arg1n"),
    arg2n: int64Field(kv, "arg2n"),
    arg3n: int64Field(kv, "arg3n"),
    children: children === undefined ? [] : children.split(";").filter((c) => c !== ""),
    alias: kv.get("alias") ?? null,
    resetAfterPush: booleanField(kv, "reset_after_push"),
  });
}

function int64Field(kv: Map<string, string>, key: string, min = INT64_MIN, max = INT64_MAX): bigint {
  const raw = kv.get(key);
  if (raw === undefined) return 0n;
  const text = raw.trim();
  if (!/^[+-]?\d+$/.test(text)) throw new UwsgiError("UWSGI_ERR_METRIC_OPTION", key, `expected an integer, got ${JSON.stringify(raw)}`);
  const n = BigInt(text);
  if (n < min || n > max) throw new UwsgiError("UWSGI_ERR_METRIC_OPTION", key, `${text} is out of range ${min}..${max}`);
  return n;
}

function booleanField(kv: Map<string, string>, key: string): boolean {
  const raw = kv.get(key);
  if (raw === undefined) return false;
  const text = raw.trim().toLowerCase();
  if (["1", "true", "yes", "on"].includes(text)) return true;
  if (["0", "false", "no", "off", ""].includes(text)) return false;
  throw new UwsgiError("UWSGI_ERR_METRIC_OPTION", key, `expected 1/0, true/false or yes/no, got ${JSON.stringify(raw)}`);
}

function checkSpec(spec: MetricSpec): void {
  if (!NAME.test(spec.name)) {
    throw new UwsgiError("UWSGI_ERR_METRIC_OPTION", "name", `${JSON.stringify(spec.name)}: names may contain only 0-9 A-Z a-z . _ -`);
  }
  if (!OID.test(spec.oid)) throw new UwsgiError("UWSGI_ERR_METRIC_OPTION", "oid", `${JSON.stringify(spec.oid)}: oids may contain only digits and dots`);
  if (spec.type === "alias" && !spec.alias) {
    throw new UwsgiError("UWSGI_ERR_METRIC_OPTION", "alias", `metric alias "${spec.name}" requires alias=<metric>`);
  }
  if (spec.alias === spec.name) throw new UwsgiError("UWSGI_ERR_METRIC_OPTION", "alias", `metric "${spec.name}" cannot alias itself`);
  if (spec.collector !== null && spec.collector !== RUNTIME_COLLECTOR && !(METRIC_COLLECTORS as readonly string[]).includes(spec.collector)) {
    throw new UwsgiError("UWSGI_ERR_METRIC_OPTION", "collector", `unknown collector ${JSON.stringify(spec.collector)}`);
  }
  if (!Number.isInteger(spec.freq) || spec.freq < 1) throw new UwsgiError("UWSGI_ERR_METRIC_OPTION", "freq", `expected an integer >= 1, got ${spec.freq}`);
  if (spec.initialValue < INT64_MIN || spec.initialValue > INT64_MAX) {
    throw new UwsgiError("UWSGI_ERR_METRIC_OPTION", "initial_value", `${spec.initialValue} does not fit in 64 bits`);
  }
}
