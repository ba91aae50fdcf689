/**
 * The process context of a worker, mule or spooler spawned by the master: its role comes from
 * the identity the master gave it, its caches, metrics and user locks are the instance's shared
 * memory, its RPC functions and signal table are its own (per process, as in uWSGI).
 * @module
 */
import { systemClock } from "../../core/clock.js";
import { LockTable } from "../../engines/locks/lock-table.js";
import { RpcRegistry } from "../../engines/rpc/rpc-registry.js";
import type { EngineSet, ModuleHooks, ProcessContext } from "../../module/process-context.js";
import type { ProcessRole } from "../../module/process-role.js";
import { SignalDelivery } from "../../module/signal-delivery.js";
import { masterRouter, masterSignalSources, ReportingSignalTable } from "./child-signals.js";
import type { ChildIdentity } from "../child-environment.js";
import { createSharedEngines, type SharedEngines } from "../shared-memory/shared-engines.js";
import { instanceMetrics } from "../shared-memory/instance-memory.js";
import { childProcessInfo } from "./child-process-info.js";
import { NO_MULES } from "./no-mules.js";
import { legionReading } from "../legion/legion-readings.js";
import { serverMuleClient } from "../mules/server-mules.js";
import { RpcBus } from "../rpc/rpc-bus.js";
import { spoolerLink } from "../spooler/spooler-link.js";
import { RedisCacheSet } from "../../cluster/redis-cache.js";

/** A child's runtime: the context and engines its module is built over, and what the child runs. */
export interface ChildRuntime {
  readonly identity: ChildIdentity;
  readonly engines: EngineSet;
  readonly shared: SharedEngines;
  readonly context: ProcessContext;
  readonly delivery: SignalDelivery;
  /** RPC calls between the processes of the instance, through the master. */
  readonly rpcBus: RpcBus;
}

function describeError(err: unknown): string {
  return err instanceof Error ? (err.stack ?? err.message) : String(err);
}

/** Builds the runtime of this child from its identity. */
export function createChildRuntime(identity: ChildIdentity): ChildRuntime {
  const config = identity.config;
  const role: ProcessRole = Object.freeze({ kind: identity.role, id: identity.id });
  const logError = (line: string, err?: unknown) => process.stderr.write(err ? `${line}: ${describeError(err)}\n` : `${line}\n`);
  // Caches, metrics and user locks are the instance's, in shared memory the master created.
  const shared = createSharedEngines(config, identity.instance, systemClock, "attach", instanceMetrics(config));
  for (const cache of shared.caches.all()) cache.onLog = (line) => process.stdout.write(`${line}\n`);
  const locks = new LockTable(shared.lockMutexes, { isSpooler: role.kind === "spooler" });
  const rpc = new RpcRegistry(config.rpcMax, (err, name) => logError(`[uwsgi-rpc] error in rpc function ${JSON.stringify(name.toString("latin1"))}`, err));
  const rpcBus = new RpcBus({ instance: identity.instance, role: identity.role, id: identity.id, registry: () => rpc });
  // registrations are announced to the master, which routes every signal of the instance
  const signals = new ReportingSignalTable();
  // Redis-backed caches: this process's own connections, opened now so the first request does not wait.
  const redisCaches = new RedisCacheSet(config.redisCaches ?? [], config.socketTimeout * 1000, (line) => process.stdout.write(`${line}\n`), shared.nearCaches);
  redisCaches.connectAll();
  const engines: EngineSet = {
    caches: () => shared.caches,
    redisCaches: () => redisCaches,
    metrics: () => shared.metrics,
    locks: () => locks,
    rpc: () => rpc,
    signals: () => signals,
  };
  const hooks: ModuleHooks = { spooler: null, mule_msg_hook: null, post_fork_hook: null, atexit: null, applications: null };
  const delivery = new SignalDelivery(() => signals, logError);
  const sources = masterSignalSources();
  // the master's mule broker when the instance has mules
  const mules = serverMuleClient() ?? NO_MULES;
  // Tasks run in the spooler processes; this process writes them and wakes those through the master.
  const spooler = spoolerLink();
  const context: ProcessContext = {
    role: () => role,
    process: childProcessInfo(identity),
    hooks,
    signalRouter: () => masterRouter,
    signalSources: () => sources,
    signalDelivery: () => delivery,
    muleTransport: () => mules,
    spooler: {
      dirs: () => spooler.dirs(),
      notify: (dir) => spooler.notify(dir),
      pids: () => spooler.pids(),
      setFrequency: (seconds) => spooler.setFrequency(seconds),
    },
    // any process may register: the master routes calls to it (mules included)
    rpcMayRegister: () => true,
    // mules and spoolers import the app, so the handlers it registers at import exist in them
    // (mule, farm and spooler targets)
    signalChildrenMayRegister: () => true,
    rpcRouting: () => rpcBus,
    legion: legionReading,
    socketTimeoutMs: () => config.socketTimeout * 1000,
  };
  return { identity, engines, shared, context, delivery, rpcBus };
}
