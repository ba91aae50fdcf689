/**
 * A cache's configuration: the `--cache2` key=value syntax with every alias uWSGI 2.0.21 accepts,
 * the legacy `--cache N` cache, defaults and validation.
 * @module
 */
import { UwsgiError } from "../../errors.js";
import type { CacheHashName } from "./hash.js";

/** Everything that defines one cache (what `--cache2` or `--cache` describe). */
export interface CacheOptions {
  /** Cache name; API calls address the cache by it. */
  name: string;
  /** Item slots including the reserved slot 0, so `items - 1` keys fit. */
  items: number;
  /** Bytes per data block (and the max value size without `bitmap`). */
  blocksize: number;
  /** Data blocks (>= items). Without `bitmap` only the first `items` are used. */
  blocks: number;
  /** Values span consecutive blocks (max value size `blocksize * blocks`). */
  bitmap: boolean;
  /** Max key length in bytes (1..65535). */
  keysize: number;
  /** Key hash function. */
  hash: CacheHashName;
  /** Number of hash buckets. */
  hashsize: number;
  /** Backing file (uWSGI's store-file layout), or null for anonymous memory. */
  store: string | null;
  /** Write the store back every N master cycles; 0 = only at master start. */
  storeSync: number;
  /** Delete a store file of the wrong size instead of refusing to start. */
  storeDelete: boolean;
  /** Start value of inc/dec/mul/div on a missing key. */
  mathInitial: bigint;
  /** Do not log when the cache is full. */
  ignoreFull: boolean;
  /** Evict the least recently set or read item when full. */
  purgeLru: boolean;
  /** Delete expired items when they are looked up. */
  lazyExpire: boolean;
  /** When full, delete expired items, at most once every N seconds (0 = off). */
  sweepOnFull: number;
  /** When full (and nothing expired could be swept), delete everything. */
  clearOnFull: boolean;
  /** The periodic sweeper leaves this cache alone. */
  noExpire: boolean;
  /** Maintain `last_modified_at` in the stats. */
  lastmod: boolean;
  /** UDP peers every set/update/delete is sent to. */
  nodes: string[];
  /** UDP addresses to receive peer updates on. */
  udp: string[];
  /** TCP nodes to copy a full dump from at startup. */
  sync: string[];
}

/** uWSGI's UMAX16: the default blocksize and hashsize, and the exclusive keysize limit. */
const UMAX16 = 65536;
/** Slot, block and bucket numbers are 32-bit in the bookkeeping region. */
const MAX_U32_COUNT = 0xffffffff;
const INT64_MIN = -(2n ** 63n);
const INT64_MAX = 2n ** 63n - 1n;

/** Every accepted `--cache2` key (aliases included) and the option it sets. */
const KEYS: Readonly<Record<string, keyof CacheOptions>> = {
  name: "name",
  items: "items", max_items: "items", maxitems: "items",
  blocksize: "blocksize",
  blocks: "blocks",
  bitmap: "bitmap",
  keysize: "keysize", key_size: "keysize",
  hash: "hash",
  hashsize: "hashsize", hash_size: "hashsize",
  store: "store",
  store_sync: "storeSync", storesync: "storeSync",
  store_delete: "storeDelete", storedelete: "storeDelete",
  node: "nodes", nodes: "nodes",
  udp: "udp", udp_server: "udp", udp_servers: "udp", udpserver: "udp", udpservers: "udp",
  sync: "sync",
  lastmod: "lastmod",
  math_initial: "mathInitial",
  ignore_full: "ignoreFull",
  purge_lru: "purgeLru", lru: "purgeLru",
  lazy_expire: "lazyExpire", lazy: "lazyExpire",
  sweep_on_full: "sweepOnFull",
  clear_on_full: "clearOnFull",
  no_expire: "noExpire",
};

/** Options that any value turns on (uWSGI only checks that the key is present). */
const FLAGS = new Set<keyof CacheOptions>(["bitmap", "storeDelete", "lastmod", "ignoreFull", "purgeLru", "lazyExpire", "clearOnFull", "noExpire"]);
/** Options holding a `;`-separated list. */
const LISTS = new Set<keyof CacheOptions>(["nodes", "udp", "sync"]);
/** Options holding a non-negative decimal integer. */
const NUMBERS = new Set<keyof CacheOptions>(["items", "blocksize", "blocks", "keysize", "hashsize", "storeSync", "sweepOnFull"]);

function optionError(key: string, reason: string): UwsgiError {
  return new UwsgiError("UWSGI_ERR_CACHE_OPTION", key, reason);
}

