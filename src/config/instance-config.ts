/**
 * The instance's typed configuration, built from parsed options. The stub's `configure()` and the
 * server's master and children all build it from the same option strings, so every process
 * agrees on caches, locks, metrics, spoolers, mules and farms.
 * @module
 */
import { resolve } from "node:path";
import { UwsgiError } from "../errors.js";
import type { OptionSet } from "./option-set.js";
import { intValueOf, metricsEnabled, optionInt } from "./option-values.js";
import { type CacheOptions, legacyCacheOptions, parseCache2Option } from "../engines/cache/cache-options.js";
import { type MetricSpec, parseMetricOption } from "../engines/metrics/metric-options.js";
import { parseLocksOption } from "../engines/locks/lock-table.js";
import { isRedisCache2, parseRedisCache2, type RedisCacheOptions } from "../cluster/redis-cache-options.js";

/** One spooler directory and how many processes serve it. */
export interface SpoolerConfig {
  /** Absolute directory path. */
  readonly dir: string;
  /** Processes scanning this directory (the last `--spooler-processes`, as in uWSGI). */
  readonly processes: number;
  /** `--spooler-external`: a valid target, but no process of ours scans it. */
  readonly external: boolean;
}

/** One mule: a message-loop mule (`program` null) or a programmed one. */
export interface MuleConfig {
  /** 1-based id, in option order. */
  readonly id: number;
  /** Script path or `module:export` for a programmed mule; null for a message-loop mule. */
  readonly program: string | null;
}

/** A named group of mules. */
export interface FarmConfig {
  /** 1-based index, in option order (the `farmN` signal target). */
  readonly index: number;
  readonly name: string;
  readonly mules: readonly number[];
}

/** Everything the runtime needs to know about the instance. */
export interface InstanceConfig {
  readonly options: OptionSet;
  readonly processes: number;
  readonly bufferSize: number;
  readonly caches: readonly CacheOptions[];
  /** Caches whose items live in Redis (`--cache2 ...,backend=redis://...`), not in shared memory. */
  readonly redisCaches: readonly RedisCacheOptions[];
  /** Highest user lock number: locks 0..locks exist. */
  readonly locks: number;
  readonly metricsEnabled: boolean;
  readonly metrics: readonly MetricSpec[];
  readonly spoolers: readonly SpoolerConfig[];
  /** Seconds between spooler scans (`--spooler-frequency`, default 30). */
  readonly spoolerFrequency: number;
  readonly spoolerOrdered: boolean;
  readonly spoolerMaxTasks: number;
  readonly spoolerHarakiri: number;
  readonly spoolerChdir: string | null;
  /** Retries of a failing task before it moves to `<dir>/failed/` (`--spooler-max-retries`, default 10; 0 = forever). */
  readonly spoolerMaxRetries: number;
  readonly spoolerQuiet: boolean;
  /** `--spooler-import` modules (absolute paths). */
  readonly spoolerImports: readonly string[];
  readonly mules: readonly MuleConfig[];
  readonly farms: readonly FarmConfig[];
  /** RPC table size per process (`--rpc-max`, default 64). */
  readonly rpcMax: number;
  /** `--socket-timeout` in seconds (default 4), used by network clients. */
  readonly socketTimeout: number;
}

function spoolers(options: OptionSet, cwd: string): SpoolerConfig[] {
  // The last --spooler-processes applies to every --spooler, wherever it stands (probe of uWSGI
  // 2.0.21: `--spooler a --spooler b --spooler-processes 2` spawns two per directory, and
  // `--spooler-processes 3 --spooler a --spooler-processes 1 --spooler b` one per directory).
  const out: SpoolerConfig[] = [];
  let processes = 1;
  for (const { name, value } of options.entries) if (name === "spooler-processes") processes = intValueOf(name, value, 1);
  for (const { name, value } of options.entries) {
    if (name === "spooler" || name === "spooler-external") {
      if (value === true || value.trim() === "") throw new UwsgiError("UWSGI_ERR_OPTION_VALUE", name, "a directory is required");
      out.push({ dir: resolve(cwd, value), processes, external: name === "spooler-external" });
    }
  }
  return out;
}

function mules(options: OptionSet): MuleConfig[] {
  const out: MuleConfig[] = [];
  for (const { name, value } of options.entries) {
    if (name === "mules") {
      const n = intValueOf(name, value, 0);
      for (let i = 0; i < n; i++) out.push({ id: out.length + 1, program: null });
    } else if (name === "mule") {
      out.push({ id: out.length + 1, program: value === true || value.trim() === "" ? null : value });
    }
  }
  return out;
}

