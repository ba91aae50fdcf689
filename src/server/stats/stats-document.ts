/**
 * Renders a {@link StatsSnapshot} as the stats server's JSON document, byte for byte in uWSGI
 * 2.0.21's layout (same key order, tabs and newlines, or none when minified) so tools that
 * read it (uwsgitop, scrapers) see what they expect. Unlike uWSGI, every string is properly
 * JSON-escaped: uWSGI pastes most strings raw, so a `cwd` or lock name containing `"` breaks
 * its document.
 * @module
 */
import type { StatsSnapshot, StatsWorker, StatsCore, StatsRedisCache } from "./stats-snapshot.js";

/** Rendering switches (`--stats-minified`, `--stats-no-cores`, `--stats-no-metrics`). */
export interface StatsRenderOptions {
  /** No tabs and no newlines. */
  minified?: boolean;
  /** Leave out each worker's `cores` list. */
  noCores?: boolean;
  /** Leave out the `metrics` object. */
  noMetrics?: boolean;
}

type Scalar = string | number;

/** Mirrors uWSGI's stats writer (core/stats.c): the same primitives give the same whitespace. */
class StatsWriter {
  readonly #out: string[] = [];
  readonly #min: boolean;
  #tabs = 1;

  constructor(minified: boolean) {
    this.#min = minified;
    this.#out.push(minified ? "{" : "{\n");
  }

  #indent(): void {
    if (!this.#min) this.#out.push("\t".repeat(this.#tabs));
  }

  #symbolNl(sym: string): void {
    this.#out.push(this.#min ? sym : sym + "\n");
  }

  comma(): void {
    this.#symbolNl(",");
  }

  objectOpen(): void {
    this.#indent();
    if (!this.#min) this.#tabs++;
    this.#symbolNl("{");
  }

  objectClose(): void {
    this.#closeWith("}");
  }

  listOpen(): void {
    this.#tabs++;
    this.#symbolNl("[");
  }

  listClose(): void {
    this.#closeWith("]");
  }

  #closeWith(sym: string): void {
    if (!this.#min) {
      this.#out.push("\n");
      this.#tabs--;
      this.#indent();
    }
    this.#out.push(sym);
  }

  key(name: string): void {
    this.#indent();
    this.#out.push(JSON.stringify(name), ":");
  }

  /** `"key":value` for a string or an integer. */
  keyValue(name: string, value: Scalar): void {
    this.key(name);
    this.#out.push(typeof value === "number" ? integer(value) : JSON.stringify(value));
  }

  /** A bare string list item (uWSGI writes these without indentation). */
  string(value: string): void {
    this.#out.push(JSON.stringify(value));
  }

  /** Key/value pairs separated by commas; `trailingComma` adds one after the last. */
  fields(pairs: ReadonlyArray<readonly [string, Scalar]>, trailingComma = false): void {
    pairs.forEach(([k, v], i) => {
      this.keyValue(k, v);
      if (trailingComma || i < pairs.length - 1) this.comma();
    });
  }

  /** A list of objects, each written by `each`. */
  objectList<T>(items: readonly T[], each: (item: T) => void): void {
    this.listOpen();
    items.forEach((item, i) => {
      this.objectOpen();
      each(item);
      this.objectClose();
      if (i < items.length - 1) this.comma();
    });
    this.listClose();
  }

  toString(): string {
    return this.#out.join("");
  }
}

/** A Redis-backed cache's fields (see StatsRedisCache): the near copy's only when it has one. */
function redisCacheFields(c: StatsRedisCache): Array<readonly [string, Scalar]> {
  const pairs: Array<readonly [string, Scalar]> = [
    ["name", c.name],
    ["backend", c.backend],
    ["keysize", c.keysize],
    ["max_items", c.max_items],
    ["blocks", c.blocks],
    ["blocksize", c.blocksize],
  ];
  if (c.near_max_items !== undefined) {
    pairs.push(["near_max_items", c.near_max_items], ["near_items", c.near_items ?? 0], ["near_hits", c.near_hits ?? 0], ["near_miss", c.near_miss ?? 0]);
  }
  return pairs;
}

/** Integers as uWSGI prints them; anything non-finite becomes 0. */
function integer(n: number): string {
  return Number.isFinite(n) ? Math.trunc(n).toString() : "0";
}

/**
 * Renders the stats document.
 * @example
 * ```ts
 * socket.end(renderStatsJson(snapshot, { minified: true }));
 * ```
 */