/** The defaults of everything `--cache2` does not require. */
function defaults(name: string, items: number): CacheOptions {
  return {
    name, items, blocksize: UMAX16, blocks: items, bitmap: false, keysize: 2048, hash: "djb33x", hashsize: UMAX16,
    store: null, storeSync: 0, storeDelete: false, mathInitial: 0n, ignoreFull: false, purgeLru: false,
    lazyExpire: false, sweepOnFull: 0, clearOnFull: false, noExpire: false, lastmod: false, nodes: [], udp: [], sync: [],
  };
}

/** Splits `text` at unescaped `sep`, dropping the backslash of `\x` escapes (uWSGI's kvlist rule). */
export function splitEscaped(text: string, sep: string): string[] {
  const out: string[] = [];
  let cur = "";
  for (let i = 0; i < text.length; i++) {
    const c = text[i]!;
    if (c === "\\" && i + 1 < text.length) cur += text[++i]!;
    else if (c === sep) {
      out.push(cur);
      cur = "";
    } else cur += c;
  }
  out.push(cur);
  return out;
}

function parseCount(key: string, value: string): number {
  if (!/^\d+$/.test(value)) throw optionError(key, `expected a non-negative integer, got ${JSON.stringify(value)}`);
  const n = Number(value);
  if (!Number.isSafeInteger(n)) throw optionError(key, `${value} is too large`);
  return n;
}

function parseInt64(key: string, value: string): bigint {
  if (!/^[-+]?\d+$/.test(value)) throw optionError(key, `expected an integer, got ${JSON.stringify(value)}`);
  const n = BigInt(value);
  if (n < INT64_MIN || n > INT64_MAX) throw optionError(key, `${value} does not fit a signed 64-bit integer`);
  return n;
}

function parseHash(value: string): CacheHashName {
  if (value === "djb33x" || value === "murmur2") return value;
  if (value === "random" || value === "rand" || value === "rr") {
    throw optionError("hash", `"${value}" cannot look keys up (uWSGI keeps it for routers only); use djb33x or murmur2`);
  }
  throw optionError("hash", `unknown hash function ${JSON.stringify(value)} (known: djb33x, murmur2)`);
}

/**
 * Checks that a cache description is usable: the limits `--cache2` enforces, plus the 32-bit
 * limits of our bookkeeping. Called by {@link parseCache2Option}, {@link legacyCacheOptions} and
 * the engine (options may also be built by hand).
 * @throws UwsgiError UWSGI_ERR_CACHE_OPTION naming the offending key.
 * @example
 * ```ts
 * validateCacheOptions({ ...legacyCacheOptions(10), keysize: 0 }); // throws: keysize
 * ```
 */
export function validateCacheOptions(o: CacheOptions): void {
  if (typeof o.name !== "string" || o.name === "") throw optionError("name", "a cache name is required");
  if (o.name.includes("@")) throw optionError("name", `${JSON.stringify(o.name)} contains "@", which API calls read as name@address`);
  const positive = (key: string, v: number, max: number): void => {
    if (!Number.isSafeInteger(v) || v <= 0) throw optionError(key, `must be a positive integer, got ${v}`);
    if (v > max) throw optionError(key, `${v} is larger than ${max}`);
  };
  positive("items", o.items, MAX_U32_COUNT - 1);
  positive("blocksize", o.blocksize, Number.MAX_SAFE_INTEGER);
  positive("blocks", o.blocks, MAX_U32_COUNT - 1);
  if (o.blocks < o.items) throw optionError("blocks", `${o.blocks} blocks cannot hold ${o.items} items (blocks must be >= items)`);
  if (!Number.isInteger(o.keysize) || o.keysize < 1 || o.keysize >= UMAX16) throw optionError("keysize", `must be 1..${UMAX16 - 1}, got ${o.keysize}`);
  positive("hashsize", o.hashsize, 0x7fffffff);
  if (o.hash !== "djb33x" && o.hash !== "murmur2") parseHash(String(o.hash));
  for (const [key, v] of [["store_sync", o.storeSync], ["sweep_on_full", o.sweepOnFull]] as const) {
    if (!Number.isSafeInteger(v) || v < 0) throw optionError(key, `must be a non-negative integer, got ${v}`);
  }
  if (typeof o.mathInitial !== "bigint" || o.mathInitial < INT64_MIN || o.mathInitial > INT64_MAX) {
    throw optionError("math_initial", `must be a signed 64-bit bigint, got ${String(o.mathInitial)}`);
  }
  const bytes = o.items * (88 + o.keysize) + o.blocks * o.blocksize;
  if (!Number.isSafeInteger(bytes)) throw optionError("blocks", `the cache would need ${bytes} bytes`);
}