function farms(options: OptionSet, muleCount: number): FarmConfig[] {
  return options.all("farm").map((value, i) => {
    const text = value === true ? "" : value;
    const colon = text.indexOf(":");
    const name = colon > 0 ? text.slice(0, colon) : "";
    const ids = colon > 0 ? text.slice(colon + 1).split(",").map((s) => s.trim()) : [];
    if (!name || ids.length === 0 || ids.some((s) => !/^\d+$/.test(s))) {
      throw new UwsgiError("UWSGI_ERR_OPTION_VALUE", "farm", `expected NAME:ID[,ID...], got ${JSON.stringify(text)}`);
    }
    const mulesOfFarm = ids.map(Number);
    const unknown = mulesOfFarm.find((id) => id < 1 || id > muleCount);
    if (unknown !== undefined) throw new UwsgiError("UWSGI_ERR_OPTION_VALUE", "farm", `farm ${name} names mule ${unknown}, but only ${muleCount} mule(s) are configured`);
    return { index: i + 1, name, mules: mulesOfFarm };
  });
}

function caches(options: OptionSet): { local: CacheOptions[]; redis: RedisCacheOptions[] } {
  const out: CacheOptions[] = [];
  const redis: RedisCacheOptions[] = [];
  // The legacy --cache is created first, so it is the default cache (uWSGI does the same).
  if (options.has("cache")) {
    const items = optionInt(options, "cache", 0, 1);
    const store = options.get("cache-store");
    out.push(legacyCacheOptions(items, {
      blocksize: optionInt(options, "cache-blocksize", 65536, 1),
      store: typeof store === "string" ? store : null,
      storeSync: optionInt(options, "cache-store-sync", 0, 0),
    }));
  }
  for (const value of options.all("cache2")) {
    if (value === true) throw new UwsgiError("UWSGI_ERR_OPTION_VALUE", "cache2", "a cache description (name=...,items=...) is required");
    if (isRedisCache2(value)) redis.push(parseRedisCache2(value));
    else out.push(parseCache2Option(value));
  }
  const seen = new Set<string>();
  for (const c of [...out, ...redis]) {
    if (seen.has(c.name)) throw new UwsgiError("UWSGI_ERR_OPTION_VALUE", "cache2", `cache "${c.name}" is declared twice`);
    seen.add(c.name);
  }
  return { local: out, redis };
}

/**
 * Builds the typed configuration from parsed options.
 * @param cwd directory relative paths are resolved against (the `--chdir` target in the server).
 * @throws UwsgiError naming the option whose value is wrong.
 */
export function buildInstanceConfig(options: OptionSet, cwd: string = process.cwd()): InstanceConfig {
  const muleList = mules(options);
  const metricSpecs = options.all("metric").map((v) => {
    if (v === true) throw new UwsgiError("UWSGI_ERR_OPTION_VALUE", "metric", "a metric name is required");
    return parseMetricOption(v);
  });
  const chdir = options.get("spooler-chdir");
  const cacheConfig = caches(options);
  return {
    options,
    processes: optionInt(options, "processes", 1, 1),
    bufferSize: optionInt(options, "buffer-size", 4096, 1),
    caches: cacheConfig.local,
    redisCaches: cacheConfig.redis,
    locks: parseLocksOption(typeof options.get("locks") === "string" ? (options.get("locks") as string) : undefined),
    // A --metric line enables metrics too: declaring a metric and finding it disabled helps nobody.
    // --enable-metrics, or any option implying it (--metric, --metrics-dir ...), as uWSGI's UWSGI_OPT_METRICS
    metricsEnabled: metricsEnabled(options) || metricSpecs.length > 0,
    metrics: metricSpecs,
    spoolers: spoolers(options, cwd),
    spoolerFrequency: optionInt(options, "spooler-frequency", 30, 1),
    spoolerOrdered: options.has("spooler-ordered"),
    spoolerMaxTasks: optionInt(options, "spooler-max-tasks", 0, 0),
    spoolerHarakiri: optionInt(options, "spooler-harakiri", 0, 0),
    spoolerChdir: typeof chdir === "string" ? resolve(cwd, chdir) : null,
    spoolerMaxRetries: optionInt(options, "spooler-max-retries", 10, 0),
    spoolerQuiet: options.has("spooler-quiet"),
    spoolerImports: options.all("spooler-import").map((v) => {
      if (v === true || v.trim() === "") throw new UwsgiError("UWSGI_ERR_OPTION_VALUE", "spooler-import", "a module file is required");
      return resolve(cwd, v);
    }),
    mules: muleList,
    farms: farms(options, muleList.length),
    rpcMax: optionInt(options, "rpc-max", 64, 1),
    socketTimeout: optionInt(options, "socket-timeout", 4, 1),
  };
}