export function renderStatsJson(snapshot: StatsSnapshot, options: StatsRenderOptions = {}): string {
  const s = snapshot;
  const w = new StatsWriter(options.minified ?? false);
  w.fields(
    [
      ["version", s.version],
      ["listen_queue", s.listen_queue],
      ["listen_queue_errors", s.listen_queue_errors],
      ["signal_queue", s.signal_queue],
      ["load", s.load],
      ["pid", s.pid],
      ["uid", s.uid],
      ["gid", s.gid],
      ["cwd", s.cwd],
      ...(s.remote_refused === undefined ? [] : ([["remote_refused", s.remote_refused]] as const)),
    ],
    true,
  );

  if (s.daemons) {
    w.key("daemons");
    w.objectList(s.daemons, (d) => w.fields([["cmd", d.cmd], ["pid", d.pid], ["respawns", d.respawns]]));
    w.comma();
  }

  w.key("locks");
  w.objectList(s.locks, (l) => w.keyValue(l.name, l.pid));
  w.comma();

  if (s.caches) {
    w.key("caches");
    w.objectList(s.caches, (c) =>
      "backend" in c ? w.fields(redisCacheFields(c)) : w.fields([
        ["name", c.name],
        ["hash", c.hash],
        ["hashsize", c.hashsize],
        ["keysize", c.keysize],
        ["max_items", c.max_items],
        ["blocks", c.blocks],
        ["blocksize", c.blocksize],
        ["items", c.items],
        ["hits", c.hits],
        ["miss", c.miss],
        ["full", c.full],
        ["last_modified_at", c.last_modified_at],
      ]),
    );
    w.comma();
  }

  if (s.metrics && !options.noMetrics) {
    w.key("metrics");
    w.objectOpen();
    s.metrics.forEach((m, i) => {
      w.key(m.name);
      w.objectOpen();
      w.fields([["type", m.type], ["oid", m.oid], ["value", m.value]]);
      w.objectClose();
      if (i < s.metrics!.length - 1) w.comma();
    });
    w.objectClose();
    w.comma();
  }

  w.key("sockets");
  w.objectList(s.sockets, (k) =>
    w.fields([
      ["name", k.name],
      ["proto", k.proto],
      ["queue", k.queue],
      ["max_queue", k.max_queue],
      ["shared", k.shared],
      ["can_offload", k.can_offload],
    ]),
  );
  w.comma();

  w.key("workers");
  w.objectList(s.workers, (worker) => writeWorker(w, worker, options.noCores ?? false));

  if (s.spoolers) {
    w.comma();
    w.key("spoolers");
    w.objectList(s.spoolers, (p) =>
      w.fields([["dir", p.dir], ["pid", p.pid], ["tasks", p.tasks], ["respawns", p.respawns], ["running", p.running]]),
    );
  }

  if (s.crons) {
    w.comma();
    w.key("crons");
    w.objectList(s.crons, (c) =>
      w.fields([
        ["minute", c.minute],
        ["hour", c.hour],
        ["day", c.day],
        ["month", c.month],
        ["week", c.week],
        ["command", c.command],
        ["unique", c.unique],
        ["legion", c.legion],
        ["pid", c.pid],
        ["started_at", c.started_at],
      ]),
    );
  }

  if (s.legions) {
    w.comma();
    w.key("legions");
    w.objectList(s.legions, (l) => {
      w.fields(
        [
          ["legion", l.legion],
          ["addr", l.addr],
          ["uuid", l.uuid],
          ["valor", l.valor],
          ["checksum", l.checksum],
          ["quorum", l.quorum],
          ["i_am_the_lord", l.i_am_the_lord],
          ["lord_valor", l.lord_valor],
          ["lord_uuid", l.lord_uuid],
        ],
        true,
      );
      w.key("nodes");
      w.listOpen();
      l.nodes.forEach((n, i) => {
        w.string(n);
        if (i < l.nodes.length - 1) w.comma();
      });
      w.listClose();
      w.comma();
      w.key("members");
      w.objectList(l.members, (m) =>
        w.fields([["name", m.name], ["uuid", m.uuid], ["valor", m.valor], ["checksum", m.checksum], ["last_seen", m.last_seen]]),
      );
      // uwsgi-node's addition, after uWSGI's keys
      w.comma();
      w.fields([["lord_scroll", l.lord_scroll]]);
    });
  }

  w.objectClose();
  return w.toString();
}

function writeWorker(w: StatsWriter, worker: StatsWorker, noCores: boolean): void {
  w.fields(
    [
      ["id", worker.id],
      ["pid", worker.pid],
      ["accepting", worker.accepting],
      ["requests", worker.requests],
      ["delta_requests", worker.delta_requests],
      ["exceptions", worker.exceptions],
      ["harakiri_count", worker.harakiri_count],
      ["signals", worker.signals],
      ["signal_queue", worker.signal_queue],
      ["status", worker.status],
      ["rss", worker.rss],
      ["vsz", worker.vsz],
      ["running_time", worker.running_time],
      ["last_spawn", worker.last_spawn],
      ["respawn_count", worker.respawn_count],
      ["tx", worker.tx],
      ["avg_rt", worker.avg_rt],
    ],
    true,
  );
  w.key("apps");
  w.objectList(worker.apps, (a) =>
    w.fields([
      ["id", a.id],
      ["modifier1", a.modifier1],
      ["mountpoint", a.mountpoint],
      ["startup_time", a.startup_time],
      ["requests", a.requests],
      ["exceptions", a.exceptions],
      ["chdir", a.chdir],
    ]),
  );
  if (noCores) return;
  w.comma();
  w.key("cores");
  w.objectList(worker.cores, (c) => writeCore(w, c));
}

function writeCore(w: StatsWriter, core: StatsCore): void {
  w.fields(
    [
      ["id", core.id],
      ["requests", core.requests],
      ["static_requests", core.static_requests],
      ["routed_requests", core.routed_requests],
      ["offloaded_requests", core.offloaded_requests],
      ["write_errors", core.write_errors],
      ["read_errors", core.read_errors],
      ["in_request", core.in_request],
    ],
    true,
  );
  const inRequest = core.in_request !== 0;
  w.key("vars");
  w.listOpen();
  if (inRequest && core.vars.length > 0) {
    for (const [k, v] of core.vars) {
      w.string(`${k}=${v}`);
      w.comma();
    }
    w.string("");
  }
  w.listClose();
  w.comma();
  w.key("req_info");
  w.objectOpen();
  if (inRequest && core.request_start !== undefined) w.keyValue("request_start", core.request_start);
  w.objectClose();
}
