/**
 * The stub `uwsgi` module: every function of the API emulated in-process over a
 * {@link StubRuntime}. Attributes keep the seed's stub defaults unless an option sets them.
 * @module
 */
import { Buffer } from "node:buffer";
import { readFileSync } from "node:fs";
import type { UwsgiModule, OptValue } from "../api.js";
import { UwsgiError } from "../errors.js";
import { unixSeconds } from "../core/clock.js";
import type { OptionSet } from "../config/option-set.js";
import { cacheFunctions } from "../module/cache-functions.js";
import { metricFunctions } from "../module/metric-functions.js";
import { lockFunctions } from "../module/lock-functions.js";
import { rpcFunctions } from "../module/rpc-functions.js";
import { signalFunctions } from "../module/signal-functions.js";
import { spoolerFunctions } from "../module/spooler-functions.js";
import { muleFunctions } from "../module/mule-functions.js";
import { requestEnv, requestFunctions } from "../module/request-functions.js";
import { socketFunctions } from "../module/socket-functions.js";
import { processMemory } from "../module/process-memory.js";
import { websocketFunctions } from "../module/websocket-functions.js";
import { SPOOL_IGNORE, SPOOL_OK, SPOOL_RETRY } from "../engines/spooler/spool-task-runner.js";
import { CacheClient } from "../client/cache-client.js";
import { RpcClient } from "../client/rpc-client.js";
import { SignalClient } from "../client/signal-client.js";
import { currentStubRole } from "./stub-role.js";
import type { StubRuntime } from "./stub-runtime.js";

/** `uwsgi.opt` from parsed options: bytes values, `true` flags, lists for repeated options. */
export function optFromOptions(options: OptionSet): Record<string, OptValue> {
  const out: Record<string, OptValue> = {};
  for (const { name, value } of options.entries) {
    const v = value === true ? true : Buffer.from(value);
    const prev = out[name];
    if (prev === undefined) out[name] = v;
    else out[name] = Array.isArray(prev) ? [...prev, v] : [prev, v];
  }
  return out;
}

/** Reads a file for `extract()`: a plain path or a `file://` URL. */
export function extractFile(fname: string): Buffer | null {
  try {
    return readFileSync(fname.startsWith("file://") ? new URL(fname) : fname);
  } catch {
    return null;
  }
}

