/**
 * The `cache_*` functions over a {@link CacheRegistry}, with uWSGI's argument defaults and return
 * conventions, `name@address` names sent to another node through a {@link RemoteCache}, and
 * `name@redis` names to a Redis-backed cache ({@link RedisCache}); both of those return Promises.
 * @module
 */
import type { UwsgiModule } from "../api.js";
import { type BytesLike, toBuffer } from "../core/bytes.js";
import { UwsgiError } from "../errors.js";
import type { CacheRegistry } from "../engines/cache/cache-registry.js";
import type { CacheEngine } from "../engines/cache/cache-engine.js";
import type { RedisCache, RedisCacheSet } from "../cluster/redis-cache.js";

/** A cache op sent to another node (the client side of uWSGI's cache protocol). */
export interface RemoteCache {
  get(address: string, cache: string, key: Buffer): Promise<Buffer | null>;
  exists(address: string, cache: string, key: Buffer): Promise<boolean>;
  set(address: string, cache: string, key: Buffer, value: Buffer, expires: number, update: boolean): Promise<boolean>;
  del(address: string, cache: string, key: Buffer): Promise<boolean>;
  clear(address: string, cache: string): Promise<boolean>;
  math(address: string, cache: string, op: MathOp, key: Buffer, operand: bigint, expires: number): Promise<boolean>;
  num(address: string, cache: string, key: Buffer): Promise<number>;
}

type MathOp = "inc" | "dec" | "mul" | "div";

/** Names of the functions this group provides. */
export type CacheFunctionName =
  | "cache_get" | "cache_set" | "cache_update" | "cache_del" | "cache_exists" | "cache_clear"
  | "cache_inc" | "cache_dec" | "cache_mul" | "cache_div" | "cache_num" | "cache_keys";

/** Splits `name@address` at the first `@`; null when the name is local. */
export function parseRemoteCacheName(cache: string | null | undefined): { name: string; address: string } | null {
  if (!cache) return null;
  const at = cache.indexOf("@");
  if (at < 0) return null;
  const address = cache.slice(at + 1);
  if (!address) throw new UwsgiError("UWSGI_ERR_INVALID_ARGUMENT", "cache", `remote cache name ${JSON.stringify(cache)} has no address after "@"`);
  return { name: cache.slice(0, at), address };
}

function expiresArg(expires: number | null | undefined): number {
  if (expires === null || expires === undefined) return 0;
  if (!Number.isInteger(expires) || expires < 0) {
    throw new UwsgiError("UWSGI_ERR_INVALID_ARGUMENT", "expires", `expected a whole number of seconds >= 0, got ${expires}`);
  }
  return expires;
}

function operandArg(value: number | bigint): number | bigint {
  if (typeof value === "bigint") return value;
  if (!Number.isInteger(value)) throw new UwsgiError("UWSGI_ERR_INVALID_ARGUMENT", "value", `expected an integer, got ${value}`);
  return value;
}

/** The address part of `name@redis`: the cache is the Redis-backed one called `name`. */
export const REDIS_CACHE_ADDRESS = "redis";

/** No Redis-backed caches (the stub before configure, processes without any). */
const NO_REDIS_CACHES = { byName: () => null, first: () => null, size: 0 } as unknown as RedisCacheSet;

/**
 * A local call found no cache: still checks the key's type (as a call with one would); a name
 * of a Redis-backed cache is a coded error saying how to address it; an unknown name among
 * configured caches is a miss (uWSGI's None), no cache at all a coded error.
 */
function noCache(key: BytesLike, registry: CacheRegistry, redis: RedisCacheSet, cache: string | null | undefined, fn: CacheFunctionName): void {
  toBuffer(key, "key");
  notRedis(registry, redis, cache);
  if (registry.names().length === 0) throw new UwsgiError("UWSGI_ERR_CACHE_NONE_CONFIGURED", `uwsgi.${fn}()`);
}

/** Throws when a plain name (or the default, without local caches) means a Redis-backed cache. */
function notRedis(registry: CacheRegistry, redis: RedisCacheSet, cache: string | null | undefined): void {
  const named = cache ? redis.byName(cache) : registry.names().length === 0 ? redis.first() : null;
  if (named) throw new UwsgiError("UWSGI_ERR_CACHE_REDIS_NAME", JSON.stringify(named.options.name), JSON.stringify(`${named.options.name}@${REDIS_CACHE_ADDRESS}`));
}

/** The Redis-backed cache `name@redis` means (`@redis`: the first one). */
function redisCache(redis: RedisCacheSet, name: string): RedisCache {
  const c = name === "" ? redis.first() : redis.byName(name);
  if (!c) {
    throw new UwsgiError("UWSGI_ERR_CACHE_UNAVAILABLE", ` (no Redis-backed cache named ${JSON.stringify(name)}: declare it with --cache2 name=${name || "NAME"},items=N,backend=redis://HOST:PORT/DB)`);
  }
  return c;
}

/**
 * Builds the cache functions. `caches` is read on every call so a reconfigured stub is seen.
 * Local calls hand keys to the engine as they come (a string key is encoded into the engine's
 * scratch area, no Buffer per call: `cache-key.ts`); only remote calls build Buffers.
 */
