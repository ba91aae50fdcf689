/**
 * One emulated uWSGI instance living in this process: the same engines the server runs (cache
 * over plain ArrayBuffers, metrics, locks, signal table, scheduler, RPC registry), a clock that
 * tests can move, in-process signal delivery, mules and a spooler that writes and runs real
 * uWSGI spool files.
 * @module
 */
import { Buffer } from "node:buffer";
import { mkdirSync } from "node:fs";
import type { ModuleHooks } from "../module/process-context.js";
import { type Clock, ManualClock, systemClock } from "../core/clock.js";
import { LocalMutex } from "../core/mutex.js";
import { UwsgiError } from "../errors.js";
import { OptionSet } from "../config/option-set.js";
import { parseArgv } from "../config/argv-parser.js";
import { buildInstanceConfig, type FarmConfig, type InstanceConfig } from "../config/instance-config.js";
import { CacheRegistry, createLocalCache } from "../engines/cache/cache-registry.js";
import { RedisCacheSet } from "../cluster/redis-cache.js";
import { NEAR_CONTROL_BYTES, NearCache, nearEngineOptions } from "../cluster/near-cache.js";
import { NearCacheInvalidator } from "../cluster/near-cache-invalidator.js";
import { MetricsEngine } from "../engines/metrics/metrics-engine.js";
import { LockTable } from "../engines/locks/lock-table.js";
import { SignalTable } from "../engines/signals/signal-table.js";
import { SignalScheduler } from "../engines/signals/signal-scheduler.js";
import { RpcRegistry, type RpcErrorHook } from "../engines/rpc/rpc-registry.js";
import { scanSpoolDir } from "../engines/spooler/spool-scan.js";
import { retryPolicy } from "../engines/spooler/spool-attempts.js";
import type { SpoolOutcome } from "../engines/spooler/spool-task-runner.js";
import { runSpoolPass } from "../engines/spooler/spool-pass.js";
import { SignalDelivery } from "../module/signal-delivery.js";
import { SignalSourceDriver } from "../module/signal-source-driver.js";
import type { ProcessRole } from "../module/process-role.js";
import { StubMules } from "./stub-mules.js";
import { currentStubRole, runAsRole } from "./stub-role.js";

/** How `configure()` sets up the stub's clock and log. */
export interface StubSetup {
  /** `manual` (default for tests): time moves only with `advance()`. `real`: wall clock and real timers. */
  clock?: "manual" | "real";
  /** Start time of a manual clock, ms since the epoch (default: now). */
  startMs?: number;
  /** Also write log lines to stderr (default: only for the real clock). */
  echoLog?: boolean;
}

/** User-assigned callables of the module (`uwsgi.spooler = fn` ...). */
export type StubHooks = ModuleHooks;

/** What app code asked of the process (reload, stop, harakiri ...), for tests to check. */
export interface StubRequests {
  reloads: number;
  stops: number;
  accepting: boolean;
  userHarakiri: number;
  procname: string | null;
  warning: string;
}

/** Engines built from one configuration. */
interface Engines {
  caches: CacheRegistry;
  /** Redis-backed caches: the real Redis, connected on first use, closed by the next configure(). */
  redisCaches: RedisCacheSet;
  /** The near copies' invalidators (`near=N`), run in this process as the master would. */
  invalidators: NearCacheInvalidator[];
  metrics: MetricsEngine | null;
  locks: LockTable;
  /** The same locks as a spooler sees them (every call refused, as in uWSGI). */
  spoolerLocks: LockTable;
  signals: SignalTable;
  scheduler: SignalScheduler;
  rpc: RpcRegistry;
}

