/**
 * The one factory of the `uwsgi` module: every seed name over an {@link EngineSet} and a
 * {@link ProcessContext}. The stub and the server build their module here; they differ only in
 * the context they pass.
 * @module
 */
import { Buffer } from "node:buffer";
import type { UwsgiModule } from "../api.js";
import { UwsgiError } from "../errors.js";
import { SPOOL_IGNORE, SPOOL_OK, SPOOL_RETRY } from "../engines/spooler/spool-task-runner.js";
import { CacheClient } from "../client/cache-client.js";
import { RpcClient } from "../client/rpc-client.js";
import { SignalClient } from "../client/signal-client.js";
import { cacheFunctions } from "./cache-functions.js";
import { metricFunctions } from "./metric-functions.js";
import { lockFunctions } from "./lock-functions.js";
import { rpcFunctions } from "./rpc-functions.js";
import { signalFunctions } from "./signal-functions.js";
import { spoolerFunctions } from "./spooler-functions.js";
import { muleFunctions } from "./mule-functions.js";
import { requestEnv, requestFunctions } from "./request-functions.js";
import { socketFunctions } from "./socket-functions.js";
import { processMemory } from "./process-memory.js";
import { websocketFunctions } from "./websocket-functions.js";
import { legionFunctions } from "./legion-functions.js";
import { embeddedData, extract } from "./embedded-data.js";
import { routeFunctions } from "./route-functions.js";
import type { EngineSet, ModuleHooks, ProcessContext } from "./process-context.js";

/**
 * Builds the `uwsgi` module over `engines` and `ctx`.
 * @example
 * ```ts
 * const uwsgi = createModule(engines, context);
 * uwsgi.cache_update("k", "v");
 * ```
 */
export function createModule(engines: EngineSet, ctx: ProcessContext): UwsgiModule {
  const role = () => ctx.role();
  const p = ctx.process;
  const timeoutMs = () => ctx.socketTimeoutMs();
  const cacheClient = new CacheClient(timeoutMs);
  const rpcClient = new RpcClient(timeoutMs);
  const signalClient = new SignalClient(timeoutMs);

  const functions = {
    ...cacheFunctions(() => engines.caches(), () => cacheClient, engines.redisCaches ? () => engines.redisCaches!() : undefined),
    ...metricFunctions(() => engines.metrics()),
    ...lockFunctions(() => engines.locks()),
    ...rpcFunctions(() => engines.rpc(), () => rpcClient, () => ctx.rpcMayRegister(), () => ctx.rpcRouting()),
    ...signalFunctions({
      table: () => engines.signals(),
      role,
      router: () => ctx.signalRouter(),
      sources: () => ctx.signalSources(),
      remote: () => signalClient,
      delivery: () => ctx.signalDelivery(),
      childrenMayRegister: () => ctx.signalChildrenMayRegister?.() ?? false,
    }),
    ...spoolerFunctions({ ...ctx.spooler, role }),
    ...muleFunctions(() => ctx.muleTransport(), role),
    ...requestFunctions(() => p.requestBufferSize()),
    ...socketFunctions(),
    ...websocketFunctions(),

    // process
    worker_id: () => (role().kind === "worker" ? role().id : 0),
    masterpid: () => p.masterpid(),
    workers: () => p.workers(),
    total_requests: () => p.totalRequests(),
    mem: () => processMemory(),
    micros: () => p.micros(),
    ready: () => true,
    accepting(flag = true) {
      p.accepting(flag !== false);
    },
    is_a_reload: () => p.isAReload(),
    reload: () => p.reload(),
    stop: () => p.stop(),
    setprocname(name: string) {
      p.setprocname(String(name));
    },
    set_user_harakiri(timeout = 0) {
      if (!Number.isInteger(timeout) || timeout < 0) throw new UwsgiError("UWSGI_ERR_INVALID_ARGUMENT", "timeout", `expected whole seconds >= 0, got ${timeout}`);
      p.setUserHarakiri(timeout);
    },
    listen_queue: (socket_num = 0): number => p.listenQueue(socket_num),
    set_warning_message: (message: string) => p.setWarningMessage(String(message)),
    loop: () => null,

    // logging
    log(message: string) {
      p.log(String(message));
      return true;
    },
    logsize: () => p.logsize(),
    alarm(name: string, message: string) {
      p.raiseAlarm(String(name), String(message));
    },

    // async
    async async_sleep(seconds: number) {
      await new Promise((resolve) => setTimeout(resolve, Math.max(0, seconds) * 1000));
      return Buffer.alloc(0);
    },
    suspend: () => new Promise<boolean>((resolve) => setImmediate(() => resolve(true))),
    green_schedule: () => new Promise<boolean>((resolve) => setImmediate(() => resolve(true))),

    // misc
    extract,
    embedded_data: embeddedData,
    ...routeFunctions({
      log: (line) => p.log(line),
      raiseSignal: (num) => void functions.signal(num).catch((err: Error) => p.log(`[uwsgi-route] signal ${num} not raised: ${err.message}`)),
      raiseAlarm: (name, message) => p.raiseAlarm(name, message),
    }),
    ...legionFunctions(ctx.legion),
  };

  const attributes: PropertyDescriptorMap = {
    is_stub: { value: p.isStub, enumerable: true },
    SPOOL_OK: { value: SPOOL_OK, enumerable: true },
    SPOOL_RETRY: { value: SPOOL_RETRY, enumerable: true },
    SPOOL_IGNORE: { value: SPOOL_IGNORE, enumerable: true },
    SymbolsImporter: { value: null, enumerable: true },
    SymbolsZipImporter: { value: null, enumerable: true },
    ZipImporter: { value: null, enumerable: true },
    start_response: { value: null, enumerable: true },
    unbit: { value: false, enumerable: true },
    applications: hook("applications"),
    spooler: hook("spooler"),
    mule_msg_hook: hook("mule_msg_hook"),
    post_fork_hook: hook("post_fork_hook"),
    atexit: hook("atexit"),
    buffer_size: getter(() => p.bufferSize()),
    numproc: getter(() => p.numproc()),
    cores: getter(() => p.cores()),
    has_threads: getter(() => p.hasThreads()),
    env: getter(requestEnv),
    hostname: getter(() => p.hostname()),
    magic_table: getter(() => p.magicTable()),
    opt: getter(() => p.opt()),
    sockets: getter(() => p.sockets()),
    started_on: getter(() => p.startedOn()),
    version: getter(() => p.version()),
    version_info: getter(() => p.versionInfo()),
  };

  function getter(get: () => unknown): PropertyDescriptor {
    return { get, enumerable: true };
  }
  function hook<K extends keyof ModuleHooks>(name: K): PropertyDescriptor {
    return {
      get: () => ctx.hooks[name],
      set: (value: ModuleHooks[K]) => {
        ctx.hooks[name] = value;
      },
      enumerable: true,
    };
  }

  return Object.defineProperties(functions, attributes) as unknown as UwsgiModule;
}
