/**
 * One process's handle on a Redis-backed cache: the `cache_*` operations as Redis commands and the
 * scripts of `redis-cache-scripts.ts`, over one ioredis connection of this process.
 *
 * Failure is never hidden: a command sent while the connection is down, or whose connection
 * closes before the reply, rejects with `UWSGI_ERR_CACHE_REDIS` at once (no offline queue, no
 * silent resend: a resent `cache_inc` could count twice, so a lost reply says the outcome is
 * unknown). ioredis reconnects in the background; the first command after Redis is back works.
 * @module
 */
import { Buffer } from "node:buffer";
import type { Redis as RedisClient } from "ioredis";
import { UwsgiError } from "../errors.js";
import { RateLimitedLog } from "../core/rate-limited-log.js";
import { mathOperand } from "../engines/cache/counter-math.js";
import type { CacheMathOp } from "../engines/cache/counter-math.js";
import type { RedisCacheOptions } from "./redis-cache-options.js";
import { CLEAR_SCRIPT, DEL_SCRIPT, GET_TTL_SCRIPT, KEYS_SCRIPT, MATH_SCRIPT, STORE_SCRIPT } from "./redis-cache-scripts.js";
import type { NearCache } from "./near-cache.js";

type ScriptClient = RedisClient & {
  uwsgiCacheStore(item: Buffer, index: string, ...argv: (string | Buffer)[]): Promise<number>;
  uwsgiCacheDel(item: Buffer, index: string, ...argv: (string | Buffer)[]): Promise<number>;
  uwsgiCacheClear(item: string, index: string, prefix: string): Promise<number>;
  uwsgiCacheKeysBuffer(item: string, index: string, prefix: string): Promise<Buffer[]>;
  uwsgiCacheMath(item: Buffer, index: string, ...argv: (string | Buffer)[]): Promise<number>;
  uwsgiCacheGetTtlBuffer(item: Buffer): Promise<[Buffer | null, number]>;
};

/** Reconnection delay after the n-th failed attempt: 100 ms growing to 1 s. */
function retryDelay(attempt: number): number {
  return Math.min(attempt * 100, 1000);
}

function int64LE(n: bigint): Buffer {
  const b = Buffer.allocUnsafe(8);
  b.writeBigInt64LE(BigInt.asIntN(64, n));
  return b;
}

/** A Redis-backed cache as one process uses it. */
export class RedisCache {
  readonly options: RedisCacheOptions;
  readonly #timeoutMs: number;
  readonly #log: (line: string) => void;
  readonly #fullLog: RateLimitedLog;
  readonly #prefix: Buffer;
  readonly #index: string;
  readonly #initial: Buffer;
  /** Script arguments that never change, built once. */
  readonly #prefixArg: string;
  readonly #maxArg: string;
  readonly #clearArg: string;
  #redis: ScriptClient | null = null;
  #loading: Promise<ScriptClient> | null = null;
  #lastError = "";
  #closed = false;
  readonly #near: NearCache | null;

  /**
   * @param near the instance's near copy (`near=N`), null without one.
   * @param timeoutMs how long a command (or the first connection) may take: `--socket-timeout`.
   * @param log where connection changes and "cache is FULL" are reported.
   */
  constructor(options: RedisCacheOptions, timeoutMs: number, log: (line: string) => void, near: NearCache | null = null) {
    this.options = options;
    this.#near = near;
    this.#timeoutMs = timeoutMs;
    this.#log = log;
    this.#fullLog = new RateLimitedLog(log);
    this.#prefix = Buffer.from(`${options.prefix}i:`);
    this.#index = `${options.prefix}index`;
    this.#initial = int64LE(options.mathInitial);
    this.#prefixArg = `${options.prefix}i:`;
    this.#maxArg = String(options.maxItems);
    this.#clearArg = options.clearOnFull ? "1" : "0";
  }

