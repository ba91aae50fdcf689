/**
 * Node runtime figures of one process (event loop delay, heap, GC, CPU), sampled for the
 * Prometheus endpoint and the dashboard. Workers send theirs with their counters; the master
 * samples its own. Started only when the instance has a stats server (`--stats`): the event
 * loop histogram and the GC observer cost nothing per request, a little per GC and one timer
 * wake-up per {@link LOOP_DELAY_RESOLUTION_MS} (the histogram's sampling timer: the only wake-up
 * the stats server adds to an idle process).
 * @module
 */
import { monitorEventLoopDelay, PerformanceObserver, type IntervalHistogram } from "node:perf_hooks";

/** GC kinds as Prometheus labels (perf_hooks `detail.kind` values). */
const GC_KINDS: Readonly<Record<number, string>> = { 1: "minor", 2: "major", 4: "incremental", 8: "weakcb" };

/** One process's runtime figures, in base units (bytes, seconds). */
export interface RuntimeSample {
  /** Event loop delay since the previous sample (seconds); 0 when no delay was recorded. */
  loopDelayP50: number;
  loopDelayP99: number;
  loopDelayMax: number;
  heapUsed: number;
  heapTotal: number;
  external: number;
  rss: number;
  /** CPU time since the process started (seconds). */
  cpuUser: number;
  cpuSystem: number;
  /** GCs since the sampler started, and the seconds they took, by kind. */
  gcCount: Record<string, number>;
  gcSeconds: Record<string, number>;
}

/**
 * Period of the event loop delay histogram's timer (ms): each sample is how late that timer fired.
 * 100 ms still records every stall of 100 ms or more and costs an idle process 10 wake-ups a second (20 ms
 * cost 50); Node's default of 10 ms would cost 100.
 */
export const LOOP_DELAY_RESOLUTION_MS = 100;

/** Samples this process's runtime; `stop()` releases the histogram and the observer. */
export class RuntimeSampler {
  readonly #loop: IntervalHistogram = monitorEventLoopDelay({ resolution: LOOP_DELAY_RESOLUTION_MS });
  readonly #gcCount: Record<string, number> = {};
  readonly #gcSeconds: Record<string, number> = {};
  readonly #observer = new PerformanceObserver((list) => {
    for (const entry of list.getEntries()) {
      const kind = GC_KINDS[((entry as { detail?: { kind?: number } }).detail)?.kind ?? 0] ?? "other";
      this.#gcCount[kind] = (this.#gcCount[kind] ?? 0) + 1;
      this.#gcSeconds[kind] = (this.#gcSeconds[kind] ?? 0) + entry.duration / 1000;
    }
  });

  constructor() {
    this.#loop.enable();
    this.#observer.observe({ entryTypes: ["gc"] });
  }

  /** The figures now; the event loop delay covers the time since the previous call. */
  sample(): RuntimeSample {
    const mem = process.memoryUsage();
    const cpu = process.cpuUsage();
    const h = this.#loop;
    const seconds = (ns: number) => (Number.isFinite(ns) ? ns / 1e9 : 0);
    const out: RuntimeSample = {
      loopDelayP50: h.count > 0 ? seconds(h.percentile(50)) : 0,
      loopDelayP99: h.count > 0 ? seconds(h.percentile(99)) : 0,
      loopDelayMax: h.count > 0 ? seconds(h.max) : 0,
      heapUsed: mem.heapUsed,
      heapTotal: mem.heapTotal,
      external: mem.external,
      rss: mem.rss,
      cpuUser: cpu.user / 1e6,
      cpuSystem: cpu.system / 1e6,
      gcCount: { ...this.#gcCount },
      gcSeconds: { ...this.#gcSeconds },
    };
    h.reset();
    return out;
  }

  stop(): void {
    this.#loop.disable();
    this.#observer.disconnect();
  }
}
