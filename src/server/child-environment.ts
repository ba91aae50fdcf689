/**
 * The environment the master gives every process it spawns. The `UWSGI_NODE_*` role variables
 * are the contract with the `uwsgi` facade (it picks the runtime backend when it sees them);
 * `UWSGI_NODE_CONFIG` carries the configuration the master resolved once (children never parse
 * options or read config files again) and `UWSGI_NODE_SERVER` what a worker needs to serve.
 * @module
 */
import { decodeInstanceConfig, encodeInstanceConfig } from "../config/config-transfer.js";
import type { InstanceConfig } from "../config/instance-config.js";
import type { SocketProto } from "./listen-address.js";
import type { AppSpec } from "./server-settings.js";
import type { RemoteAccess } from "./uwsgi-protocol/modifier-handlers.js";
import type { RequestIoSettings } from "./request-io/request-io-settings.js";
import type { LimitSettings } from "./limits/limit-settings.js";
import type { RequestLogPlan } from "./logging/instance-logs.js";

/** Kind of process the master spawns. */
export type ChildRole = "worker" | "mule" | "spooler";

/** A listening socket as a child sees it: the descriptor it inherited. */
export interface InheritedSocket {
  readonly fd: number;
  readonly proto: SocketProto;
  readonly name: string;
}

/** Serving parameters of a worker, decided by the master. */
export interface WorkerPlan {
  readonly sockets: readonly InheritedSocket[];
  readonly app: AppSpec | null;
  readonly numproc: number;
  readonly listen: number;
  readonly bufferSize: number;
  readonly harakiri: number;
  readonly maxRequests: number;
  readonly reloadOnRss: number;
  readonly disableLogging: boolean;
  readonly logto: string | null;
  /** Where request lines go: an inherited descriptor (and its path, for reopening); null: through the master (stdout). */
  readonly requestLog: RequestLogPlan | null;
  readonly workerReloadMercy: number;
  readonly memoryReport: boolean;
  /** Sample the Node runtime (event loop, heap, GC) for the stats server (`--stats` is set). */
  readonly runtimeMetrics: boolean;
  /** Unix seconds the instance started. */
  readonly startedOn: number;
  /** True for processes spawned by a reload (uwsgi.is_a_reload()). */
  readonly isReload: boolean;
  /** The config's magic variables (`uwsgi.magic_table`), one-letter keys. */
  readonly magicTable: Readonly<Record<string, string>>;
  /** Remote operations served on uwsgi sockets, and to whom. */
  readonly remote: RemoteAccess;
  /** Websocket limits and the request log format. */
  readonly requestIo: RequestIoSettings;
  /** Read timeouts, keep-alive, body size and connection limits. */
  readonly limits: LimitSettings;
}

/** Everything a child learns from its environment. */
export interface ChildIdentity {
  readonly role: ChildRole;
  /** Worker id 1..N, mule id 1..M, spooler index 1..S. */
  readonly id: number;
  readonly masterPid: number;
  readonly instance: string;
  /** The configuration the master resolved. */
  readonly config: InstanceConfig;
  /** Present in workers. */
  readonly plan: WorkerPlan | null;
}

/** Names of the variables. */
export const ENV = {
  role: "UWSGI_NODE_ROLE",
  id: "UWSGI_NODE_ID",
  masterPid: "UWSGI_NODE_MASTER_PID",
  instance: "UWSGI_NODE_INSTANCE",
  config: "UWSGI_NODE_CONFIG",
  server: "UWSGI_NODE_SERVER",
} as const;

/** The variables to add to a child's environment. */
export function childEnvironment(identity: ChildIdentity): Record<string, string> {
  const env: Record<string, string> = {
    [ENV.role]: identity.role,
    [ENV.id]: String(identity.id),
    [ENV.masterPid]: String(identity.masterPid),
    [ENV.instance]: identity.instance,
    [ENV.config]: encodeInstanceConfig(identity.config),
  };
  if (identity.plan) env[ENV.server] = JSON.stringify(identity.plan);
  return env;
}

/**
 * Reads the identity of this process, or null when it was not spawned by our master.
 * @throws UwsgiError UWSGI_ERR_INVALID_ARGUMENT when the configuration variable is missing or unreadable.
 */
export function readChildIdentity(env: NodeJS.ProcessEnv = process.env): ChildIdentity | null {
  const role = env[ENV.role];
  if (role !== "worker" && role !== "mule" && role !== "spooler") return null;
  const config = decodeInstanceConfig(env[ENV.config] ?? "");
  const plan = env[ENV.server] ? (JSON.parse(env[ENV.server]!) as WorkerPlan) : null;
  return {
    role,
    id: Number(env[ENV.id] ?? 0) || 0,
    masterPid: Number(env[ENV.masterPid] ?? 0) || 0,
    instance: env[ENV.instance] ?? "",
    config,
    plan,
  };
}