  #error(detail: string): UwsgiError {
    return new UwsgiError("UWSGI_ERR_CACHE_REDIS", JSON.stringify(this.options.name), this.options.displayUrl, detail);
  }

  /** Opens the connection now (a worker does at start, so its first request does not wait). */
  connect(): void {
    void this.#client().catch(() => undefined);
  }

  #client(): Promise<ScriptClient> {
    if (this.#closed) return Promise.reject(this.#error("the cache is closed"));
    if (this.#redis) return Promise.resolve(this.#redis);
    this.#loading ??= (async () => {
      const { Redis } = await import("ioredis");
      const redis = new Redis(this.options.url, {
        lazyConnect: true,
        enableOfflineQueue: false,
        maxRetriesPerRequest: 0,
        autoResendUnfulfilledCommands: false,
        connectTimeout: this.#timeoutMs,
        commandTimeout: this.#timeoutMs,
        retryStrategy: retryDelay,
      }) as ScriptClient;
      redis.defineCommand("uwsgiCacheStore", { numberOfKeys: 2, lua: STORE_SCRIPT });
      redis.defineCommand("uwsgiCacheDel", { numberOfKeys: 2, lua: DEL_SCRIPT });
      redis.defineCommand("uwsgiCacheClear", { numberOfKeys: 2, lua: CLEAR_SCRIPT });
      redis.defineCommand("uwsgiCacheKeys", { numberOfKeys: 2, lua: KEYS_SCRIPT });
      redis.defineCommand("uwsgiCacheMath", { numberOfKeys: 2, lua: MATH_SCRIPT });
      redis.defineCommand("uwsgiCacheGetTtl", { numberOfKeys: 1, lua: GET_TTL_SCRIPT });
      redis.on("error", (err: Error) => this.#report(`[uwsgi-cache] ${this.#error(err.message).message} (UWSGI_ERR_CACHE_REDIS)`));
      redis.on("ready", () => {
        if (this.#lastError) this.#log(`[uwsgi-cache] cache "${this.options.name}": connected again to Redis at ${this.options.displayUrl}`);
        this.#lastError = "";
      });
      this.#redis = redis;
      redis.connect().catch(() => undefined);
      return redis;
    })();
    return this.#loading;
  }

  /** Logs a connection problem once until it changes (every worker has its own connection). */
  #report(line: string): void {
    if (line === this.#lastError) return;
    this.#lastError = line;
    this.#log(line);
  }

  /** The connection once it is ready: waits for the first connection, fails at once while reconnecting. */
  async #ready(): Promise<ScriptClient> {
    const redis = await this.#client();
    if (redis.status === "ready") return redis;
    if (redis.status === "wait" || redis.status === "connecting" || redis.status === "connect") {
      if (redis.status === "wait") redis.connect().catch(() => undefined);
      await new Promise<void>((resolve, reject) => {
        const timer = setTimeout(() => done(this.#error(`no connection within ${this.#timeoutMs} ms`)), this.#timeoutMs);
        const onReady = (): void => done();
        const onEnd = (): void => done(this.#error(this.#lastError ? "cannot connect" : "the connection closed"));
        const onError = (err: Error): void => done(this.#error(err.message));
        function done(err?: UwsgiError): void {
          clearTimeout(timer);
          redis.off("ready", onReady).off("close", onEnd).off("error", onError);
          if (err) reject(err);
          else resolve();
        }
        redis.once("ready", onReady).once("close", onEnd).once("error", onError);
      });
      return redis;
    }
    throw this.#error(`not connected (${redis.status}); retrying in the background`);
  }

  /**
   * Runs `fn` on the ready connection; every failure becomes `UWSGI_ERR_CACHE_REDIS`. A ready
   * connection is used at once (no extra await on the hot path).
   */
  #run<T>(fn: (redis: ScriptClient) => Promise<T>): Promise<T> {
    const redis = this.#redis;
    const sent = redis !== null && redis.status === "ready" ? fn(redis) : this.#ready().then(fn);
    return sent.catch((err: unknown) => {
      throw this.#wrap(err);
    });
  }

  #wrap(err: unknown): UwsgiError {
    if (err instanceof UwsgiError) return err;
    const e = err as Error;
    const lost = e.name === "MaxRetriesPerRequestError" || /Connection is closed|Command timed out/.test(e.message);
    return this.#error(lost ? `${e.message}: no reply, so the operation may or may not have been applied` : e.message);
  }

  #itemKey(key: Buffer): Buffer {
    return Buffer.concat([this.#prefix, key]);
  }

  #keyFits(key: Buffer): boolean {
    return key.length > 0 && key.length <= this.options.keysize;
  }

  #full(): false {
    if (!this.options.ignoreFull) this.#fullLog.line(`cache-full:${this.options.name}`, `*** DANGER cache "${this.options.name}" is FULL !!! ***`);
    return false;
  }

  /** The value, or null when absent (or expired, or the key cannot exist). */
  get(key: Buffer): Promise<Buffer | null> {
    if (!this.#keyFits(key)) return Promise.resolve(null);
    const near = this.#near;
    if (near === null || !near.usable()) return this.#run((r) => r.getBuffer(this.#itemKey(key)));
    const copy = near.engine.get(key);
    if (copy !== null) return Promise.resolve(copy);
    const epoch = near.epoch();
    return this.#run(async (r) => {
      const [value, pttl] = await r.uwsgiCacheGetTtlBuffer(this.#itemKey(key));
      if (value !== null) near.fill(key, value, Number(pttl), epoch);
      return value;
    });
  }

  /** True when the key is live. */
  exists(key: Buffer): Promise<boolean> {
    if (!this.#keyFits(key)) return Promise.resolve(false);
    if (this.#near?.usable() && this.#near.engine.exists(key)) return Promise.resolve(true);
    return this.#run(async (r) => (await r.exists(this.#itemKey(key))) === 1);
  }

  /** A write of `key` by this process: its near copy goes at once, whatever the outcome. */
  #wrote<T>(key: Buffer, sent: Promise<T>): Promise<T> {
    const near = this.#near;
    if (near === null) return sent;
    return sent.finally(() => near.drop(key));
  }

  /**
   * `cache_set` (update false: never overwrites) or `cache_update` (update true: creates or
   * overwrites, replacing the expiry). False for an empty key or value, a key longer than
   * `keysize`, a value larger than the item size, an existing key (set) or a full cache.
   */
  async set(key: Buffer, value: Buffer, expires: number, update: boolean): Promise<boolean> {
    if (!this.#keyFits(key) || value.length === 0 || value.length > this.options.maxItemSize) return false;
    const r = await this.#wrote(key, this.#run((c) => c.uwsgiCacheStore(this.#itemKey(key), this.#index, this.#prefixArg, key, value, String(expires), update ? "1" : "0", this.#maxArg, this.#clearArg)));
    return r === 1 ? true : r === -1 ? this.#full() : false;
  }

  /** Deletes a live key; false when it was absent. */
  async del(key: Buffer): Promise<boolean> {
    if (!this.#keyFits(key)) return false;
    return (await this.#wrote(key, this.#run((c) => c.uwsgiCacheDel(this.#itemKey(key), this.#index, this.#prefixArg, key)))) === 1;
  }

  /** Deletes every item of this cache (only keys under its prefix). Always true. */
  async clear(): Promise<boolean> {
    try {
      await this.#run((c) => c.uwsgiCacheClear(this.#prefixArg, this.#index, this.#prefixArg));
    } finally {
      this.#near?.invalidate(null);
    }
    return true;
  }

  /** The live keys. */
  keys(): Promise<Buffer[]> {
    return this.#run((c) => c.uwsgiCacheKeysBuffer(this.#prefixArg, this.#index, this.#prefixArg));
  }

  /**
   * Atomic int64 arithmetic on the 8-byte little-endian counter under `key` (a missing key starts
   * at `math_initial` and gets `expires`; an existing one keeps its expiry). False for a bad key,
   * a cache whose items cannot hold 8 bytes, or a full cache.
   */
  async math(op: CacheMathOp, key: Buffer, operand: bigint | number, expires: number): Promise<boolean> {
    const n = mathOperand(operand);
    const big = n === n ? BigInt(n) : BigInt(operand);
    if (!this.#keyFits(key) || this.options.maxItemSize < 8) return false;
    const r = await this.#wrote(key, this.#run((c) => c.uwsgiCacheMath(this.#itemKey(key), this.#index, this.#prefixArg, key, op, int64LE(big), String(expires), this.#maxArg, this.#clearArg, this.#initial)));
    return r === 1 ? true : this.#full();
  }

  /** The counter under `key` when its value is exactly 8 bytes, else 0. */
  async num(key: Buffer): Promise<number> {
    const v = await this.get(key);
    return v !== null && v.length === 8 ? Number(v.readBigInt64LE(0)) : 0;
  }

  /** Closes the connection; later calls reject. */
  close(): void {
    this.#closed = true;
    this.#redis?.disconnect();
  }
}

/** The Redis-backed caches of an instance as one process uses them, by name. */
export class RedisCacheSet {
  readonly #caches = new Map<string, RedisCache>();

  /** @param near the instance's near copies by cache name (`near=N`). */
  constructor(options: readonly RedisCacheOptions[], timeoutMs: number, log: (line: string) => void, near: ReadonlyMap<string, NearCache> = new Map()) {
    for (const o of options) this.#caches.set(o.name, new RedisCache(o, timeoutMs, log, near.get(o.name) ?? null));
  }

  /** The cache called `name`, or null. */
  byName(name: string): RedisCache | null {
    return this.#caches.get(name) ?? null;
  }

  /** The first one declared (what `@redis` means), or null. */
  first(): RedisCache | null {
    return this.#caches.values().next().value ?? null;
  }

  /** How many there are. */
  get size(): number {
    return this.#caches.size;
  }

  /** Opens every connection now. */
  connectAll(): void {
    for (const c of this.#caches.values()) c.connect();
  }

  /** Closes every connection. */
  close(): void {
    for (const c of this.#caches.values()) c.close();
  }
}
