/**
 * The parts of uWSGI's stats document (`--stats`) the live views read. uWSGI 2.0 and
 * uwsgi-node write the same fields; anything may be missing from other versions, so every
 * reader treats fields as optional.
 * @module
 */

/** One worker (`workers[]`). */
export interface StatsWorker {
  id: number;
  pid: number;
  accepting?: number;
  requests: number;
  delta_requests?: number;
  exceptions?: number;
  harakiri_count?: number;
  signals?: number;
  status: string;
  /** Bytes (0 unless uWSGI's --memory-report). */
  rss?: number;
  vsz?: number;
  /** µs spent in requests. */
  running_time?: number;
  respawn_count?: number;
  tx?: number;
  /** µs. */
  avg_rt?: number;
}

/** One cache (`caches[]`); a Redis-backed one has no `items`, `hits`, `miss` or `full` (they live in Redis and in the workers). */
export interface StatsCache {
  name: string;
  items?: number;
  max_items: number;
  hits?: number;
  miss?: number;
  full?: number;
}

/** One spooler (`spoolers[]`). */
export interface StatsSpooler {
  dir: string;
  pid: number;
  tasks: number;
  respawns?: number;
  running: number;
}

/** One mule (`mules[]`, when the instance has mules). */
export interface StatsMule {
  id: number;
  pid: number;
  status?: string;
  signals?: number;
  messages?: number;
}

/** One socket (`sockets[]`). */
export interface StatsSocket {
  name: string;
  proto?: string;
  queue?: number;
  max_queue?: number;
}

/** One legion (`legions[]`, uWSGI's SSL builds and uwsgi-node). */
export interface StatsLegion {
  legion: string;
  valor: number;
  quorum?: number;
  /** Unix time this node became Lord; 0 when it is not Lord. */
  i_am_the_lord: number;
  lord_valor?: number;
  lord_uuid?: string;
  /** The Lord's scroll (uwsgi-node only). */
  lord_scroll?: string;
  uuid?: string;
  members?: Array<{ name: string; uuid?: string; valor: number; last_seen: number }>;
}

/** The document. */
export interface StatsDocument {
  version?: string;
  pid?: number;
  listen_queue?: number;
  listen_queue_errors?: number;
  load?: number;
  cwd?: string;
  workers: StatsWorker[];
  caches?: StatsCache[];
  spoolers?: StatsSpooler[];
  mules?: StatsMule[];
  sockets?: StatsSocket[];
  legions?: StatsLegion[];
}
