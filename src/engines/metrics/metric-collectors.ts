/**
 * The metric collectors the master runs periodically: `file`, `sum`, `avg`, `accumulator`,
 * `adder` and `multiplier` (uWSGI's set minus the C-only `ptr` and `func`). A collected metric's
 * value is `initial_value + collector()`, wrapped to 64 bits.
 * @module
 */
import { Buffer } from "node:buffer";
import { readSync, openSync, closeSync } from "node:fs";
import type { Clock } from "../../core/clock.js";
import type { MetricsEngine } from "./metrics-engine.js";
import { RUNTIME_COLLECTOR, type MetricSpec } from "./metric-options.js";

/** Reads a file for the `file` collector; null (or a throw) when it cannot be read. */
export type MetricFileReader = (path: string) => Buffer | string | null;

/** uWSGI reads at most this many bytes of a `file` collector's file. */
const FILE_READ_LIMIT = 4096;

/** Reads the first 4 KiB of `path`, as uWSGI's `file` collector does. */
export const readMetricFile: MetricFileReader = (path) => {
  const fd = openSync(path, "r");
  try {
    const buf = Buffer.alloc(FILE_READ_LIMIT);
    return buf.subarray(0, readSync(fd, buf, 0, FILE_READ_LIMIT, 0));
  } finally {
    closeSync(fd);
  }
};

/**
 * The integer at whitespace-separated position `index` (0-based) of `text`, parsed like C's
 * `strtoll` (leading sign and digits; clamped to int64); 0 when there is no such token or it
 * does not start with a number. Probe: `"42 7"` index 0 gives 42.
 */
export function fileMetricValue(text: string, index: bigint | number): bigint {
  const tokens = text.slice(0, FILE_READ_LIMIT).split(/[ \t\r\n\0]+/).filter((t) => t !== "");
  const i = Number(index);
  const token = Number.isInteger(i) && i >= 0 ? tokens[i] : undefined;
  const m = token === undefined ? null : /^[+-]?\d+/.exec(token);
  if (!m) return 0n;
  const v = BigInt(m[0]);
  const max = 2n ** 63n - 1n;
  return v > max ? max : v < -max - 1n ? -max - 1n : v;
}

/**
 * Runs the collector of every collected metric once, in declaration order (a parent declared
 * after its children sees their fresh values), whatever its `freq`.
 * @param specs the same specs the engine was built from.
 * @param readFile file reader for the `file` collector (default: first 4 KiB from disk).
 * @returns names of the metrics whose value changed.
 * @example
 * setInterval(() => collectMetrics(metrics, specs), 1000);
 */
export function collectMetrics(engine: MetricsEngine, specs: readonly MetricSpec[], readFile: MetricFileReader = readMetricFile): string[] {
  return collectWhere(engine, specs, readFile, () => true);
}

/**
 * Collects each metric every `freq` seconds of a clock: the master calls {@link tick} about
 * once a second; the first tick collects everything.
 */
export class MetricsCollector {
  readonly #last = new Map<string, number>();

  constructor(
    private readonly engine: MetricsEngine,
    private readonly specs: readonly MetricSpec[],
    private readonly clock: Clock,
    private readonly readFile: MetricFileReader = readMetricFile,
  ) {}

  /** Collects the metrics whose period has elapsed; returns the names whose value changed. */
  tick(): string[] {
    const now = this.clock.nowMs();
    return collectWhere(this.engine, this.specs, this.readFile, (spec) => {
      const last = this.#last.get(spec.name);
      if (last !== undefined && now - last < spec.freq * 1000 && now >= last) return false;
      this.#last.set(spec.name, now);
      return true;
    });
  }
}

function collectWhere(engine: MetricsEngine, specs: readonly MetricSpec[], readFile: MetricFileReader, due: (spec: MetricSpec) => boolean): string[] {
  const changed: string[] = [];
  for (const spec of specs) {
    if (spec.collector === null || spec.collector === RUNTIME_COLLECTOR || spec.type === "alias" || !due(spec)) continue;
    const before = engine.getBig(spec.name);
    const value = BigInt.asIntN(64, spec.initialValue + collect(spec, before, engine, readFile));
    if (value !== before) {
      engine.setInternal(spec.name, value);
      changed.push(spec.name);
    }
  }
  return changed;
}

function collect(spec: MetricSpec, current: bigint, engine: MetricsEngine, readFile: MetricFileReader): bigint {
  const children = spec.children.map((c) => engine.getBig(c));
  const sum = children.reduce((a, b) => a + b, 0n);
  switch (spec.collector) {
    case "file":
      return spec.arg1 === null ? 0n : fileMetricValue(readText(readFile, spec.arg1), spec.arg1n);
    case "sum":
      return sum;
    case "avg":
      return children.length === 0 ? 0n : BigInt.asIntN(64, sum) / BigInt(children.length);
    case "accumulator":
      return current + sum;
    case "adder":
      return sum + spec.arg1n;
    case "multiplier":
      return sum * spec.arg1n;
    default:
      return 0n;
  }
}

function readText(readFile: MetricFileReader, path: string): string {
  try {
    const data = readFile(path);
    return data === null ? "" : typeof data === "string" ? data : data.toString("latin1");
  } catch {
    return "";
  }
}
