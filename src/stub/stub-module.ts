/**
 * The stub `uwsgi` module: the module factory over a {@link StubRuntime}'s engines and an
 * in-process context. Attributes keep the seed's stub defaults unless an option sets them.
 * @module
 */
import { Buffer } from "node:buffer";
import type { UwsgiModule } from "../api.js";
import { unixSeconds } from "../core/clock.js";
import { UwsgiError } from "../errors.js";
import { createModule } from "../module/create-module.js";
import { optFromOptions } from "../module/module-options.js";
import type { EngineSet, ProcessContext, ProcessInfo } from "../module/process-context.js";
import { currentStubRole } from "./stub-role.js";
import type { StubRuntime } from "./stub-runtime.js";

/** The stub's engines: rebuilt by every `configure()`, so read through the runtime each time. */
function stubEngines(rt: StubRuntime): EngineSet {
  return {
    caches: () => rt.engines.caches,
    redisCaches: () => rt.engines.redisCaches,
    metrics: () => rt.engines.metrics,
    locks: () => rt.locksForRole(),
    rpc: () => rt.engines.rpc,
    signals: () => rt.engines.signals,
  };
}

/** Process facts of the stub: the seed's stub defaults, recorded requests for tests to check. */
function stubProcess(rt: StubRuntime): ProcessInfo {
  const configured = (name: string) => rt.config.options.has(name);
  return {
    isStub: true,
    numproc: () => (configured("processes") ? rt.config.processes : 0),
    bufferSize: () => (configured("buffer-size") ? rt.config.bufferSize : 0),
    requestBufferSize: () => (configured("buffer-size") ? rt.config.bufferSize : 4096),
    cores: () => Number(rt.config.options.get("threads") ?? 0) || 0,
    hasThreads: () => configured("enable-threads") || configured("threads"),
    hostname: () => Buffer.alloc(0),
    magicTable: () => ({}),
    opt: () => optFromOptions(rt.config.options),
    sockets: () => [],
    startedOn: () => 0,
    version: () => Buffer.from("0.0.0"),
    versionInfo: () => Object.freeze([0, 0, 0, 0, Buffer.alloc(0)] as const),
    masterpid: () => 0,
    workers: () => [],
    totalRequests: () => 0,
    micros: () => Math.floor(rt.clock.nowMs() * 1000),
    isAReload: () => false,
    accepting(flag) {
      rt.requests.accepting = flag;
    },
    reload() {
      rt.requests.reloads++;
      return true;
    },
    stop() {
      rt.requests.stops++;
      return true;
    },
    setprocname(name) {
      rt.requests.procname = name;
    },
    setUserHarakiri(timeout) {
      rt.requests.userHarakiri = timeout === 0 ? 0 : unixSeconds(rt.clock) + timeout;
    },
    listenQueue(socketNum) {
      throw new UwsgiError("UWSGI_ERR_SOCKET_UNKNOWN", `${socketNum} (the stub has no listening sockets)`);
    },
    setWarningMessage(message) {
      const bytes = Buffer.from(message);
      if (bytes.length > 80) rt.log(`[uwsgi-warning] message truncated to 80 bytes`);
      rt.requests.warning = bytes.subarray(0, 80).toString();
      return true;
    },
    log: (message) => rt.log(message),
    logsize: () => rt.logBytes,
    raiseAlarm(name, message) {
      rt.log(`[uwsgi-alarm] alarm ${JSON.stringify(name)} raised: ${message} (the stub runs no alarm plugins)`);
    },
  };
}

/** The stub's process context: every role emulated in this process (see `runAsRole`). */
function stubContext(rt: StubRuntime): ProcessContext {
  return {
    role: currentStubRole,
    process: stubProcess(rt),
    hooks: rt.hooks,
    signalRouter: () => ({ raise: (num: number) => rt.raise(num) }),
    signalSources: () => rt.sources,
    signalDelivery: () => rt.delivery,
    muleTransport: () => rt.mules,
    spooler: {
      dirs: () => rt.spoolDirs(),
      notify: () => rt.notifySpooler(),
      pids: () => [],
      setFrequency: (s: number) => rt.setSpoolerFrequency(s),
      nowMs: () => rt.clock.nowMs(),
    },
    rpcMayRegister: () => currentStubRole().kind === "master" || currentStubRole().kind === "worker",
    // one process: nothing to route RPC calls to
    rpcRouting: () => null,
    // the stub is in no legion
    legion: () => null,
    socketTimeoutMs: () => rt.config.socketTimeout * 1000,
  };
}

/** Builds the stub module over `rt`. */
export function createStubModule(rt: StubRuntime): UwsgiModule {
  return createModule(stubEngines(rt), stubContext(rt));
}
