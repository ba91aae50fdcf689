/**
 * The configuration of a Redis-backed cache: a `--cache2` value with a `backend=redis://...` key,
 * e.g. `--cache2 name=sessions,items=10000,blocksize=4096,backend=redis://127.0.0.1:6379/0`.
 *
 * The limits (`items`, `keysize`, `blocksize`, `blocks`, `bitmap`), `math_initial`, `ignore_full`
 * and `clear_on_full` mean what they mean for a shared-memory cache. Keys that describe how a
 * shared-memory cache is laid out, stored, swept or replicated have no meaning for items kept in
 * Redis and are rejected with the reason (no option is accepted without effect).
 * @module
 */
import { UwsgiError } from "../errors.js";
import { maxItemSizeOf, parseCache2Option, splitEscaped, type CacheOptions } from "../engines/cache/cache-options.js";

/** A Redis-backed cache: the usual cache limits plus where its items live. */
export interface RedisCacheOptions {
  /** Cache name (API calls address it as `NAME@redis`). */
  readonly name: string;
  /** `redis://[user:password@]host:port[/db]` or `rediss://...` (TLS). */
  readonly url: string;
  /** The URL with any password masked, for logs and errors. */
  readonly displayUrl: string;
  /** At most `items - 1` live keys, as in a shared-memory cache (slot 0 is reserved there). */
  readonly maxItems: number;
  readonly keysize: number;
  /** `blocksize` and `blocks` as configured (they bound a value's size, see maxItemSize). */
  readonly blocksize: number;
  readonly blocks: number;
  /** The largest value: `blocksize`, or `blocksize * blocks` with `bitmap`. */
  readonly maxItemSize: number;
  readonly mathInitial: bigint;
  readonly ignoreFull: boolean;
  readonly clearOnFull: boolean;
  /** Every Redis key of this cache starts with it: `uwsgi-node:cache:{NAME}:`. */
  readonly prefix: string;
  /** Items of the near cache (`near=N`): a shared-memory copy kept coherent by invalidation; 0 = none. */
  readonly near: number;
  /** Block size of the near cache: values larger than this are not copied (read from Redis). */
  readonly nearBlocksize: number;
}

/** Keys of a shared-memory cache that a Redis-backed one rejects, with the reason. */
const REJECTED: Readonly<Record<string, string>> = {
  store: "items live in Redis, not in a store file",
  store_sync: "items live in Redis, not in a store file",
  storesync: "items live in Redis, not in a store file",
  store_delete: "items live in Redis, not in a store file",
  storedelete: "items live in Redis, not in a store file",
  node: "Redis is what shares the items between nodes (no UDP cache sync)",
  nodes: "Redis is what shares the items between nodes (no UDP cache sync)",
  udp: "Redis is what shares the items between nodes (no UDP cache sync)",
  udp_server: "Redis is what shares the items between nodes (no UDP cache sync)",
  udp_servers: "Redis is what shares the items between nodes (no UDP cache sync)",
  udpserver: "Redis is what shares the items between nodes (no UDP cache sync)",
  udpservers: "Redis is what shares the items between nodes (no UDP cache sync)",
  sync: "Redis is what shares the items between nodes (no startup copy)",
  purge_lru: "a full Redis-backed cache refuses new keys (or clears with clear_on_full); it keeps no LRU order",
  lru: "a full Redis-backed cache refuses new keys (or clears with clear_on_full); it keeps no LRU order",
  lazy_expire: "Redis removes every item at its expiry second by itself",
  lazy: "Redis removes every item at its expiry second by itself",
  sweep_on_full: "expired items never count towards a Redis-backed cache's items",
  no_expire: "Redis removes every item at its expiry second by itself (no sweeper is involved)",
  hash: "Redis hashes the keys itself",
  hashsize: "Redis hashes the keys itself",
  hash_size: "Redis hashes the keys itself",
  lastmod: "a Redis-backed cache keeps no last-modified time",
};

function optionError(key: string, reason: string): UwsgiError {
  return new UwsgiError("UWSGI_ERR_CACHE_OPTION", key, reason);
}

/**
 * True when a `--cache2` value describes a Redis-backed cache (it has a `backend` key).
 * @example
 * ```ts
 * isRedisCache2("name=s,items=10,backend=redis://127.0.0.1:6379"); // true
 * ```
 */
export function isRedisCache2(value: string): boolean {
  return splitEscaped(value, ",").some((item) => item.startsWith("backend="));
}

function maskUrl(url: URL): string {
  if (!url.password) return url.href;
  const copy = new URL(url.href);
  copy.password = "***";
  return copy.href;
}

/**
 * Parses a `--cache2` value with `backend=redis://host:port[/db]`.
 * @throws UwsgiError UWSGI_ERR_CACHE_OPTION naming the key: a backend that is not a redis:// or
 *   rediss:// URL, a key a Redis-backed cache cannot honour (with the reason), or any error of
 *   {@link parseCache2Option} (missing name/items, bad numbers ...).
 * @example
 * ```ts
 * const o = parseRedisCache2("name=sessions,items=1000,blocksize=4096,backend=redis://127.0.0.1:6379/0");
 * o.maxItems;    // 999
 * o.maxItemSize; // 4096
 * ```
 */
export function parseRedisCache2(value: string): RedisCacheOptions {
  let backend = "";
  let near = 0;
  const rest: string[] = [];
  for (const item of splitEscaped(value, ",")) {
    if (item === "") continue;
    const eq = item.indexOf("=");
    const key = eq < 0 ? item : item.slice(0, eq);
    if (key === "backend") {
      backend = item.slice(eq + 1);
      continue;
    }
    if (key === "near") {
      const v = item.slice(eq + 1);
      if (!/^\d+$/.test(v) || !Number.isSafeInteger(Number(v))) throw optionError("near", `expected the number of items of the near cache, got ${JSON.stringify(v)}`);
      near = Number(v);
      continue;
    }
    const reason = REJECTED[key];
    if (reason !== undefined) throw optionError(key, `not available with backend=redis: ${reason}`);
    rest.push(item.replace(/[\\,]/g, "\\$&"));
  }
  let url: URL;
  try {
    url = new URL(backend);
  } catch {
    throw optionError("backend", `expected redis://host:port[/db] or rediss://..., got ${JSON.stringify(backend)}`);
  }
  if (url.protocol !== "redis:" && url.protocol !== "rediss:") {
    throw optionError("backend", `unknown backend ${JSON.stringify(url.protocol.slice(0, -1))} (known: redis, rediss)`);
  }
  if (url.pathname !== "" && url.pathname !== "/" && !/^\/\d+$/.test(url.pathname)) {
    throw optionError("backend", `the path of ${JSON.stringify(backend)} must be a database number (/0, /1 ...)`);
  }
  const opts: CacheOptions = parseCache2Option(rest.join(","));
  return {
    name: opts.name,
    url: url.href,
    displayUrl: maskUrl(url),
    maxItems: opts.items - 1,
    keysize: opts.keysize,
    blocksize: opts.blocksize,
    blocks: opts.blocks,
    maxItemSize: maxItemSizeOf(opts),
    mathInitial: opts.mathInitial,
    ignoreFull: opts.ignoreFull,
    clearOnFull: opts.clearOnFull,
    prefix: `uwsgi-node:cache:{${opts.name}}:`,
    near,
    nearBlocksize: Math.min(maxItemSizeOf(opts), 65536),
  };
}
