/**
 * The data the master keeps for its stats server (`--stats`): a plain, serialisable picture of
 * the instance at one moment. The master builds one per stats request; `renderStatsJson` turns
 * it into uWSGI's JSON document. Field names and units follow uWSGI 2.0.21 (times in µs,
 * timestamps in unix seconds, sizes in bytes).
 * @module
 */
import type { CacheStats } from "../../engines/cache/cache-engine.js";

/** The whole instance, in the order uWSGI emits it. Optional sections are left out when absent. */
export interface StatsSnapshot {
  /** Server version string, e.g. `2.0.21-uwsgi-node`. */
  version: string;
  /** Largest backlog among the listening sockets (Linux). */
  listen_queue: number;
  /** Times the backlog was found full. */
  listen_queue_errors: number;
  /** Bytes waiting in the shared worker signal queue. */
  signal_queue: number;
  /** Same value as `listen_queue` in uWSGI 2.0.21. */
  load: number;
  /** Master pid. */
  pid: number;
  uid: number;
  gid: number;
  /** Master's working directory. */
  cwd: string;
  /** uwsgi-node: remote-operation requests refused (disabled, or a peer not allowed); omitted when undefined. */
  remote_refused?: number;
  /** Attached daemons (`--attach-daemon`); the section is omitted when undefined. */
  daemons?: StatsDaemon[];
  /** Lock owners, in registration order. */
  locks: StatsLock[];
  /** Caches, the shared-memory ones first, then the Redis-backed ones; omitted when undefined. */
  caches?: Array<StatsCache | StatsRedisCache>;
  /** Metrics by name, in registration order; omitted when undefined (no `--enable-metrics`). */
  metrics?: StatsMetric[];
  /** Listening sockets. */
  sockets: StatsSocket[];
  /** Workers, by id. */
  workers: StatsWorker[];
  /** One entry per spooler process; omitted when undefined. */
  spoolers?: StatsSpooler[];
  /** Command crons; omitted when undefined. */
  crons?: StatsCron[];
  /** Legions; omitted when undefined. */
  legions?: StatsLegion[];
}

/** An attached daemon. */
export interface StatsDaemon {
  cmd: string;
  /** 0 when not running. */
  pid: number;
  respawns: number;
}

/** One lock: its name (`user 0`, `signal`, `cache_<name>`, `spooler on <dir>` ...) and the pid holding it (0 = free). */
export interface StatsLock {
  name: string;
  pid: number;
}

/** A cache's geometry and counters: what the cache engine reports. */
export type StatsCache = CacheStats;

/**
 * A Redis-backed cache (`--cache2 ...,backend=redis://...`): what the master knows without asking
 * Redis. Its items live in Redis and its hits/misses are counted in each worker, so `hash`,
 * `hashsize`, `items`, `hits`, `miss`, `full` and `last_modified_at` are left out (not shown as
 * 0); `backend` (the URL, password masked) is uwsgi-node's, and so are the `near_*` counters of
 * the instance's near copy (`near=N`, shared memory), present only with one.
 */
export interface StatsRedisCache {
  name: string;
  backend: string;
  keysize: number;
  /** `items` as configured (at most `items - 1` live keys, as in a shared-memory cache). */
  max_items: number;
  blocks: number;
  blocksize: number;
  /** `near=N`: the items the near copy holds at most. */
  near_max_items?: number;
  near_items?: number;
  near_hits?: number;
  near_miss?: number;
}

/** A metric: name, type (0 counter, 1 gauge, 2 absolute, 3 alias), SNMP oid (or "") and value. */
export interface StatsMetric {
  name: string;
  type: number;
  oid: string;
  value: number;
}

/** A listening socket. */
export interface StatsSocket {
  name: string;
  /** "uwsgi", "http" ... */
  proto: string;
  queue: number;
  max_queue: number;
  shared: number;
  can_offload: number;
}

/** Worker status as the stats server shows it: idle, busy, cheap, pause or `sig<N>`. */
export type StatsWorkerStatus = "idle" | "busy" | "cheap" | "pause" | `sig${number}`;

/** A worker process. */
export interface StatsWorker {
  id: number;
  pid: number;
  /** 1 while the worker accepts requests. */
  accepting: number;
  requests: number;
  delta_requests: number;
  exceptions: number;
  harakiri_count: number;
  signals: number;
  /** Bytes waiting in this worker's private signal queue. */
  signal_queue: number;
  status: StatsWorkerStatus;
  rss: number;
  vsz: number;
  /** µs spent serving requests. */
  running_time: number;
  last_spawn: number;
  /** Raw spawn counter: 1 after the first spawn. */
  respawn_count: number;
  tx: number;
  /** µs, running average. */
  avg_rt: number;
  apps: StatsApp[];
  /** Omitted from the document with `--stats-no-cores`. */
  cores: StatsCore[];
}

/** An application loaded in a worker. */
export interface StatsApp {
  id: number;
  modifier1: number;
  mountpoint: string;
  startup_time: number;
  requests: number;
  exceptions: number;
  chdir: string;
}

/** A core (request slot) of a worker. */
export interface StatsCore {
  id: number;
  requests: number;
  static_requests: number;
  routed_requests: number;
  offloaded_requests: number;
  write_errors: number;
  read_errors: number;
  /** 1 while serving a request. */
  in_request: number;
  /** The current request's vars as `[key, value]` pairs (only while `in_request`). */
  vars: Array<readonly [string, string]>;
  /** Unix seconds the current request started (only while `in_request`). */
  request_start?: number;
}

/** A spooler process. */
export interface StatsSpooler {
  dir: string;
  pid: number;
  tasks: number;
  respawns: number;
  running: number;
}

/** A command cron (`--cron` and friends). Negative fields mean "every" / "every N". */
export interface StatsCron {
  minute: number;
  hour: number;
  day: number;
  month: number;
  week: number;
  command: string;
  unique: number;
  legion: string;
  /** −1 when not running. */
  pid: number;
  started_at: number;
}

/** A legion this node belongs to. */
export interface StatsLegion {
  legion: string;
  addr: string;
  uuid: string;
  valor: number;
  checksum: number;
  quorum: number;
  /** Unix time this node became lord, 0 when it is not. */
  i_am_the_lord: number;
  lord_valor: number;
  lord_uuid: string;
  /** The Lord's scroll (`--legion-scroll` of the Lord), "" when none (uwsgi-node adds it). */
  lord_scroll: string;
  nodes: string[];
  members: StatsLegionMember[];
}

/** A member seen in a legion. */
export interface StatsLegionMember {
  name: string;
  uuid: string;
  valor: number;
  checksum: number;
  last_seen: number;
}