export function cacheFunctions(caches: () => CacheRegistry, remote: () => RemoteCache, redisCaches: () => RedisCacheSet = () => NO_REDIS_CACHES): Pick<UwsgiModule, CacheFunctionName> {
  const local = (cache: string | null | undefined): CacheEngine | null => caches().byName(cache);
  /** The Redis-backed cache of a `name@redis` argument, or null for any other argument. */
  const inRedis = (r: { name: string; address: string } | null): RedisCache | null => (r && r.address === REDIS_CACHE_ADDRESS ? redisCache(redisCaches(), r.name) : null);

  function math(op: MathOp, fallback: number) {
    return (key: BytesLike, value: number = fallback, expires?: number | null, cache?: string | null): boolean | Promise<boolean> => {
      const operand = operandArg(value);
      const exp = expiresArg(expires);
      const r = parseRemoteCacheName(cache);
      const rc = inRedis(r);
      if (rc) return rc.math(op, toBuffer(key, "key"), operand, exp);
      if (r) return remote().math(r.address, r.name, op, toBuffer(key, "key"), BigInt(operand), exp);
      const c = local(cache);
      if (!c) return (noCache(key, caches(), redisCaches(), cache, `cache_${op}`), false);
      return c.math(op, key, operand, exp);
    };
  }

  /** `cache_set` (never overwrites) or `cache_update` (creates or overwrites). */
  function store(update: boolean) {
    return (key: BytesLike, value: BytesLike, expires?: number | null, cache?: string | null): boolean | Promise<boolean> => {
      const v = value instanceof Uint8Array ? value : toBuffer(value, "value");
      const exp = expiresArg(expires);
      const r = parseRemoteCacheName(cache);
      const rc = inRedis(r);
      if (rc) return rc.set(toBuffer(key, "key"), toBuffer(v), exp, update);
      if (r) return remote().set(r.address, r.name, toBuffer(key, "key"), toBuffer(v), exp, update);
      const c = local(cache);
      if (!c) return (noCache(key, caches(), redisCaches(), cache, update ? "cache_update" : "cache_set"), false);
      return update ? c.update(key, v, exp) : c.set(key, v, exp);
    };
  }

  const fns = {
    cache_get(key: BytesLike, cache?: string | null) {
      const r = parseRemoteCacheName(cache);
      const rc = inRedis(r);
      if (rc) return rc.get(toBuffer(key, "key"));
      if (r) return remote().get(r.address, r.name, toBuffer(key, "key"));
      const c = local(cache);
      if (!c) return (noCache(key, caches(), redisCaches(), cache, "cache_get"), null);
      return c.get(key);
    },
    cache_set: store(false),
    cache_update: store(true),
    cache_del(key: BytesLike, cache?: string | null) {
      const r = parseRemoteCacheName(cache);
      const rc = inRedis(r);
      if (rc) return rc.del(toBuffer(key, "key"));
      if (r) return remote().del(r.address, r.name, toBuffer(key, "key"));
      const c = local(cache);
      if (!c) return (noCache(key, caches(), redisCaches(), cache, "cache_del"), false);
      return c.del(key);
    },
    cache_exists(key: BytesLike, cache?: string | null) {
      const r = parseRemoteCacheName(cache);
      const rc = inRedis(r);
      if (rc) return rc.exists(toBuffer(key, "key"));
      if (r) return remote().exists(r.address, r.name, toBuffer(key, "key"));
      const c = local(cache);
      if (!c) return (noCache(key, caches(), redisCaches(), cache, "cache_exists"), false);
      return c.exists(key);
    },
    cache_clear(cache?: string | null) {
      const r = parseRemoteCacheName(cache);
      const rc = inRedis(r);
      if (rc) return rc.clear();
      if (r) return remote().clear(r.address, r.name);
      const c = local(cache);
      if (!c) notRedis(caches(), redisCaches(), cache);
      if (!c && caches().names().length === 0) throw new UwsgiError("UWSGI_ERR_CACHE_NONE_CONFIGURED", "uwsgi.cache_clear()");
      return c?.clear() ?? false;
    },
    cache_inc: math("inc", 1),
    cache_dec: math("dec", 1),
    cache_mul: math("mul", 2),
    cache_div: math("div", 2),
    cache_num(key: BytesLike, cache?: string | null) {
      const r = parseRemoteCacheName(cache);
      const rc = inRedis(r);
      if (rc) return rc.num(toBuffer(key, "key"));
      if (r) return remote().num(r.address, r.name, toBuffer(key, "key"));
      const c = local(cache);
      if (!c) return (noCache(key, caches(), redisCaches(), cache, "cache_num"), 0);
      return c.numValue(key);
    },
    cache_keys(cache?: string | null): Buffer[] | Promise<Buffer[]> {
      const rc = inRedis(parseRemoteCacheName(cache));
      if (rc) return rc.keys();
      const c = local(cache);
      if (!c) notRedis(caches(), redisCaches(), cache);
      if (!c && caches().names().length === 0) throw new UwsgiError("UWSGI_ERR_CACHE_NONE_CONFIGURED", "uwsgi.cache_keys()");
      if (!c) throw new UwsgiError("UWSGI_ERR_CACHE_UNAVAILABLE", cache ? ` (no cache named ${JSON.stringify(cache)})` : "");
      return c.keys();
    },
  };
  // The implementations cover both overloads (local: value, remote: Promise of it).
  return fns as unknown as Pick<UwsgiModule, CacheFunctionName>;
}