/** The stub's state. One instance backs the stub `uwsgi` module. */
export class StubRuntime {
  config!: InstanceConfig;
  clock: Clock = systemClock;
  #manual: ManualClock | null = null;
  engines!: Engines;
  readonly delivery: SignalDelivery;
  readonly mules: StubMules;
  readonly hooks: StubHooks = { spooler: null, mule_msg_hook: null, post_fork_hook: null, atexit: null, applications: null };
  requests: StubRequests = StubRuntime.#freshRequests();
  /** Log lines written through `uwsgi.log` and by the stub itself. */
  readonly logLines: string[] = [];
  logBytes = 0;
  #echoLog = true;
  #frequencyOverride = 0;
  #spoolTimer: NodeJS.Timeout | null = null;
  #spoolRunning: Promise<SpoolOutcome[]> | null = null;

  constructor() {
    this.delivery = new SignalDelivery(() => this.engines.signals, (msg, err) => this.log(err ? `${msg}: ${describeError(err)}` : msg));
    this.mules = new StubMules(() => this.config.mules, () => this.config.farms, () => this.hooks.mule_msg_hook, (msg, err) => this.log(`${msg}: ${describeError(err)}`));
    this.configure([], { clock: "real" });
  }

  static #freshRequests(): StubRequests {
    return { reloads: 0, stops: 0, accepting: false, userHarakiri: 0, procname: null, warning: "" };
  }

  /**
   * Rebuilds the instance from uWSGI option strings, dropping all state (cache data, handlers,
   * timers, queued messages). Option errors throw before anything is replaced.
   */
  configure(argv: readonly string[] | OptionSet, setup: StubSetup = {}): void {
    const options = argv instanceof OptionSet ? argv : parseStubArgv(argv);
    const config = buildInstanceConfig(options);
    const clock = setup.clock === "real" ? systemClock : new ManualClock(setup.startMs ?? Date.now());
    const onRpcError: RpcErrorHook = (err, name) => this.log(`[uwsgi-rpc] error in rpc function ${JSON.stringify(name.toString("latin1"))}: ${describeError(err)}`);
    const engines = StubRuntime.#buildEngines(config, clock, onRpcError, (line) => this.log(line));
    this.engines?.redisCaches.close();
    for (const i of this.engines?.invalidators ?? []) i.stop();
    this.#stopTimers();
    this.mules.clear();
    this.config = config;
    this.clock = clock;
    this.#manual = clock instanceof ManualClock ? clock : null;
    this.engines = engines;
    this.#echoLog = setup.echoLog ?? setup.clock === "real";
    this.#frequencyOverride = 0;
    this.requests = StubRuntime.#freshRequests();
    this.logLines.length = 0;
    this.logBytes = 0;
    for (const s of config.spoolers) mkdirSync(s.dir, { recursive: true, mode: 0o750 });
    this.sources.arm();
  }

  static #buildEngines(config: InstanceConfig, clock: Clock, onRpcError: RpcErrorHook, log: (line: string) => void): Engines {
    const caches = new CacheRegistry(config.caches.map((opts) => createLocalCache(opts, clock)));
    const metrics = config.metricsEnabled
      ? new MetricsEngine([...config.metrics], new ArrayBuffer(MetricsEngine.regionBytes(config.metrics.length)), new LocalMutex("metrics"), "init")
      : null;
    const mutexes = Array.from({ length: config.locks + 1 }, (_, i) => new LocalMutex(`user ${i}`));
    const locks = new LockTable(mutexes, { isSpooler: false });
    const spoolerLocks = new LockTable(mutexes, { isSpooler: true });
    // near copies expire with Redis, in real time, whatever clock the stub runs on
    const near = new Map(config.redisCaches.filter((o) => o.near > 0).map((o) => [o.name, new NearCache(createLocalCache(nearEngineOptions(o), systemClock), new ArrayBuffer(NEAR_CONTROL_BYTES))] as const));
    const invalidators = config.redisCaches.filter((o) => near.has(o.name)).map((o) => new NearCacheInvalidator(o, near.get(o.name)!, log));
    for (const i of invalidators) void i.start();
    const redisCaches = new RedisCacheSet(config.redisCaches, config.socketTimeout * 1000, log, near);
    return { caches, redisCaches, invalidators, metrics, locks, spoolerLocks, signals: new SignalTable(), scheduler: new SignalScheduler(clock), rpc: new RpcRegistry(config.rpcMax, onRpcError) };
  }

  /** The lock table as seen by the current role (spoolers may not lock). */
  locksForRole(): LockTable {
    return currentStubRole().kind === "spooler" ? this.engines.spoolerLocks : this.engines.locks;
  }

  /** Writes a log line (kept for tests; echoed to stderr with a real clock). */
  log(message: string): void {
    const line = `${message}\n`;
    this.logLines.push(message);
    if (this.logLines.length > 10_000) this.logLines.shift();
    this.logBytes += Buffer.byteLength(line);
    if (this.#echoLog) process.stderr.write(line);
  }

  // ---------------------------------------------------------------------------- signals -----

  /** Routes a raised signal: in the stub every target is this process. */
  async raise(num: number): Promise<void> {
    await new Promise<void>((resolve) => setImmediate(resolve));
    await this.deliver(num);
  }

  /**
   * Delivers signal `num` as the process its target names: `workerN`, `muleN`, `spooler`, a
   * farm's first mule; one worker (1) or mule (1) for the targets meaning any or all of them.
   * Unregistered numbers are delivered as the calling code.
   */
  deliver(num: number): Promise<void> {
    const role = this.#signalRole(num);
    return role ? runAsRole(role, () => this.delivery.deliver(num)) : this.delivery.deliver(num);
  }

  #signalRole(num: number): ProcessRole | null {
    const target = this.engines.signals.entry(num)?.parsedTarget;
    const farmMule = (farm: FarmConfig | undefined): ProcessRole | null => (farm ? { kind: "mule", id: farm.mules[0]! } : null);
    switch (target?.kind) {
      case "worker-any":
      case "workers":
      case "active-workers":
        return { kind: "worker", id: 1 };
      case "worker":
        return { kind: "worker", id: target.id };
      case "mule-any":
      case "mules":
        return { kind: "mule", id: 1 };
      case "mule":
        return { kind: "mule", id: target.id };
      case "spooler":
      case "spoolers":
        return { kind: "spooler", id: 1 };
      case "farm":
        return farmMule(this.config.farms.find((f) => f.name === target.name));
      case "farm-index":
        return farmMule(this.config.farms[target.index - 1]);
      default:
        return null;
    }
  }

  /** Timers, crons and file monitors backed by the scheduler and real file watchers. */
  readonly sources: SignalSourceDriver = new SignalSourceDriver(
    () => this.engines.scheduler,
    (num) => this.deliver(num),
    () => this.#manual === null,
  );

  /** Fires the signals that are due now; returns their numbers in firing order. */
  fireDue(): Promise<number[]> {
    return this.sources.fireDue();
  }

  /**
   * Moves a manual clock forward by `ms`, stopping at each due timer/cron so handlers see the time
   * they fired at. Returns the signals fired, in order.
   */
  async advance(ms: number): Promise<number[]> {
    const clock = this.#manual;
    if (!clock) throw new UwsgiError("UWSGI_ERR_INVALID_ARGUMENT", "advance", "the stub runs on the real clock; configure it with { clock: \"manual\" }");
    if (!(ms >= 0)) throw new UwsgiError("UWSGI_ERR_INVALID_ARGUMENT", "ms", `cannot move the clock by ${ms} ms`);
    const target = clock.nowMs() + ms;
    const fired: number[] = [];
    for (;;) {
      const next = this.engines.scheduler.nextDueMs();
      if (next === null || next > target) break;
      clock.set(Math.max(next, clock.nowMs()));
      fired.push(...(await this.fireDue()));
    }
    clock.set(target);
    fired.push(...(await this.fireDue()));
    return fired;
  }

  #stopTimers(): void {
    if (this.#spoolTimer) clearTimeout(this.#spoolTimer);
    this.#spoolTimer = null;
    this.sources.clear();
  }

  // ---------------------------------------------------------------------------- spooler -----

  /** Spooler directories (`--spooler` and `--spooler-external`), first = default target; none without them, as in the server. */
  spoolDirs(): string[] {
    return [...new Set(this.config.spoolers.map((s) => s.dir))];
  }

  /** Called after a task is queued: with the real clock the spooler runs soon, as in uWSGI. */
  notifySpooler(): void {
    this.#armSpoolTimer(0);
  }

  /**
   * With the real clock, runs a spooler pass in `ms`. While tasks remain afterwards (retries, a
   * later `at`), another pass follows every spooler frequency, as uWSGI's spooler rescans.
   */
  #armSpoolTimer(ms: number): void {
    if (this.#manual) return;
    if (this.#spoolTimer) {
      if (ms > 0) return;
      clearTimeout(this.#spoolTimer);
    }
    const config = this.config;
    this.#spoolTimer = setTimeout(() => {
      this.#spoolTimer = null;
      void this.runSpooler().then(() => {
        if (this.config !== config) return;
        // Tasks still due were kept for retry: the next pass comes a scan period later, or when
        // a later task (`at`, a retry backing off) becomes due, whichever is first.
        const now = this.clock.nowMs();
        let wait: number | null = null;
        for (const dir of this.#servedSpoolDirs()) {
          const scan = scanSpoolDir(dir, now);
          if (scan.due.length > 0) wait = Math.min(wait ?? Infinity, this.spoolerFrequency() * 1000);
          if (scan.nextDueMs !== null) wait = Math.min(wait ?? Infinity, this.spoolerFrequency() * 1000, Math.max(1, scan.nextDueMs - now));
        }
        if (wait !== null) this.#armSpoolTimer(wait);
      });
    }, ms);
    this.#spoolTimer.unref();
  }

  /** Directories the stub's spooler runs: the configured non-external ones. */
  #servedSpoolDirs(): string[] {
    return [...new Set(this.config.spoolers.filter((s) => !s.external).map((s) => s.dir))];
  }

  /** Sets the scan-period override (0 = configured value). */
  setSpoolerFrequency(seconds: number): void {
    this.#frequencyOverride = seconds;
  }

  /** Effective seconds between scans. */
  spoolerFrequency(): number {
    return this.#frequencyOverride || this.config.spoolerFrequency;
  }

  /**
   * Runs every task whose `at` time has come, as spooler 1, and reports what happened.
   * Concurrent calls share one pass.
   */
  runSpooler(): Promise<SpoolOutcome[]> {
    if (this.#spoolRunning) return this.#spoolRunning;
    const pass = runAsRole({ kind: "spooler", id: 1 }, () =>
      runSpoolPass(this.#servedSpoolDirs(), this.hooks.spooler, this.clock.nowMs(), (line, err) => this.log(err ? `${line}: ${describeError(err)}` : line), {
        retry: retryPolicy(this.config.spoolerMaxRetries, this.spoolerFrequency()),
        nowMs: () => this.clock.nowMs(),
      }),
    );
    this.#spoolRunning = pass.finally(() => {
      this.#spoolRunning = null;
    });
    return this.#spoolRunning;
  }

  /** Drops all state and returns to an unconfigured, manual-clock instance. */
  reset(setup: StubSetup = {}): void {
    this.hooks.spooler = this.hooks.mule_msg_hook = this.hooks.post_fork_hook = this.hooks.atexit = null;
    this.hooks.applications = null;
    this.configure([], setup);
  }

  /** Releases timers and watchers. */
  dispose(): void {
    this.#stopTimers();
    this.mules.clear();
  }
}

function parseStubArgv(argv: readonly string[]): OptionSet {
  const { options, positional } = parseArgv([...argv]);
  if (positional.length > 0) throw new UwsgiError("UWSGI_ERR_OPTION_VALUE", "argv", `the stub takes options only, got ${JSON.stringify(positional[0])}`);
  return options;
}

function describeError(err: unknown): string {
  if (err instanceof Error) return err.stack ?? err.message;
  return String(err);
}