/** Builds the stub module over `rt`. */
export function createStubModule(rt: StubRuntime): UwsgiModule {
  const role = currentStubRole;
  const timeoutMs = () => rt.config.socketTimeout * 1000;
  const cacheClient = new CacheClient(timeoutMs);
  const rpcClient = new RpcClient(timeoutMs);
  const signalClient = new SignalClient(timeoutMs);
  const configured = (name: string) => rt.config.options.has(name);

  const functions = {
    ...cacheFunctions(() => rt.engines.caches, () => cacheClient),
    ...metricFunctions(() => rt.engines.metrics),
    ...lockFunctions(() => rt.locksForRole()),
    ...rpcFunctions(() => rt.engines.rpc, () => rpcClient, () => role().kind === "master" || role().kind === "worker"),
    ...signalFunctions({
      table: () => rt.engines.signals,
      role,
      router: () => ({ raise: (num: number) => rt.raise(num) }),
      sources: () => rt.sources,
      remote: () => signalClient,
      delivery: () => rt.delivery,
    }),
    ...spoolerFunctions({
      dirs: () => rt.spoolDirs(),
      role,
      notify: () => rt.notifySpooler(),
      pids: () => [],
      setFrequency: (s: number) => rt.setSpoolerFrequency(s),
      nowMs: () => rt.clock.nowMs(),
    }),
    ...muleFunctions(() => rt.mules, role),
    ...requestFunctions(() => (configured("buffer-size") ? rt.config.bufferSize : 4096)),
    ...socketFunctions(),
    ...websocketFunctions(),

    // process
    worker_id: () => (role().kind === "worker" ? role().id : 0),
    masterpid: () => 0,
    workers: () => [],
    total_requests: () => 0,
    mem: () => processMemory(),
    micros: () => Math.floor(rt.clock.nowMs() * 1000),
    ready: () => true,
    accepting(flag = true) {
      rt.requests.accepting = flag !== false;
    },
    is_a_reload: () => false,
    reload() {
      rt.requests.reloads++;
      return true;
    },
    stop() {
      rt.requests.stops++;
      return true;
    },
    setprocname(name: string) {
      rt.requests.procname = String(name);
    },
    set_user_harakiri(timeout = 0) {
      if (!Number.isInteger(timeout) || timeout < 0) throw new UwsgiError("UWSGI_ERR_INVALID_ARGUMENT", "timeout", `expected whole seconds >= 0, got ${timeout}`);
      rt.requests.userHarakiri = timeout === 0 ? 0 : unixSeconds(rt.clock) + timeout;
    },
    listen_queue(socket_num = 0): number {
      throw new UwsgiError("UWSGI_ERR_SOCKET_UNKNOWN", `${socket_num} (the stub has no listening sockets)`);
    },
    set_warning_message(message: string) {
      const bytes = Buffer.from(String(message));
      if (bytes.length > 80) rt.log(`[uwsgi-warning] message truncated to 80 bytes`);
      rt.requests.warning = bytes.subarray(0, 80).toString();
      return true;
    },
    loop: () => null,

    // logging
    log(message: string) {
      rt.log(String(message));
      return true;
    },
    logsize: () => rt.logBytes,
    alarm(name: string, message: string) {
      rt.log(`[uwsgi-alarm] no alarm named ${JSON.stringify(name)} is configured; message ignored: ${message}`);
    },

    // async
    async async_sleep(seconds: number) {
      await new Promise((resolve) => setTimeout(resolve, Math.max(0, seconds) * 1000));
      return Buffer.alloc(0);
    },
    suspend: () => new Promise<boolean>((resolve) => setImmediate(() => resolve(true))),
    green_schedule: () => new Promise<boolean>((resolve) => setImmediate(() => resolve(true))),

    // misc
    extract: extractFile,
    embedded_data(symbol_name: string): Buffer {
      throw new UwsgiError("UWSGI_ERR_NOT_IMPLEMENTED", "embedded_data", `a Node process has no symbols linked into a uWSGI binary (asked for ${JSON.stringify(symbol_name)})`);
    },
    route(name: string): number {
      throw new UwsgiError("UWSGI_ERR_NOT_IMPLEMENTED", "route", `the internal routing subsystem is not part of uwsgi-node (route ${JSON.stringify(name)})`);
    },
    i_am_the_lord: () => false,
    lord_scroll: () => null,
    scrolls: () => null,
  };

  const attributes: PropertyDescriptorMap = {
    is_stub: { value: true, enumerable: true },
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
    buffer_size: getter(() => (configured("buffer-size") ? rt.config.bufferSize : 0)),
    numproc: getter(() => (configured("processes") ? rt.config.processes : 0)),
    cores: getter(() => Number(rt.config.options.get("threads") ?? 0) || 0),
    has_threads: getter(() => configured("enable-threads") || configured("threads")),
    env: getter(requestEnv),
    hostname: getter(() => Buffer.alloc(0)),
    magic_table: getter(() => ({})),
    opt: getter(() => optFromOptions(rt.config.options)),
    sockets: getter(() => []),
    started_on: getter(() => 0),
    version: getter(() => Buffer.from("0.0.0")),
    version_info: getter(() => Object.freeze([0, 0, 0, 0, Buffer.alloc(0)])),
  };

  function getter(get: () => unknown): PropertyDescriptor {
    return { get, enumerable: true };
  }
  function hook<K extends keyof StubRuntime["hooks"]>(name: K): PropertyDescriptor {
    return {
      get: () => rt.hooks[name],
      set: (value: StubRuntime["hooks"][K]) => {
        rt.hooks[name] = value;
      },
      enumerable: true,
    };
  }

  return Object.defineProperties(functions, attributes) as unknown as UwsgiModule;
}
