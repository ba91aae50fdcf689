/**
 * A legion whose Lord is elected through a lease in Redis (or Valkey) instead of UDP announces:
 * for networks where UDP between the nodes is not possible. `--legion-redis "NAME URL VALOR"`.
 *
 * Every `--legion-freq` seconds each node writes its member record (valor, hostname, pid,
 * scroll, time) into a hash and reads the others'. The best live member (uWSGI's rule: highest
 * valor, then the greater uuid; arbiters never) takes the lease `SET lord "<uuid>|<token>" NX PX
 * <tolerance>` with a fencing token from `INCR epoch`, and renews it every cycle while it is still
 * the best; when a better member appears it releases it. A node believes it is Lord only until
 * the moment its lease may have expired on the server (the time its last successful renewal was
 * SENT plus the lease time, minus a margin), so two Lords never overlap while Redis keeps its
 * data. Redis loses data when it restarts without persistence: after (re)connecting, a node
 * waits one lease time before it may take the lease, so a Lord that cannot renew has stepped
 * down first. No quorum: Redis is the arbiter.
 * @module
 */
import { Buffer } from "node:buffer";
import { randomUUID } from "node:crypto";
import { hostname } from "node:os";
import type { Redis as RedisClient } from "ioredis";
import type { LegionGlobals, RedisLegionConfig } from "../../config/legion-options.js";
import type { LegionView } from "../../engines/legion/legion-state.js";
import { UwsgiError } from "../../errors.js";
import { runLegionHooks } from "./legion-hooks.js";
import type { LegionMemberHost } from "./legion-member.js";

interface MemberRecord {
  valor: number;
  name: string;
  pid: number;
  scroll: string | null;
  /** ms since the epoch, the writer's clock. */
  seen: number;
}

/** Safety margin subtracted from the lease when deciding how long this node may believe it is Lord. */
const MARGIN_MS = 500;

const RENEW = "if redis.call('get', KEYS[1]) == ARGV[1] then return redis.call('pexpire', KEYS[1], ARGV[2]) else return 0 end";
const RELEASE = "if redis.call('get', KEYS[1]) == ARGV[1] then return redis.call('del', KEYS[1]) else return 0 end";

function better(a: { valor: number; uuid: string }, b: { valor: number; uuid: string }): boolean {
  return a.valor > b.valor || (a.valor === b.valor && a.uuid > b.uuid);
}

/** This instance in one Redis lease legion. */
export class RedisLeaseLegion {
  readonly uuid: string = randomUUID();
  readonly #cfg: RedisLegionConfig;
  readonly #globals: LegionGlobals;
  readonly #host: LegionMemberHost;
  readonly #prefix: string;
  #redis: RedisClient | null = null;
  #timer: NodeJS.Timeout | null = null;
  #stopped = false;
  #running: Promise<void> | null = null;
  /** When the connection was last (re)established; 0 while disconnected. */
  #connectedAt = 0;
  #token = "";
  /** ms until which this node may believe it holds the lease; 0 = not Lord. */
  #lordUntil = 0;
  #lordSince = 0;
  #lordPending = false;
  #suspendedUntil = 0;
  #members = new Map<string, MemberRecord>();
  #joinOrder: string[] = [];
  #lordUuid = "";
  #lastError = "";
  #deadline: NodeJS.Timeout | null = null;

  constructor(cfg: RedisLegionConfig, globals: LegionGlobals, host: LegionMemberHost) {
    this.#cfg = cfg;
    this.#globals = globals;
    this.#host = host;
    this.#prefix = `uwsgi-node:legion:${cfg.name}:`;
  }

  get name(): string {
    return this.#cfg.name;
  }

