/**
 * The master's side of a near cache: subscribes to Redis's invalidation messages for the cache's
 * key prefix (`CLIENT TRACKING on REDIRECT <id> BCAST PREFIX <prefix>i:` on one connection,
 * `SUBSCRIBE __redis__:invalidate` on another, RESP2 as ioredis speaks it) and applies them to the
 * {@link NearCache}; pings every 0.5 s and stamps the heartbeat on each reply; switches the copy
 * off whenever either connection is not in place, and on again once tracking is re-established.
 * @module
 */
import { Buffer } from "node:buffer";
import type { Redis as RedisClient } from "ioredis";
import { UwsgiError } from "../errors.js";
import type { NearCache } from "./near-cache.js";
import type { RedisCacheOptions } from "./redis-cache-options.js";

const PING_MS = 500;

/** Keeps one near cache coherent with Redis. */
export class NearCacheInvalidator {
  readonly #opts: RedisCacheOptions;
  readonly #near: NearCache;
  readonly #log: (line: string) => void;
  readonly #itemPrefix: Buffer;
  #sub: RedisClient | null = null;
  #ctl: RedisClient | null = null;
  #timer: NodeJS.Timeout | null = null;
  #subId = "";
  #on = false;
  #stopped = false;
  #pingPending = false;
  #lastError = "";

  constructor(opts: RedisCacheOptions, near: NearCache, log: (line: string) => void) {
    this.#opts = opts;
    this.#near = near;
    this.#log = log;
    this.#itemPrefix = Buffer.from(`${opts.prefix}i:`);
  }

  /** Connects; the copy switches on once tracking is in place. */
  async start(): Promise<void> {
    const { Redis } = await import("ioredis");
    const options = { lazyConnect: true, enableOfflineQueue: false, maxRetriesPerRequest: 0, autoResubscribe: false, autoResendUnfulfilledCommands: false, connectTimeout: 2000, retryStrategy: (n: number) => Math.min(n * 100, 1000) };
    const sub = new Redis(this.#opts.url, options);
    const ctl = new Redis(this.#opts.url, options);
    this.#sub = sub;
    this.#ctl = ctl;
    for (const c of [sub, ctl]) c.on("error", (err: Error) => this.#report(err.message));
    sub.on("close", () => {
      this.#subId = "";
      this.#off("the invalidation connection closed");
    });
    ctl.on("close", () => this.#off("the tracking connection closed"));
    // a connection that (re)connected is a new client: subscribe it afresh, redirect tracking to it
    sub.on("ready", () => void this.#subscribe());
    ctl.on("ready", () => void this.#track());
    sub.on("messageBuffer", (_channel: Buffer, message: Buffer | Buffer[] | null) => this.#onInvalidate(message));
    sub.connect().catch(() => undefined);
    ctl.connect().catch(() => undefined);
    this.#timer = setInterval(() => this.#ping(), PING_MS);
    this.#timer.unref();
  }

  #report(message: string): void {
    const line = `[uwsgi-cache] near cache of "${this.#opts.name}": ${new UwsgiError("UWSGI_ERR_CACHE_REDIS", JSON.stringify(this.#opts.name), this.#opts.displayUrl, message).message} (UWSGI_ERR_CACHE_REDIS)`;
    if (line === this.#lastError) return;
    this.#lastError = line;
    this.#log(line);
  }

  #off(why: string): void {
    if (!this.#on) return;
    this.#on = false;
    this.#near.setOn(false);
    if (!this.#stopped) this.#log(`[uwsgi-cache] near cache of "${this.#opts.name}" off: ${why}; reads go to Redis`);
  }

  async #subscribe(): Promise<void> {
    const sub = this.#sub!;
    try {
      const id = String(await sub.client("ID"));
      await sub.subscribe("__redis__:invalidate");
      this.#subId = id;
      await this.#track();
    } catch (err) {
      this.#report((err as Error).message);
    }
  }

  /** Both connections ready: tracking (re)enabled towards the subscribed one, the copy switched on. */
  async #track(): Promise<void> {
    const ctl = this.#ctl!;
    const id = this.#subId;
    if (this.#stopped || !id || ctl.status !== "ready") return;
    try {
      this.#off("re-establishing tracking");
      await ctl.call("CLIENT", "TRACKING", "off");
      await ctl.call("CLIENT", "TRACKING", "on", "REDIRECT", id, "BCAST", "PREFIX", `${this.#opts.prefix}i:`);
      if (id !== this.#subId || this.#on) return;
      this.#on = true;
      this.#near.setOn(true);
      this.#lastError = "";
      this.#log(`[uwsgi-cache] near cache of "${this.#opts.name}" on (${this.#opts.near} items, invalidated by Redis client tracking)`);
    } catch (err) {
      this.#report((err as Error).message);
    }
  }

  #onInvalidate(message: Buffer | Buffer[] | null): void {
    if (message === null) return this.#near.invalidate(null);
    for (const key of Array.isArray(message) ? message : [message]) {
      if (key.length >= this.#itemPrefix.length && key.subarray(0, this.#itemPrefix.length).equals(this.#itemPrefix)) {
        this.#near.invalidate(key.subarray(this.#itemPrefix.length));
      }
    }
  }

  /** Heartbeat: a reply on the subscribed connection comes after every invalidation sent before it. */
  #ping(): void {
    const sub = this.#sub;
    if (!this.#on || !sub || this.#pingPending) {
      if (this.#on && this.#pingPending) this.#off("Redis did not answer a ping in time");
      return;
    }
    this.#pingPending = true;
    sub.ping().then(
      () => {
        this.#pingPending = false;
        if (this.#on) this.#near.beat();
      },
      (err: Error) => {
        this.#pingPending = false;
        this.#off(`ping failed: ${err.message}`);
      },
    );
  }

  /** Switches the copy off and closes both connections. */
  stop(): void {
    this.#stopped = true;
    if (this.#timer) clearInterval(this.#timer);
    this.#off("stopping");
    this.#sub?.disconnect();
    this.#ctl?.disconnect();
  }
}
