/**
 * The master process: owns the listening sockets, spawns the workers (which accept on those
 * sockets directly), respawns the ones that die, kills the ones stuck past `--harakiri`,
 * recycles, reloads and stops them, collects their output into one log, and serves stats.
 *
 * Signals: SIGHUP graceful reload (new workers first, then the old ones finish their requests
 * and leave), SIGTERM/SIGINT graceful stop (a second one stops at once), SIGQUIT immediate stop,
 * SIGUSR1 logs the request counters and SIGUSR2 what each worker is doing (control/status-dumps.ts).
 * @module
 */
import { fork, type StdioOptions } from "node:child_process";
import { unlinkSync, writeFileSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { constants } from "node:os";
import type { Readable } from "node:stream";
import { UwsgiError } from "../errors.js";
import type { InstanceConfig } from "../config/instance-config.js";
import { childEnvironment, type ChildRole, type WorkerPlan } from "./child-environment.js";
import { InstanceSignals } from "./signals/instance-signals.js";
import { workerSignalEndpoints } from "./signals/worker-endpoints.js";
import { isWorkerMessage, type MasterMessage, type WorkerMessage } from "./ipc-messages.js";
import { resolveListenHost } from "./listen-address.js";
import { listenQueueLength } from "./listen-queue.js";
import { bindListenSocket, type ListenSocket } from "./listen-socket.js";
import { reportNodeInternals } from "../core/node-internals.js";
import { LineCollector } from "./line-collector.js";
import type { LogSink } from "./log-sink.js";
import { installMasterAlarms } from "./alarms/master-alarms.js";
import type { AlarmTable } from "../engines/alarm/alarm-table.js";
import { InstanceLogs } from "./logging/instance-logs.js";
import type { ServerSettings } from "./server-settings.js";
import { startStatsServer, type StatsServer } from "./stats/stats-server.js";
import { InstanceMemory } from "./shared-memory/instance-memory.js";
import { statsHttpRoutes } from "./observability/stats-routes.js";
import { RuntimeSampler } from "./observability/runtime-sample.js";
import { renderPrometheusText, type ProcessRuntime } from "./observability/prometheus-text.js";
import type { StatsSnapshot } from "./stats/stats-snapshot.js";
import { TouchWatcher } from "./touch-watcher.js";
import { countersChanged } from "./stats/counter-change.js";
import { SpoolerSupervisor } from "./spooler/spooler-supervisor.js";
import { WorkerProcess, WorkerSlot } from "./worker-table.js";
import { fifoCommands } from "./control/fifo-commands.js";
import { requestCounterLines, workerActivityLines } from "./control/status-dumps.js";
import type { MasterControl } from "./control/master-control.js";
import { MasterFifo } from "./control/master-fifo.js";
import { renderStatsJson } from "./stats/stats-document.js";
import { dropPrivileges, setSocketPermissions, type Privileges } from "./privileges.js";
import { ElasticWorkers, type ElasticHost } from "./elastic/elastic-workers.js";
import type { CheaperSettings } from "./elastic/cheaper-settings.js";
import { BusServer } from "./process-bus/bus-server.js";
import { Channel } from "./process-bus/bus-frames.js";
import { RpcRouter } from "./rpc/rpc-router.js";
import { InstanceMules, mulePlanOf } from "./mules/instance-mules.js";
import { InstanceLegions } from "./legion/instance-legions.js";
import type { LegionsMessage } from "./legion/legion-readings.js";
import { CommandCrons } from "./cron/command-crons.js";

/** Exit code when no worker could load the app at startup (uWSGI's UWSGI_FAILED_APP_CODE). */
export const FAILED_APP_EXIT_CODE = 22;

/** Descriptor number of the first inherited listening socket in a worker. */
export const FIRST_SOCKET_FD = 4;

/** The master's Node flags, minus the inspector ones (every worker would fight for its port). */
const WORKER_EXEC_ARGV = process.execArgv.filter((a) => !/^--(inspect|debug)/.test(a));

/** How often the master checks harakiri deadlines and pushes the worker table (ms). */
const TICK_MS = 250;
/** Time past `--harakiri` a worker has to end an overdue request itself before the master kills it (ms). */
const HARAKIRI_ABORT_GRACE_MS = 1500;
/** Extra silence tolerated from a worker before its event loop counts as blocked (ms). */
const SILENCE_SLACK_MS = 750;

/** What the master needs to run. */
export interface MasterConfig {
  readonly settings: ServerSettings;
  /** The configuration resolved once; shipped to every child. */
  readonly config: InstanceConfig;
  readonly log: LogSink;
  /** Absolute path of the worker entry script. */
  readonly workerEntry: string;
  /** Version string shown by the stats server. */
  readonly version: string;
  /** Magic variables of the configuration (`uwsgi.magic_table` in workers). */
  readonly magicTable?: Readonly<Record<string, string>>;
  /** Stats document rendering switches. */
  readonly statsNoCores?: boolean;
  readonly statsNoMetrics?: boolean;
  /** Master FIFO and instance events (control/master-control.ts). */
  readonly control?: MasterControl;
  /** `--uid`/`--gid`/`--chown-socket`/`--chmod-socket` (privileges.ts); the umask is applied before. */
  readonly privileges?: Privileges;
  /** `--cheaper` settings (null: a fixed count) and `--idle` seconds (0: off); elastic/. */
  readonly elastic?: { readonly cheaper: CheaperSettings | null; readonly idle: number };
}

type MasterState = "idle" | "running" | "stopping" | "done";

/** The master of one instance. */
export class Master {
  readonly #cfg: MasterConfig;
  readonly #log: LogSink;
  readonly slots: WorkerSlot[];
  readonly sockets: ListenSocket[] = [];
  /** Unix seconds the instance started. */
  readonly startedOn = Math.floor(Date.now() / 1000);
  #state: MasterState = "idle";
  #everReady = false;
  #isReload = false;
  #exitCode = 0;
  #stats: StatsServer | null = null;
  /** The master's own Node runtime figures, sampled when there is a stats server. */
  #runtime: RuntimeSampler | null = null;
  /** Caches, metrics and locks shared with every worker. */
  #memory: InstanceMemory | null = null;
  /** Signals routed by the master: the instance's table, timers, crons and file monitors. */
  #signals: InstanceSignals | null = null;
  #touch: TouchWatcher[] = [];
  /** Request log descriptors, reopening and rotation (logging/instance-logs.ts). */
  readonly #logs: InstanceLogs;
  #fifo: MasterFifo | null = null;
  readonly #elastic: ElasticWorkers;
  /** The unix socket children reach the master on (mule messages, RPC). */
  #bus: BusServer | null = null;
  #mules: InstanceMules | null = null;
  /** `--alarm`s, raised from log lines, `uwsgi.alarm` and legion hooks. */
  readonly #alarms: AlarmTable | null;
  /** `--cron`, `--cron2`, `--unique-cron`, `--legion-cron`: shell commands the master runs. */
  #crons: CommandCrons | null = null;
  /** `--legion`s this instance belongs to. */
  #legions: InstanceLegions | null = null;
  #legionsPush: NodeJS.Immediate | null = null;
  /** The spooler processes (src/server/spooler/). */
  #spoolers: SpoolerSupervisor | null = null;
  #tick: NodeJS.Timeout | null = null;
  #lastTick = Date.now();
  #tableDirty = true;
  /** The log size in the last table pushed (a master log line makes the table stale too). */
  #pushedLogsize = -1;
  #chainQueue: WorkerSlot[] | null = null;
  #reloadWaiting = new Set<WorkerSlot>();
  #announcedReady = false;
  /** `set_warning_message` text, shared by every worker (ping replies with it). */
  #warning = "";
  readonly #signalHandlers: Array<[NodeJS.Signals, () => void]> = [];
  #resolveDone!: (code: number) => void;
  /** Resolves with the exit code once the master has stopped. */
  readonly done: Promise<number>;

  constructor(cfg: MasterConfig) {
    this.#cfg = cfg;
    this.#log = cfg.log;
    this.#alarms = cfg.settings.alarms ? installMasterAlarms(cfg.settings.alarms, cfg.log, (num) => this.#raiseSignal(num)) : null;
    // --log-alarm regexps see the lines the master writes: request lines then go through it (as --log-master)
    const logging = cfg.settings.alarms?.logAlarms.length ? { ...cfg.settings.logging, viaMaster: true } : cfg.settings.logging;
    this.#logs = new InstanceLogs(cfg.log, logging, () => {
      for (const slot of this.slots) for (const proc of slot.processes()) this.#send(proc, { t: "log-reopen" });
    });
    this.slots = Array.from({ length: cfg.settings.processes }, (_, i) => new WorkerSlot(i + 1));
    this.done = new Promise((resolve) => (this.#resolveDone = resolve));
    this.#elastic = new ElasticWorkers(cfg.elastic?.cheaper ?? null, cfg.elastic?.idle ?? 0, this.#elasticHost());
  }

  /** Raises uwsgi signal `num` through the instance's router (legion hooks, `signal:` alarms). */
  #raiseSignal(num: number): void {
    if (!this.#signals) throw new UwsgiError("UWSGI_ERR_SIGNAL_INVALID", String(num), "the instance is not running yet");
    this.#signals.signals.raise(num);
  }

  /** `/metrics`: uWSGI's metrics and the Node runtime of the master and the serving workers. */
  #prometheus(): string {
    const processes: ProcessRuntime[] = [];
    if (this.#runtime) processes.push({ role: "master", id: 0, sample: this.#runtime.sample() });
    for (const slot of this.slots) {
      const sample = slot.serving?.counters.runtime;
      if (sample) processes.push({ role: "worker", id: slot.id, sample });
    }
    return this.#memory?.prometheus(processes) ?? renderPrometheusText([], processes);
  }

  /** The stats server's address once it listens. */
  get statsAddress(): string | null {
    return this.#stats?.address ?? null;
  }

  /**
   * Binds the sockets, writes the pidfile, spawns the workers, installs the signal handlers and
   * starts the stats server and file watchers.
   * @throws UwsgiError naming the option at fault when a socket cannot be bound.
   */
  async start(): Promise<void> {
    const s = this.#cfg.settings;
    if (s.sockets.length === 0) {
      throw new UwsgiError("UWSGI_ERR_OPTION_VALUE", "http", "no socket to serve on: give --http, --http-socket or --socket");
    }
    this.#legions = InstanceLegions.fromOptions(this.#cfg.config.options, {
      log: (line) => this.#log.line(line),
      raiseSignal: (num) => this.#raiseSignal(num),
      raiseAlarm: (name, message) => this.#alarms?.raise(name, message) ?? false,
      changed: () => {
        this.#legionsPush ??= setImmediate(() => {
          this.#legionsPush = null;
          this.#pushTable();
          const msg = this.#legionsMessage();
          if (msg) {
            this.#mules?.supervisor.broadcast(msg);
            this.#spoolers?.broadcast(msg);
          }
        });
      },
    });
    const legions = this.#legions;
    const crons = new CommandCrons(this.#cfg.config.options, { log: (line) => this.#log.line(line), isLord: (n) => legions.isLord(n), hasLegion: (n) => legions.has(n) });
    this.#crons = crons.empty ? null : crons;
    reportNodeInternals((line) => this.#log.line(line));
    try {
      for (const [i, spec] of s.sockets.entries()) {
        const address = spec.address.kind === "tcp" ? { ...spec.address, host: await resolveListenHost(spec.option, spec.address.host) } : spec.address;
        const sock = await bindListenSocket(i, spec.option, spec.proto, address);
        this.sockets.push(sock);
        const kind = sock.address.kind === "tcp" ? "TCP" : "UNIX";
        this.#log.line(`uwsgi socket ${i} bound to ${kind} address ${sock.name} fd ${sock.fd} (${sock.proto})`);
      }
      if (this.#cfg.privileges) setSocketPermissions(this.sockets, this.#cfg.privileges);
      if (s.stats) {
        this.#runtime = new RuntimeSampler();
        this.#stats = await startStatsServer(s.stats, () => this.statsSnapshot(), {
          http: s.statsHttp,
          minified: s.statsMinified,
          noCores: this.#cfg.statsNoCores ?? false,
          noMetrics: this.#cfg.statsNoMetrics ?? false,
          logger: (line) => this.#log.line(line),
          routes: statsHttpRoutes({ prometheus: () => this.#prometheus() }),
        });
        this.#log.line(`*** Stats server enabled on ${this.#stats.address} fd: 0 ***`);
      }
      await this.#legions.start();
    } catch (err) {
      await this.#legions.stop();
      for (const sock of this.sockets) sock.close();
      await this.#stats?.close();
      this.#memory?.close();
      throw err;
    }
    if (s.pidfile) {
      try {
        writeFileSync(s.pidfile, `${process.pid}\n`);
      } catch (err) {
        for (const sock of this.sockets) sock.close();
        await this.#stats?.close();
        this.#memory?.close();
        throw new UwsgiError("UWSGI_ERR_OPTION_VALUE", "pidfile", `cannot write ${s.pidfile}: ${(err as Error).message}`);
      }
    }
    try {
      // bind first (as root if started so), then drop: memory, fifo and workers belong to --uid
      this.#logs.chown(this.#cfg.privileges);
      if (this.#cfg.privileges) dropPrivileges(this.#cfg.privileges, (line) => this.#log.line(line));
      this.#memory = InstanceMemory.create(this.#cfg.config, (line) => this.#log.line(line));
      this.#signals = new InstanceSignals(this.#cfg.config, (line) => this.#log.line(line), () => this.#memory?.engines.metrics ?? null);
      this.#signals.attach("worker", this.slots.length, () => workerSignalEndpoints(this.slots));
      this.#bus = await BusServer.listen(this.#memory.instance);
      this.#bus.handle(Channel.RPC, new RpcRouter());
      this.#bus.handle(Channel.SIGNALS, this.#signals.hub);
      this.#spoolers = this.#spoolerSupervisor(this.#memory);
      const spoolers = this.#spoolers;
      if (spoolers) this.#signals.attach("spooler", spoolers.count, () => spoolers.signalEndpoints());
      const mulePlan = mulePlanOf(this.#memory.config);
      if (mulePlan) {
        this.#mules = new InstanceMules(mulePlan, this.#bus, {
          instance: this.#memory.instance,
          log: this.#log,
          entry: fileURLToPath(new URL("./mules/mule-main.js", import.meta.url)),
          execArgv: WORKER_EXEC_ARGV,
          env: (id) => ({ ...process.env, ...this.#childEnv("mule", id) }),
          onExit: (pid) => {
            this.#signals?.forget(pid);
            this.#memory?.engines.releaseLocksOf(pid);
          },
          onMessage: (_child, msg) => this.#fromChild(msg),
          onReady: () => this.#signals?.flush(),
          greeting: () => this.#legionsMessage(),
        });
        const supervisor = this.#mules.supervisor;
        this.#signals.attach("mule", mulePlan.mules.length, () => supervisor.signalEndpoints());
      }
      const fifos = this.#cfg.control?.masterFifo ?? [];
      if (fifos.length) this.#fifo = new MasterFifo(fifos, fifoCommands(this), (line) => this.#log.line(line));
    } catch (err) {
      for (const sock of this.sockets) sock.close();
      await this.#stats?.close();
      await this.#bus?.close();
      this.#memory?.close();
      throw err;
    }
    this.#state = "running";
    this.#log.line(`your server socket listen backlog is limited to ${s.listen} connections`);
    this.#log.line(`your mercy for graceful operations on workers is ${s.workerReloadMercy} seconds`);
    for (const note of s.remote.notes) this.#log.line(note);
    this.#log.line(`spawned uWSGI master process (pid: ${process.pid})`);
    this.#spoolers?.start();
    const initial = this.#elastic.initialWorkers(this.slots.length);
    for (const slot of this.slots) {
      if (slot.id <= initial) slot.current = this.#spawn(slot, "first");
      else slot.cheaped = true;
    }
    this.#mules?.start();
    this.#crons?.start();
    this.#installSignals();
    if (s.touchReload.length) this.#touch.push(new TouchWatcher(s.touchReload, (p) => this.reload(false, `*** ${p} has been touched... grace them all !!! ***`)));
    if (s.touchChainReload.length) this.#touch.push(new TouchWatcher(s.touchChainReload, (p) => this.reload(true, `*** ${p} has been touched... chain reload !!! ***`)));
    this.#logs.start();
    this.#lastTick = Date.now();
    this.#tick = setInterval(() => this.#onTick(), TICK_MS);
  }

  // ------------------------------------------------------------------ spawning ---------------

  #spoolerSupervisor(memory: InstanceMemory): SpoolerSupervisor | null {
    if (memory.config.spoolers.length === 0) return null;
    return new SpoolerSupervisor({
      config: memory.config,
      app: this.#cfg.settings.app,
      entry: fileURLToPath(new URL("./spooler/spooler-main.js", import.meta.url)),
      env: (id) => ({ ...process.env, ...this.#childEnv("spooler", id) }),
      mercySeconds: this.#cfg.settings.workerReloadMercy,
      log: (line) => this.#log.line(line),
      collect: (stream) => this.#collect(stream),
      releaseLocksOf: (pid) => memory.engines.releaseLocksOf(pid),
      broadcast: (msg) => {
        for (const slot of this.slots) for (const proc of slot.processes()) this.#send(proc, msg as unknown as MasterMessage);
        this.#mules?.supervisor.broadcast(msg);
      },
      onExit: (pid) => {
        this.#signals?.forget(pid);
        this.#checkFinished();
      },
      onOtherMessage: (_child, msg) => this.#fromChild(msg),
      onReady: () => this.#signals?.flush(),
      greeting: () => this.#legionsMessage(),
    });
  }

  /** A message from a mule or a spooler: spooler wake-ups (a task spooled there), `uwsgi.alarm`. */
  #fromChild(msg: unknown): void {
    if (this.#spoolers?.onChildMessage(msg)) return;
    const m = msg as { t?: unknown; name?: unknown; message?: unknown } | null;
    if (m?.t === "alarm" && typeof m.name === "string") this.#childAlarm(m.name, String(m.message ?? ""));
  }

  /** `uwsgi.alarm(name, message)` from any child. */
  #childAlarm(name: string, message: string): void {
    if (!this.#alarms?.has(name)) this.#log.line(`uwsgi.alarm(): no alarm named ${JSON.stringify(name)} is configured (--alarm); message ignored: ${message}`);
    else this.#alarms.raise(name, message);
  }

  #plan(): WorkerPlan {
    const s = this.#cfg.settings;
    return {
      sockets: this.sockets.map((sock, i) => ({ fd: FIRST_SOCKET_FD + i, proto: sock.proto, name: sock.name })),
      app: s.app,
      numproc: s.processes,
      listen: s.listen,
      bufferSize: s.bufferSize,
      harakiri: s.harakiri,
      maxRequests: s.maxRequests,
      reloadOnRss: s.reloadOnRss,
      disableLogging: s.disableLogging,
      logto: s.logto,
      requestLog: this.#logs.plan(FIRST_SOCKET_FD + this.sockets.length),
      workerReloadMercy: s.workerReloadMercy,
      memoryReport: s.memoryReport,
      runtimeMetrics: s.stats !== null,
      startedOn: this.startedOn,
      isReload: this.#isReload,
      magicTable: this.#cfg.magicTable ?? {},
      requestIo: s.requestIo,
      remote: { modifiers: s.remote.modifiers, allow: s.remote.allow },
      limits: s.limits,
    };
  }

  /** The environment variables that tell a child who it is and what the instance is. */
  #childEnv(role: ChildRole, id: number): Record<string, string> {
    return {
      ...childEnvironment({ role, id, masterPid: process.pid, instance: this.#memory!.instance, config: this.#cfg.config, plan: this.#plan() }),
      ...this.#mules?.childEnv(),
      ...this.#spoolers?.childEnv(),
    };
  }

  #spawn(slot: WorkerSlot, why: "first" | "respawn" | "reload"): WorkerProcess {
    const stdio: StdioOptions = ["ignore", "pipe", "pipe", "ipc", ...this.sockets.map((s) => s.fd), this.#logs.requestFd];
    const env = {
      // libuv accepts connections in a loop until the backlog is empty; with this set it yields
      // after each one, so idle workers get their share of new (keep-alive) connections
      UV_TCP_SINGLE_ACCEPT: "1",
      ...process.env,
      ...this.#childEnv("worker", slot.id),
    };
    const child = fork(this.#cfg.workerEntry, [], { stdio, env, execArgv: WORKER_EXEC_ARGV });
    const proc = new WorkerProcess(child, slot, Date.now());
    slot.spawns++;
    slot.lastSpawn = Math.floor(proc.spawnedAt / 1000);
    this.#tableDirty = true;
    this.#collect(child.stdout);
    this.#collect(child.stderr);
    child.on("message", (msg: unknown) => {
      if (this.#spoolers?.onChildMessage(msg)) return;
      if (isWorkerMessage(msg)) this.#onMessage(proc, msg);
    });
    child.on("error", (err) => this.#log.line(`worker ${slot.id}: ${err.message}`));
    child.on("exit", (code, signal) => this.#onExit(proc, code, signal));
    if (why === "respawn") this.#log.line(`Respawned uWSGI worker ${slot.id} (new pid: ${proc.pid})`);
    else this.#log.line(`spawned uWSGI worker ${slot.id} (pid: ${proc.pid}, cores: 1)`);
    return proc;
  }

  /** Copies a child's output stream to the log, whole lines at a time. */
  #collect(stream: Readable | null): void {
    if (!stream) return;
    const lines = new LineCollector();
    stream.on("data", (chunk: Buffer) => {
      const whole = lines.push(chunk);
      if (whole) this.#log.write(whole);
    });
    stream.on("end", () => {
      const rest = lines.flush();
      if (rest) this.#log.write(rest);
    });
  }

  #send(proc: WorkerProcess, msg: MasterMessage): void {
    if (proc.exited || !proc.child.connected) return;
    proc.child.send(msg, (err) => {
      if (err) {
        // The worker is going away; its exit is handled separately.
      }
    });
  }

  // ------------------------------------------------------------------ worker events ----------

  #onMessage(proc: WorkerProcess, msg: WorkerMessage): void {
    proc.lastHeard = Date.now();
    const slot = proc.slot;
    switch (msg.t) {
      case "stats": {
        const { t: _t, ...counters } = msg;
        // a heartbeat that changes no counter pushes no table (stats/counter-change.ts)
        if (countersChanged(proc.counters, counters)) this.#tableDirty = true;
        proc.counters = counters;
        if (counters.avgRt) slot.avgRt = counters.avgRt;
        break;
      }
      case "ready":
        this.#onReady(proc, msg.appStartupMs);
        break;
      case "app-failed":
        this.#log.line(`worker ${slot.id} (pid: ${proc.pid}) could not load the app: ${msg.error}`);
        if (!this.#everReady && this.#state === "running") {
          this.#log.line("*** no app loaded. GAME OVER ***");
          this.#exitCode = FAILED_APP_EXIT_CODE;
          this.stop(false);
        }
        break;
      case "retire":
        this.#onRetire(proc, msg.reason);
        break;
      case "user-harakiri":
        proc.userHarakiri = msg.deadline;
        break;
      case "warning":
        this.#warning = msg.message;
        this.#pushTable();
        break;
      case "alarm":
        this.#childAlarm(msg.name, msg.message);
        break;
    }
  }

  #onReady(proc: WorkerProcess, appStartupMs: number): void {
    const slot = proc.slot;
    proc.ready = true;
    proc.readyAt = Date.now();
    proc.appStartup = Math.round(appStartupMs / 1000);
    this.#signals?.flush();
    this.#everReady = true;
    this.#tableDirty = true;
    if (this.#state !== "running") {
      this.#gracefulStop(proc);
      return;
    }
    if (slot.current === proc && slot.previous) {
      const old = slot.previous;
      slot.previous = null;
      slot.draining.add(old);
      this.#gracefulStop(old);
    }
    if (this.#reloadWaiting.delete(slot) && this.#reloadWaiting.size === 0 && !this.#chainQueue) {
      this.#log.line(`*** graceful reload complete: ${this.slots.length} worker(s) serving ***`);
      this.#cfg.control?.onEvent?.("reloaded", `${this.slots.length} worker(s) serving`);
    }
    if (this.#chainQueue && slot.current === proc) this.#chainNext();
    if (!this.#announcedReady && this.slots.every((s) => s.cheaped || s.current?.ready)) {
      this.#announcedReady = true;
      const running = this.slots.filter((s) => !s.cheaped).length;
      this.#log.line(`*** uwsgi-node is ready: ${running} worker(s) serving on ${this.sockets.map((s) => s.name).join(", ")} ***`);
      this.#cfg.control?.onEvent?.("ready", `${running} worker(s) serving`);
    }
    this.#pushTable();
  }

  #onRetire(proc: WorkerProcess, reason: string): void {
    const slot = proc.slot;
    proc.retireReason = reason;
    proc.stopping = true;
    proc.stopDeadline = Date.now() + this.#cfg.settings.workerReloadMercy * 1000;
    if (slot.current !== proc || this.#state !== "running") return;
    this.#log.line(`worker ${slot.id} (pid: ${proc.pid}) is recycled: ${reason}`);
    slot.current = null;
    slot.draining.add(proc);
    slot.current = this.#spawn(slot, "respawn");
  }

  #onExit(proc: WorkerProcess, code: number | null, signal: NodeJS.Signals | null): void {
    if (proc.exited) return;
    proc.exited = true;
    this.#signals?.forget(proc.pid);
    // Locks the child held are recovered by their next locker at once, not after a liveness poll.
    if (proc.pid !== undefined) {
      const marked = this.#memory?.engines.releaseLocksOf(proc.pid) ?? 0;
      if (marked > 0) this.#log.line(`worker ${proc.slot.id} (pid: ${proc.pid}) died holding ${marked} lock(s): released for recovery`);
    }
    const slot = proc.slot;
    slot.absorb(proc);
    proc.counters = { ...proc.counters, requests: 0, exceptions: 0, tx: 0, runningTime: 0, inFlight: 0, oldestStart: 0, remoteRefused: 0, harakiri: 0 };
    this.#tableDirty = true;
    if (proc.stopRequestedAt && !proc.retireReason) {
      this.#log.line(`worker ${slot.id} buried after ${Math.max(1, Math.round((Date.now() - proc.stopRequestedAt) / 1000))} seconds`);
    }
    if (slot.current === proc) {
      slot.current = null;
      if (this.#state === "running") {
        const how = signal ? `, killed by signal ${signalNumber(signal)}` : code ? ` (exit code ${code})` : "";
        this.#log.line(`DAMN ! worker ${slot.id} (pid: ${proc.pid}) died${how} :( trying respawn ...`);
        // time served since ready, not since the spawn: a slow start (a loaded machine, a big app)
        // must not hide a worker that dies as soon as it serves
        const delay = slot.backoff.onDeath(proc.ready ? Date.now() - proc.readyAt : 0, proc.ready);
        this.#scheduleRespawn(slot, delay);
      }
    } else if (slot.previous === proc) {
      slot.previous = null;
    } else {
      slot.draining.delete(proc);
    }
    this.#checkFinished();
  }

  #scheduleRespawn(slot: WorkerSlot, delayMs: number): void {
    if (slot.respawnTimer) return;
    if (delayMs === 0) {
      slot.current = this.#spawn(slot, "respawn");
      return;
    }
    this.#log.line(`worker ${slot.id} respawning too fast !!! waiting ${(delayMs / 1000).toFixed(2)} seconds before respawning it`);
    slot.respawnTimer = setTimeout(() => {
      slot.respawnTimer = null;
      if (this.#state === "running" && !slot.current) slot.current = this.#spawn(slot, "respawn");
    }, delayMs);
  }

  /** Asks a worker to stop accepting, finish its requests and exit; kills it after the mercy time. */
  #gracefulStop(proc: WorkerProcess): void {
    if (proc.exited) return;
    if (!proc.ready) {
      proc.child.kill("SIGKILL");
      return;
    }
    if (!proc.stopping || !proc.stopRequestedAt) {
      proc.stopping = true;
      proc.stopRequestedAt = Date.now();
      proc.stopDeadline = proc.stopRequestedAt + this.#cfg.settings.workerReloadMercy * 1000;
      if (!proc.retireReason) this.#log.line(`Gracefully killing worker ${proc.slot.id} (pid: ${proc.pid})...`);
    }
    this.#send(proc, { t: "stop" });
  }

  // ------------------------------------------------------------------ reload -----------------

  /**
   * Graceful reload: every worker is replaced by a new process (running the app's code anew);
   * the old process stops accepting once its replacement is ready and leaves after finishing
   * its requests. `chain` replaces one worker at a time.
   */
  reload(chain: boolean, why?: string): void {
    if (this.#state !== "running") return;
    if (chain && this.#chainQueue) {
      this.#log.line("chain reload already in progress");
      return;
    }
    this.#log.line(why ?? (chain ? "chain reload starting..." : "...gracefully reloading workers..."));
    this.#cfg.control?.onEvent?.("reloading", chain ? "chain reload" : "graceful reload");
    this.#isReload = true;
    this.#logs.onReload();
    this.#mules?.reload();
    if (chain) {
      this.#chainQueue = this.slots.filter((s) => !s.cheaped);
      this.#chainNext();
      return;
    }
    this.#chainQueue = null;
    for (const slot of this.slots) if (!slot.cheaped) this.#replace(slot);
    this.#spoolers?.reload();
  }

  #chainNext(): void {
    const next = this.#chainQueue?.shift();
    if (!next) {
      this.#chainQueue = null;
      this.#log.line("chain reload complete");
      this.#cfg.control?.onEvent?.("reloaded", `${this.slots.length} worker(s) serving`);
      return;
    }
    this.#replace(next);
  }

  #replace(slot: WorkerSlot): void {
    if (slot.respawnTimer) {
      clearTimeout(slot.respawnTimer);
      slot.respawnTimer = null;
    }
    const cur = slot.current;
    if (cur?.ready) {
      if (slot.previous) {
        slot.draining.add(slot.previous);
        this.#gracefulStop(slot.previous);
      }
      slot.previous = cur;
    } else if (cur) {
      // Still loading the app: it serves nothing yet, so it is simply discarded.
      slot.draining.add(cur);
      cur.child.kill("SIGKILL");
    }
    slot.backoff.reset();
    this.#reloadWaiting.add(slot);
    slot.current = this.#spawn(slot, "reload");
  }

  /** Brutal reload (master FIFO `R`/`W`): every worker is killed at once and a new one spawned in its place. */
  brutalReload(why: string): void {
    if (this.#state !== "running") return;
    this.#log.line(why);
    this.#cfg.control?.onEvent?.("reloading", "brutal reload");
    this.#isReload = true;
    this.#chainQueue = null;
    for (const slot of this.slots) {
      if (slot.cheaped) continue;
      if (slot.respawnTimer) {
        clearTimeout(slot.respawnTimer);
        slot.respawnTimer = null;
      }
      for (const proc of slot.processes()) {
        if (slot.current === proc) slot.current = null;
        if (slot.previous === proc) slot.previous = null;
        slot.draining.add(proc);
        proc.stopping = true;
        proc.child.kill("SIGKILL");
      }
      slot.backoff.reset();
      this.#reloadWaiting.add(slot);
      slot.current = this.#spawn(slot, "reload");
    }
  }

  /** The stats document (master FIFO `s` writes it to the log). */
  statsJson(): string {
    return renderStatsJson(this.statsSnapshot(), { minified: true });
  }

  /**
   * Master FIFO `l` (reopen) and `L` (rotate): the log file's reopen/rotation belong to the log
   * sink; until it offers `reopen(rotate)` the command says so in the log.
   */
  reopenLog(rotate: boolean): void {
    const sink = this.#log as LogSink & { reopen?: (rotate: boolean) => void };
    if (typeof sink.reopen === "function") sink.reopen(rotate);
    else this.#log.line(`master fifo ${rotate ? "L" : "l"}: the log sink cannot reopen its file in this build`);
  }

  /** Master FIFO `+`/`-`: more or fewer workers, in cheaper mode only. */
  changeWorkers(delta: 1 | -1): void {
    if (this.#state === "running") this.#elastic.change(delta);
  }

  /** What the cheaper subsystem may see and do. */
  #elasticHost(): ElasticHost {
    return {
      slots: () =>
        this.slots.map((s) => ({
          id: s.id,
          cheaped: s.cheaped,
          busy: (s.serving?.counters.inFlight ?? 0) > 0,
          starting: !!s.current && !s.current.ready,
          spawnedAt: s.current?.spawnedAt ?? 0,
          requests: s.totals().requests,
        })),
      spawn: (id) => {
        const slot = this.slots[id - 1]!;
        if (!slot.cheaped || this.#state !== "running") return;
        slot.cheaped = false;
        slot.backoff.reset();
        slot.current = this.#spawn(slot, "first");
      },
      cheap: (id) => {
        const slot = this.slots[id - 1]!;
        slot.cheaped = true;
        if (slot.respawnTimer) {
          clearTimeout(slot.respawnTimer);
          slot.respawnTimer = null;
        }
        const proc = slot.current;
        slot.current = null;
        if (proc) {
          slot.draining.add(proc);
          this.#gracefulStop(proc);
        }
        this.#tableDirty = true;
      },
      backlog: () => Math.max(0, ...this.sockets.map((s) => listenQueueLength(s.address))),
      busyWithLifecycle: () => this.#state !== "running" || this.#reloadWaiting.size > 0 || this.#chainQueue !== null,
      log: (line) => this.#log.line(line),
    };
  }

  /** Writes one line to the instance log. */
  log(line: string): void {
    this.#log.line(line);
  }

  // ------------------------------------------------------------------ stopping ---------------

  /**
   * Stops the instance. Graceful: workers finish their requests first (up to the mercy time).
   * Immediate: workers are killed at once. A graceful stop asked again becomes immediate.
   */
  stop(graceful: boolean, why?: string): void {
    if (this.#state === "done") return;
    if (this.#state === "stopping") {
      if (graceful) return;
      graceful = false;
    }
    const first = this.#state !== "stopping";
    this.#state = "stopping";
    if (why) this.#log.line(why);
    if (first) {
      this.#cfg.control?.onEvent?.("stopping", graceful ? "graceful stop" : "immediate stop");
      for (const w of this.#touch) w.close();
      this.#logs.close();
      this.#chainQueue = null;
    }
    for (const slot of this.slots) {
      if (slot.respawnTimer) {
        clearTimeout(slot.respawnTimer);
        slot.respawnTimer = null;
      }
      for (const proc of slot.processes()) {
        if (graceful) this.#gracefulStop(proc);
        else if (!proc.exited) proc.child.kill("SIGKILL");
      }
    }
    this.#mules?.stop(graceful, () => this.#checkFinished());
    this.#spoolers?.stop(graceful);
    this.#checkFinished();
  }

  #checkFinished(): void {
    if (this.#state !== "stopping") return;
    if (this.slots.some((s) => s.processes().some((p) => !p.exited))) return;
    if (this.#mules && !this.#mules.finished) return;
    if (this.#spoolers && !this.#spoolers.finished()) return;
    this.#state = "done";
    if (this.#tick) clearInterval(this.#tick);
    for (const [sig, fn] of this.#signalHandlers) process.off(sig, fn);
    this.#fifo?.close();
    for (const sock of this.sockets) {
      if (sock.address.kind === "tcp" || this.#cfg.settings.vacuum) sock.close();
    }
    const pidfile = this.#cfg.settings.pidfile;
    if (pidfile && this.#cfg.settings.vacuum) {
      try {
        unlinkSync(pidfile);
      } catch {
        // already gone
      }
    }
    this.#memory?.close();
    this.#signals?.stop();
    this.#crons?.stop();
    if (this.#legionsPush) clearImmediate(this.#legionsPush);
    void Promise.all([this.#stats?.close(), this.#bus?.close(), this.#legions?.stop()]).finally(() => {
      this.#log.line("goodbye to uWSGI.");
      this.#resolveDone(this.#exitCode);
    });
  }

  #installSignals(): void {
    const on = (sig: NodeJS.Signals, fn: () => void): void => {
      process.on(sig, fn);
      this.#signalHandlers.push([sig, fn]);
    };
    on("SIGHUP", () => this.reload(false));
    const term = (): void => {
      if (this.#state === "stopping") this.stop(false, "second stop signal received...killing workers now...");
      else this.stop(true, "SIGINT/SIGTERM received...gracefully stopping workers...");
    };
    on("SIGTERM", term);
    on("SIGINT", term);
    on("SIGQUIT", () => this.stop(false, "SIGQUIT received...killing workers..."));
    on("SIGUSR1", () => {
      for (const line of requestCounterLines(this.slots)) this.#log.line(line);
    });
    on("SIGUSR2", () => {
      for (const line of workerActivityLines(this.slots, Date.now())) this.#log.line(line);
    });
  }

  // ------------------------------------------------------------------ periodic checks --------

  #onTick(): void {
    this.#logs.tick();
    const now = Date.now();
    const late = now - this.#lastTick - TICK_MS;
    this.#lastTick = now;
    const h = this.#cfg.settings.harakiri * 1000;
    for (const slot of this.slots) {
      for (const proc of slot.processes()) {
        if (proc.exited) continue;
        if (proc.stopping && proc.stopDeadline && now > proc.stopDeadline) {
          this.#log.line(`worker ${slot.id} (pid: ${proc.pid}) did not stop within ${this.#cfg.settings.workerReloadMercy} seconds: killing it`);
          proc.stopDeadline = 0;
          proc.child.kill("SIGKILL");
          continue;
        }
        if (!proc.ready || (proc.harakiriAt && now - proc.harakiriAt < 1000)) continue;
        // a worker whose loop is free ends an overdue request itself (harakiri/request-harakiri.ts);
        // one still running after the grace is in a worker that cannot: kill it
        if (h > 0 && proc.counters.oldestStart && now - proc.counters.oldestStart > h + HARAKIRI_ABORT_GRACE_MS) {
          this.#harakiri(proc, `a request has been running for ${((now - proc.counters.oldestStart) / 1000).toFixed(1)} seconds and the worker did not end it`);
        } else if (h > 0 && late < SILENCE_SLACK_MS && now - proc.lastHeard > Math.max(h, 1000) + SILENCE_SLACK_MS) {
          this.#harakiri(proc, `its event loop has been blocked for ${((now - proc.lastHeard) / 1000).toFixed(1)} seconds`);
        } else if (proc.userHarakiri && now > proc.userHarakiri) {
          this.#harakiri(proc, "the deadline armed by set_user_harakiri() passed");
        }
      }
    }
    if (this.#state === "running") this.#elastic.tick(now);
    this.#signals?.flush();
    this.#spoolers?.tick(now);
    if (this.#tableDirty || this.#log.size !== this.#pushedLogsize) {
      // The built-in metrics mirror the worker table, so workers' metric_get sees them too.
      this.#memory?.updateBuiltins(this.#workerStats());
      this.#pushTable();
    }
  }

  #harakiri(proc: WorkerProcess, why: string): void {
    proc.harakiriTries++;
    proc.harakiriAt = Date.now();
    if (proc.harakiriTries === 1) proc.slot.harakiriCount++;
    this.#log.event(`*** HARAKIRI ON WORKER ${proc.slot.id} (pid: ${proc.pid}, try: ${proc.harakiriTries}) ***`);
    this.#log.event(`HARAKIRI !!! worker ${proc.slot.id}: ${why}`);
    proc.child.kill("SIGKILL");
  }

  /** The legions for children without a worker table (mules); null without legions. */
  #legionsMessage(): LegionsMessage | null {
    return this.#legions && !this.#legions.empty ? { t: "legions", legions: this.#legions.published() } : null;
  }

  #pushTable(): void {
    this.#tableDirty = false;
    const cwd = process.cwd();
    const rows = this.slots.map((s) => ({ ...s.row(cwd), signals: this.#signals?.router.handled("worker", s.id) ?? 0 }));
    this.#pushedLogsize = this.#log.size;
    const msg: MasterMessage = { t: "table", rows, logsize: this.#log.size, warning: this.#warning, legions: this.#legions?.published() ?? [] };
    for (const slot of this.slots) {
      for (const proc of slot.processes()) if (proc.ready) this.#send(proc, msg);
    }
  }

  // ------------------------------------------------------------------ stats ------------------

  /** The instance as the stats server shows it. */
  statsSnapshot(): StatsSnapshot {
    const cwd = process.cwd();
    const queues = this.sockets.map((s) => listenQueueLength(s.address));
    const listenQueue = queues.length ? Math.max(...queues) : 0;
    const workers = this.#workerStats(cwd);
    return {
      version: this.#cfg.version,
      listen_queue: listenQueue,
      listen_queue_errors: 0,
      signal_queue: this.#signals?.router.sharedQueued() ?? 0,
      load: listenQueue,
      pid: process.pid,
      uid: process.getuid?.() ?? 0,
      gid: process.getgid?.() ?? 0,
      cwd,
      remote_refused: this.slots.reduce((n, slot) => n + slot.totals().remoteRefused, 0),
      locks: [...(this.#memory?.statsLocks() ?? []), ...(this.#spoolers?.statsLocks() ?? [])],
      caches: this.#memory?.statsCaches(),
      metrics: this.#memory?.statsMetrics(),
      sockets: this.sockets.map((s, i) => ({
        name: s.name,
        proto: s.proto,
        queue: queues[i] ?? 0,
        max_queue: this.#cfg.settings.listen,
        shared: 0,
        can_offload: 0,
      })),
      workers,
      spoolers: this.#spoolers?.stats(),
      crons: this.#crons?.stats(),
      legions: this.#legions && !this.#legions.empty ? this.#legions.stats() : undefined,
    };
  }

  /** Every worker's stats row. */
  #workerStats(cwd: string = process.cwd()) {
    const r = this.#signals?.router;
    return this.slots.map((s) => ({ ...s.stats(cwd), signals: r?.handled("worker", s.id) ?? 0, signal_queue: r?.queued("worker", s.id) ?? 0 }));
  }
}

/** The number of a signal name (SIGKILL → 9), for uWSGI-style log lines. */
function signalNumber(signal: NodeJS.Signals): number | string {
  return (constants.signals as Record<string, number>)[signal] ?? signal;
}
