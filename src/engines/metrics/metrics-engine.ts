/**
 * Metric values in memory shared by every process of an instance: one signed 64-bit slot per
 * declared metric after a small header, written under one global mutex, read lock-free with
 * `Atomics`. The metric list itself is per process: every process builds it from the same
 * {@link MetricSpec}s, in the same order.
 * @module
 */
import { UwsgiError } from "../../errors.js";
import { describe } from "../../core/bytes.js";
import { type Mutex, withLock } from "../../core/mutex.js";
import type { MetricSpec, MetricType } from "./metric-options.js";

/** A number the metric API accepts: an integer `number` or a `bigint`, within int64. */
export type MetricOperand = number | bigint;

/** One metric as the stats server reports it. */
export interface MetricSnapshot {
  readonly name: string;
  readonly type: MetricType;
  /** The metric's oid (an alias shows its target's), "" when none. */
  readonly oid: string;
  readonly value: bigint;
}

interface Entry {
  readonly spec: MetricSpec;
  /** Slot holding the value (an alias points at its target's slot). */
  readonly slot: number;
  /** Oid reported in stats (an alias reports its target's). */
  readonly oid: string;
  /** Settable through the API: no collector and not an alias. */
  readonly writable: boolean;
}

const HEADER_BYTES = 16;
const MAGIC = 0x544d5755; // "UWMT"
const INT64_MIN = -(2n ** 63n);
const INT64_MAX = 2n ** 63n - 1n;

/**
 * The metrics of one instance over a shared memory region.
 * @example
 * const specs = [parseMetricOption("jobs")];
 * const region = new SharedArrayBuffer(MetricsEngine.regionBytes(specs.length));
 * const metrics = new MetricsEngine(specs, region, new LocalMutex("metrics"), "init");
 * metrics.inc("jobs", 5);
 * metrics.get("jobs"); // 5
 */
export class MetricsEngine {
  /** Bytes of shared memory needed for `count` metrics (one slot per spec, aliases included). */
  static regionBytes(count: number): number {
    return HEADER_BYTES + 8 * count;
  }

  readonly #entries = new Map<string, Entry>();
  readonly #values: BigInt64Array;
  readonly #lock: Mutex;