/**
 * Parses one `--cache2` value, e.g. `name=c1,items=100,blocksize=512,bitmap=1,purge_lru=1`.
 * Keys and aliases are uWSGI's; a backslash escapes the next character (so `\,` puts a comma in a
 * value); list values (`nodes`, `udp`, `sync`) are `;`-separated; flag options are enabled by any
 * value (as in uWSGI, even `bitmap=0`). Unlike uWSGI, unknown keys and non-numeric numbers are
 * errors instead of being ignored or read as 0.
 * @param globals instance-wide defaults: `storeSync` is `--cache-store-sync`, used when the value
 *   has no `store_sync` of its own.
 * @throws UwsgiError UWSGI_ERR_CACHE_OPTION naming the key: missing `name` or `items`, `items`
 *   <= 0, `blocks` < `items`, `keysize` outside 1..65535, unknown `hash`, malformed numbers.
 * @example
 * ```ts
 * const opts = parseCache2Option("name=sessions,items=1000,blocksize=4096,purge_lru=1");
 * opts.purgeLru; // true
 * ```
 */
export function parseCache2Option(value: string, globals: { storeSync?: number } = {}): CacheOptions {
  const given = new Map<keyof CacheOptions, { key: string; value: string }>();
  for (const item of splitEscaped(value, ",")) {
    if (item === "") continue;
    const eq = item.indexOf("=");
    if (eq < 0) throw optionError(item, "expected key=value");
    const key = item.slice(0, eq);
    const option = KEYS[key];
    if (option === undefined) throw optionError(key, `unknown key (known: ${Object.keys(KEYS).join(", ")})`);
    given.set(option, { key, value: item.slice(eq + 1) });
  }
  const name = given.get("name");
  if (!name || name.value === "") throw optionError("name", "a cache name is required");
  const items = given.get("items");
  if (!items) throw optionError("items", "the maximum number of items is required");
  const opts = defaults(name.value, parseCount(items.key, items.value));
  if (opts.items === 0) throw optionError(items.key, "must be > 0");
  const target = opts as unknown as Record<string, unknown>;
  for (const [option, { key, value: v }] of given) {
    if (option === "name" || option === "items") continue;
    if (FLAGS.has(option)) target[option] = true;
    else if (LISTS.has(option)) target[option] = v.split(";").filter((s) => s !== "");
    else if (NUMBERS.has(option)) target[option] = parseCount(key, v);
    else if (option === "hash") opts.hash = parseHash(v);
    else if (option === "mathInitial") opts.mathInitial = parseInt64(key, v);
    else if (option === "store") opts.store = v === "" ? null : v;
  }
  if (!given.has("blocks")) opts.blocks = opts.items;
  if (!given.has("storeSync") && globals.storeSync !== undefined) opts.storeSync = globals.storeSync;
  validateCacheOptions(opts);
  return opts;
}

/** Settings of the legacy cache that come from other `--cache-*` options. */
export interface LegacyCacheExtras {
  /** `--cache-blocksize` (default 65536). */
  blocksize?: number;
  /** `--cache-store`. */
  store?: string | null;
  /** `--cache-store-sync`. */
  storeSync?: number;
  /** `--cache-use-last-modified`. */
  lastmod?: boolean;
  /** `--cache-udp-node`. */
  nodes?: string[];
  /** `--cache-udp-server`. */
  udp?: string[];
  /** `--cache-sync`. */
  sync?: string[];
}

/**
 * The cache `--cache N` creates: named `default`, N items and N blocks, keysize 2048, hashsize
 * 65536, djb33x.
 * @throws UwsgiError UWSGI_ERR_CACHE_OPTION for a bad item count or blocksize.
 * @example
 * ```ts
 * const opts = legacyCacheOptions(100, { blocksize: 1024 });
 * opts.name; // "default"
 * ```
 */
export function legacyCacheOptions(items: number, extra: LegacyCacheExtras = {}): CacheOptions {
  const opts = defaults("default", items);
  if (extra.blocksize !== undefined) opts.blocksize = extra.blocksize;
  if (extra.store) opts.store = extra.store;
  if (extra.storeSync !== undefined) opts.storeSync = extra.storeSync;
  if (extra.lastmod) opts.lastmod = true;
  if (extra.nodes) opts.nodes = [...extra.nodes];
  if (extra.udp) opts.udp = [...extra.udp];
  if (extra.sync) opts.sync = [...extra.sync];
  validateCacheOptions(opts);
  return opts;
}

/**
 * The largest value the cache accepts: `blocksize`, or `blocksize * blocks` with `bitmap`.
 * @example
 * ```ts
 * maxItemSizeOf(parseCache2Option("name=a,items=4,blocksize=16,bitmap=1")); // 64
 * ```
 */
export function maxItemSizeOf(opts: CacheOptions): number {
  return opts.bitmap ? opts.blocksize * opts.blocks : opts.blocksize;
}
