/**
 * `--load-file-in-cache`, `--load-file-in-cache-gzip` and `--add-cache-item`: items the master
 * puts in the shared caches once, when it creates them at start (never again on a reload, never
 * in a worker), in uWSGI's order and with its rules (core/cache.c, `uwsgi_cache_load_files` and
 * `uwsgi_cache_add_items`):
 * - each cache, in creation order, takes first the files, then the gzipped files, then the items;
 * - a value of the form `NAME REST` (a space) is only for the cache called NAME; without a space
 *   it goes into every cache;
 * - files: the key is the path as written, the value the file's bytes (gzip-compressed for the
 *   `-gzip` form); items: `KEY=VALUE`, split at the first `=`;
 * - an item is stored without expiry and never overwrites a key already there (a store file's
 *   restored item wins); what cannot be stored is logged as uWSGI logs it, and start-up goes on.
 * @module
 */
import { readFileSync } from "node:fs";
import { gzipSync } from "node:zlib";
import type { OptionSet } from "../../config/option-set.js";
import { optionStrings } from "../../config/option-values.js";
import type { CacheEngine } from "../../engines/cache/cache-engine.js";

/** One preload entry aimed at a cache: the rest of the value once the cache name is taken off. */
function forCache(cache: CacheEngine, value: string): string | null {
  const space = value.indexOf(" ");
  if (space < 0) return value;
  return value.slice(0, space) === cache.options.name ? value.slice(space + 1) : null;
}

/**
 * Puts the configured files and items in `caches` (the master, right after creating them).
 * @param log where each stored item and each failure is reported.
 * @returns how many items were stored.
 * @example
 * ```ts
 * // --cache2 name=pages,items=100 --add-cache-item "pages greeting=hello" --load-file-in-cache /srv/index.html
 * preloadCaches(engines.caches.all(), options, (line) => console.log(line));
 * ```
 */
export function preloadCaches(caches: readonly CacheEngine[], options: OptionSet, log: (line: string) => void): number {
  const files = optionStrings(options, "load-file-in-cache");
  const gzipped = optionStrings(options, "load-file-in-cache-gzip");
  const items = optionStrings(options, "add-cache-item");
  if (files.length + gzipped.length + items.length === 0) return 0;
  let stored = 0;
  const put = (cache: CacheEngine, key: string, value: Buffer, tag: string): void => {
    let ok = false;
    try {
      ok = key.length > 0 && value.length > 0 && cache.set(Buffer.from(key), value, 0);
    } catch {
      ok = false;
    }
    if (ok) {
      stored++;
      log(`[${tag}] stored "${key}" in "${cache.options.name}"`);
    } else {
      log(`[cache-error] unable to store "${key}" in "${cache.options.name}"`);
    }
  };
  const read = (path: string): Buffer | null => {
    try {
      return readFileSync(path);
    } catch {
      log(`[cache-error] unable to read file "${path}"`);
      return null;
    }
  };
  for (const cache of caches) {
    for (const value of files) {
      const path = forCache(cache, value);
      if (path === null) continue;
      const bytes = read(path);
      if (bytes) put(cache, path, bytes, "cache");
    }
    for (const value of gzipped) {
      const path = forCache(cache, value);
      if (path === null) continue;
      const bytes = read(path);
      if (bytes) put(cache, path, gzipSync(bytes), "cache-gzip");
    }
    for (const value of items) {
      const item = forCache(cache, value);
      if (item === null) continue;
      const eq = item.indexOf("=");
      if (eq < 0) {
        log(`[cache] unable to store item ${value}`);
        continue;
      }
      put(cache, item.slice(0, eq), Buffer.from(item.slice(eq + 1)), "cache");
    }
  }
  return stored;
}