  /** Lease time in ms: `--legion-tolerance`. */
  get #leaseMs(): number {
    return this.#globals.tolerance * 1000;
  }

  /** True while this node holds a lease that cannot have expired yet. */
  isLord(now = Date.now()): boolean {
    return this.#lordSince > 0 && now < this.#lordUntil;
  }

  /** The fencing token of the current lordship (`epoch` at acquisition), "" when not Lord. */
  get fencingToken(): string {
    return this.isLord() ? this.#token : "";
  }

  async start(): Promise<void> {
    const { Redis } = await import("ioredis");
    const redis = new Redis(this.#cfg.url, { lazyConnect: true, maxRetriesPerRequest: 1, enableOfflineQueue: false, connectTimeout: 2000, retryStrategy: () => 500 });
    redis.on("ready", () => {
      this.#connectedAt = Date.now();
      this.#host.log(`[uwsgi-legion] ${this.#cfg.name}: connected to ${this.#cfg.url}`);
    });
    redis.on("end", () => (this.#connectedAt = 0));
    redis.on("close", () => (this.#connectedAt = 0));
    redis.on("error", (err: Error) => this.#report(new UwsgiError("UWSGI_ERR_LEGION_REDIS", this.#cfg.name, err.message).message + " (UWSGI_ERR_LEGION_REDIS)"));
    this.#redis = redis;
    await runLegionHooks("setup", this.#cfg.name, this.#cfg.hooks, this.#host);
    redis.connect().catch(() => undefined);
    this.#host.log(`legion ${this.#cfg.name}: Redis lease legion on ${this.#cfg.url} (uuid ${this.uuid}, valor ${this.#cfg.valor})`);
    this.#schedule(0);
  }

  /** Logs a connection problem once until it changes. */
  #report(line: string): void {
    if (line === this.#lastError) return;
    this.#lastError = line;
    this.#host.log(`[uwsgi-legion] ${line}`);
  }

  #schedule(ms: number): void {
    if (this.#stopped) return;
    this.#timer = setTimeout(() => {
      this.#running = this.#cycle().finally(() => {
        this.#running = null;
        this.#schedule(this.#globals.freq * 1000);
      });
    }, ms);
  }

  async #cycle(): Promise<void> {
    const redis = this.#redis!;
    const now = Date.now();
    // The lease may have run out on the server: step down before anyone else can take it.
    if (this.#lordSince && now >= this.#lordUntil) await this.#unlord("its lease could not be renewed in time");
    if (!this.#connectedAt) return;
    try {
      const me: MemberRecord = { valor: this.#cfg.valor, name: hostname(), pid: process.pid, scroll: this.#cfg.scroll, seen: now };
      await redis.hset(`${this.#prefix}members`, this.uuid, JSON.stringify(me));
      this.#readMembers(await redis.hgetall(`${this.#prefix}members`), now);
      const current = await redis.get(`${this.#prefix}lord`);
      this.#lordUuid = current ? current.split("|")[0]! : "";
      const best = this.#best(now);
      const iAmBest = best.uuid === this.uuid && this.#cfg.valor > 0 && now > this.#suspendedUntil;
      if (this.#lordSince) {
        const value = `${this.uuid}|${this.#token}`;
        if (!iAmBest) {
          await redis.eval(RELEASE, 1, `${this.#prefix}lord`, value);
          await this.#unlord("a better member is alive");
          return;
        }
        const sent = Date.now();
        const renewed = await redis.eval(RENEW, 1, `${this.#prefix}lord`, value, String(this.#leaseMs));
        if (renewed === 1) this.#holdUntil(sent + this.#leaseMs - MARGIN_MS);
        else await this.#unlord("its lease is gone from Redis");
      } else if (iAmBest && !this.#lordPending && !current && Date.now() - this.#connectedAt >= this.#leaseMs) {
        const token = String(await redis.incr(`${this.#prefix}epoch`));
        const sent = Date.now();
        const ok = await redis.set(`${this.#prefix}lord`, `${this.uuid}|${token}`, "PX", this.#leaseMs, "NX");
        if (ok === "OK") {
          this.#token = token;
          this.#holdUntil(sent + this.#leaseMs - MARGIN_MS);
          this.#lordUuid = this.uuid;
          await this.#becomeLord();
        }
      }
      this.#lastError = "";
      this.#host.changed();
    } catch (err) {
      this.#report(new UwsgiError("UWSGI_ERR_LEGION_REDIS", this.#cfg.name, (err as Error).message).message + " (UWSGI_ERR_LEGION_REDIS)");
    }
  }

  /** Believes in the lease until `until`, and steps down then unless a renewal moved it. */
  #holdUntil(until: number): void {
    this.#lordUntil = until;
    if (this.#deadline) clearTimeout(this.#deadline);
    this.#deadline = setTimeout(() => {
      this.#deadline = null;
      if (this.#lordSince && Date.now() >= this.#lordUntil) void this.#unlord("its lease could not be renewed in time");
    }, Math.max(0, until - Date.now()));
    this.#deadline.unref();
  }

  #readMembers(all: Record<string, string>, now: number): void {
    const tolerance = this.#globals.tolerance * 1000;
    const fresh = new Map<string, MemberRecord>();
    for (const [uuid, json] of Object.entries(all)) {
      if (uuid === this.uuid) continue;
      try {
        const m = JSON.parse(json) as MemberRecord;
        if (now - m.seen <= tolerance) fresh.set(uuid, m);
      } catch {
        // a foreign or corrupt record: not a member
      }
    }
    for (const uuid of fresh.keys()) {
      if (!this.#members.has(uuid)) {
        const m = fresh.get(uuid)!;
        this.#host.log(`[uwsgi-legion] ${m.valor > 0 ? "node" : "arbiter"}: ${m.name} valor: ${m.valor} uuid: ${uuid} joined Legion ${this.#cfg.name}`);
        void runLegionHooks("node-joined", this.#cfg.name, this.#cfg.hooks, this.#host);
      }
    }
    for (const [uuid, m] of this.#members) {
      if (!fresh.has(uuid)) {
        this.#host.log(`[uwsgi-legion] ${m.valor > 0 ? "node" : "arbiter"}: ${m.name} valor: ${m.valor} uuid: ${uuid} left Legion ${this.#cfg.name}`);
        void runLegionHooks("node-left", this.#cfg.name, this.#cfg.hooks, this.#host);
      }
    }
    this.#joinOrder = [...this.#joinOrder.filter((u) => fresh.has(u)), ...[...fresh.keys()].filter((u) => !this.#joinOrder.includes(u))];
    this.#members = fresh;
  }

  #best(now: number): { uuid: string; valor: number } {
    let best = { uuid: this.uuid, valor: now > this.#suspendedUntil ? this.#cfg.valor : 0 };
    for (const [uuid, m] of this.#members) if (m.valor > 0 && better({ uuid, valor: m.valor }, best)) best = { uuid, valor: m.valor };
    return best;
  }

  async #becomeLord(): Promise<void> {
    this.#lordPending = true;
    this.#host.log(`[uwsgi-legion] attempting to become the Lord of the Legion ${this.#cfg.name}`);
    const ok = await runLegionHooks("lord", this.#cfg.name, this.#cfg.hooks, this.#host);
    this.#lordPending = false;
    if (!ok && this.#globals.deathOnLordError > 0) {
      await this.#redis?.eval(RELEASE, 1, `${this.#prefix}lord`, `${this.uuid}|${this.#token}`).catch(() => 0);
      this.#lordUntil = 0;
      this.#suspendedUntil = Date.now() + this.#globals.deathOnLordError * 1000;
      this.#host.log(`[uwsgi-legion] suspending myself from Legion "${this.#cfg.name}" for ${this.#globals.deathOnLordError} seconds`);
      return;
    }
    this.#lordSince = Math.floor(Date.now() / 1000);
    this.#host.log(`[uwsgi-legion] i am now the Lord of the Legion ${this.#cfg.name} (fencing token ${this.#token})`);
    this.#host.changed();
  }

  async #unlord(why: string): Promise<void> {
    if (!this.#lordSince) return;
    this.#lordSince = 0;
    this.#lordUntil = 0;
    if (this.#deadline) clearTimeout(this.#deadline);
    this.#host.log(`[uwsgi-legion] i am no longer the Lord of the Legion ${this.#cfg.name}: ${why}`);
    this.#host.changed();
    await runLegionHooks("unlord", this.#cfg.name, this.#cfg.hooks, this.#host);
  }

  /** What readers see (same shape as a UDP legion's). */
  view(): LegionView {
    const lordMember = this.#lordUuid && this.#lordUuid !== this.uuid ? this.#members.get(this.#lordUuid) : null;
    const lord = this.isLord();
    const scroll = lord ? this.#cfg.scroll : (lordMember?.scroll ?? null);
    const own = Buffer.from(this.#cfg.scroll ?? "");
    return {
      name: this.#cfg.name,
      valor: this.#cfg.valor,
      uuid: this.uuid,
      checksum: 0,
      quorum: 0,
      lordSince: lord ? this.#lordSince : 0,
      lordValor: lord ? this.#cfg.valor : (lordMember?.valor ?? 0),
      lordUuid: Buffer.from(lord ? this.uuid : this.#lordUuid, "latin1"),
      lordScroll: scroll ? Buffer.from(scroll) : null,
      scrolls: this.#joinOrder.length ? [own, ...this.#joinOrder.map((u) => Buffer.from(this.#members.get(u)?.scroll ?? ""))] : [],
      members: this.#joinOrder.map((u) => {
        const m = this.#members.get(u)!;
        return { name: m.name, uuid: u, valor: m.valor, checksum: 0, lastSeen: Math.floor(m.seen / 1000) };
      }),
    };
  }

  /** Death hooks, the lease released, the member record removed, the connection closed. */
  async stop(): Promise<void> {
    if (this.#stopped) return;
    this.#stopped = true;
    if (this.#timer) clearTimeout(this.#timer);
    if (this.#deadline) clearTimeout(this.#deadline);
    await this.#running;
    await runLegionHooks("death", this.#cfg.name, this.#cfg.hooks, this.#host);
    const redis = this.#redis;
    if (!redis) return;
    if (this.#connectedAt) {
      await Promise.allSettled([
        this.#lordSince ? redis.eval(RELEASE, 1, `${this.#prefix}lord`, `${this.uuid}|${this.#token}`) : Promise.resolve(0),
        redis.hdel(`${this.#prefix}members`, this.uuid),
      ]);
    }
    this.#lordSince = 0;
    redis.disconnect();
  }
}