  /**
   * @param specs the instance's metrics, identical (and in the same order) in every process.
   * @param region at least `regionBytes(specs.length)` bytes, shared between the processes.
   * @param lock the global metrics mutex (process-shared in the server).
   * @param mode `init` (once, in the master: writes the header and the initial values) or
   *   `attach` (every other process: checks the header matches the spec list).
   * @throws UwsgiError `UWSGI_ERR_METRIC_OPTION` for duplicate names or unknown alias/children
   *   targets; `UWSGI_ERR_SHM` when the region is too small or was set up for another metric list.
   */
  constructor(specs: readonly MetricSpec[], region: ArrayBufferLike, lock: Mutex, mode: "init" | "attach") {
    const needed = MetricsEngine.regionBytes(specs.length);
    if (region.byteLength < needed) {
      throw new UwsgiError("UWSGI_ERR_SHM", `metrics region has ${region.byteLength} bytes, ${specs.length} metric(s) need ${needed}`);
    }
    this.#lock = lock;
    this.#values = new BigInt64Array(region, HEADER_BYTES, specs.length);
    this.#index(specs);
    const header = new Uint32Array(region, 0, 3);
    const fingerprint = fingerprintOf(specs);
    if (mode === "init") {
      withLock(lock, () => {
        specs.forEach((spec, slot) => Atomics.store(this.#values, slot, spec.type === "alias" ? 0n : spec.initialValue));
        header[0] = MAGIC;
        header[1] = specs.length;
        header[2] = fingerprint;
      });
    } else if (header[0] !== MAGIC || header[1] !== specs.length || header[2] !== fingerprint) {
      throw new UwsgiError("UWSGI_ERR_SHM", "the metrics region was not initialised for this metric list (different --metric options?)");
    }
  }

  #index(specs: readonly MetricSpec[]): void {
    const slots = new Map<string, number>();
    specs.forEach((spec, slot) => {
      if (slots.has(spec.name)) throw new UwsgiError("UWSGI_ERR_METRIC_OPTION", "name", `metric "${spec.name}" is declared twice`);
      slots.set(spec.name, slot);
    });
    const byName = new Map(specs.map((s) => [s.name, s]));
    for (const spec of specs) {
      for (const child of spec.children) {
        if (!byName.has(child)) throw new UwsgiError("UWSGI_ERR_METRIC_OPTION", "children", `metric "${spec.name}" names unknown child "${child}"`);
      }
      let target = spec;
      const seen = new Set<string>();
      while (target.type === "alias") {
        if (seen.has(target.name)) throw new UwsgiError("UWSGI_ERR_METRIC_OPTION", "alias", `metric aliases loop through "${target.name}"`);
        seen.add(target.name);
        const next = byName.get(target.alias ?? "");
        if (!next) throw new UwsgiError("UWSGI_ERR_METRIC_OPTION", "alias", `metric "${spec.name}" aliases unknown metric "${target.alias}"`);
        target = next;
      }
      this.#entries.set(spec.name, {
        spec,
        slot: slots.get(target.name)!,
        oid: target.oid,
        writable: spec.collector === null && spec.type !== "alias",
      });
    }
  }

  /** True when a metric of that name exists. */
  has(name: string): boolean {
    return this.#entries.has(name);
  }

  /** Metric names in declaration order. */
  names(): string[] {
    return [...this.#entries.keys()];
  }

  /** True when the API may change the metric: it exists, has no collector and is not an alias. */
  isWritable(name: string): boolean {
    return this.#entries.get(name)?.writable ?? false;
  }

  /** Current value as a `number` (exact up to 2^53); 0 for an unknown metric. */
  get(name: string): number {
    return Number(this.getBig(name));
  }

  /** Current value, exact; 0n for an unknown metric. */
  getBig(name: string): bigint {
    const entry = this.#entries.get(name);
    return entry ? Atomics.load(this.#values, entry.slot) : 0n;
  }

  /** Sets the value (default 1). False for unknown or read-only metrics. */
  set(name: string, value: MetricOperand = 1): boolean {
    const v = toInt64(value);
    return this.#update(name, () => v);
  }

  /** Adds `delta` (default 1), wrapping around at 64 bits. */
  inc(name: string, delta: MetricOperand = 1): boolean {
    const d = toInt64(delta);
    return this.#update(name, (cur) => cur + d);
  }

  /** Subtracts `delta` (default 1), wrapping around at 64 bits. */
  dec(name: string, delta: MetricOperand = 1): boolean {
    const d = toInt64(delta);
    return this.#update(name, (cur) => cur - d);
  }

  /** Multiplies by `factor` (default 1), wrapping around at 64 bits. */
  mul(name: string, factor: MetricOperand = 1): boolean {
    const m = toInt64(factor);
    return this.#update(name, (cur) => cur * m);
  }

  /** Divides by `divisor` (default 1), truncating toward zero; dividing by 0 fails and changes nothing. */
  div(name: string, divisor: MetricOperand = 1): boolean {
    const d = toInt64(divisor);
    if (d === 0n) return false;
    return this.#update(name, (cur) => cur / d);
  }

  /** Raises the value to `value` (default 1) if that is greater. */
  setMax(name: string, value: MetricOperand = 1): boolean {
    const v = toInt64(value);
    return this.#update(name, (cur) => (v > cur ? v : cur));
  }

  /**
   * Lowers the value to `value` (default 1) if that is smaller. uWSGI only lowers when `value`
   * is also above the metric's initial value; here any smaller value is taken.
   */
  setMin(name: string, value: MetricOperand = 1): boolean {
    const v = toInt64(value);
    return this.#update(name, (cur) => (v < cur ? v : cur));
  }

  /**
   * Sets a metric whatever its collector (for built-ins the runtime maintains). False for an
   * unknown metric or an alias.
   */
  setInternal(name: string, value: MetricOperand): boolean {
    const v = toInt64(value);
    return this.#update(name, () => v, true);
  }

  /** Adds to a metric whatever its collector (for runtime-maintained counters). */
  incInternal(name: string, delta: MetricOperand = 1): boolean {
    const d = toInt64(delta);
    return this.#update(name, (cur) => cur + d, true);
  }

  /** Every metric with its current value, in declaration order (for the stats server). */
  snapshot(): MetricSnapshot[] {
    return [...this.#entries.values()].map((e) => ({
      name: e.spec.name,
      type: e.spec.type,
      oid: e.oid,
      value: Atomics.load(this.#values, e.slot),
    }));
  }

  #update(name: string, op: (current: bigint) => bigint, internal = false): boolean {
    const entry = this.#entries.get(name);
    if (!entry || !(entry.writable || (internal && entry.spec.type !== "alias"))) return false;
    withLock(this.#lock, () => {
      const current = Atomics.load(this.#values, entry.slot);
      Atomics.store(this.#values, entry.slot, BigInt.asIntN(64, op(current)));
    });
    return true;
  }
}

/**
 * Converts an API operand to a 64-bit integer.
 * @throws UwsgiError `UWSGI_ERR_INVALID_ARGUMENT` for non-integers or values outside int64.
 */
export function toInt64(value: MetricOperand, what = "metric value"): bigint {
  let v: bigint;
  if (typeof value === "bigint") v = value;
  else if (typeof value === "number" && Number.isInteger(value)) v = BigInt(value);
  else throw new UwsgiError("UWSGI_ERR_INVALID_ARGUMENT", what, `expected an integer, got ${typeof value === "number" ? value : describe(value)}`);
  if (v < INT64_MIN || v > INT64_MAX) throw new UwsgiError("UWSGI_ERR_INVALID_ARGUMENT", what, `${v} does not fit in 64 bits`);
  return v;
}

/** A 32-bit FNV-1a hash of the metric names, so an attaching process can tell a foreign region. */
function fingerprintOf(specs: readonly MetricSpec[]): number {
  let h = 0x811c9dc5;
  for (const ch of specs.map((s) => s.name).join("\n")) {
    h ^= ch.charCodeAt(0);
    h = Math.imul(h, 0x01000193) >>> 0;
  }
  return h;
}
