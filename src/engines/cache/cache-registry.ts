/**
 * The caches of an instance, in creation order, looked up by name the way uWSGI does
 * (`uwsgi_cache_by_name`): no name, null or "" means the default (first) cache.
 * @module
 */
import type { CacheEngine } from "./cache-engine.js";

export { createLocalCache } from "./local-cache.js";

/**
 * Name -> cache lookup over an instance's caches.
 * @example
 * ```ts
 * const clock = new ManualClock();
 * const registry = new CacheRegistry([
 *   createLocalCache(legacyCacheOptions(100), clock),
 *   createLocalCache(parseCache2Option("name=sessions,items=1000"), clock),
 * ]);
 * registry.byName("");         // the "default" cache
 * registry.byName("sessions"); // the second one
 * ```
 */
export class CacheRegistry {
  readonly #caches: readonly CacheEngine[];

  /** @param caches the caches in creation order (the legacy `default` cache first, when present). */
  constructor(caches: CacheEngine[]) {
    this.#caches = [...caches];
  }

  /**
   * The cache called `name` (exact match), the default cache for null/undefined/"", or null.
   * @example
   * ```ts
   * registry.byName("sessions");
   * registry.byName(null); // the default cache
   * ```
   */
  byName(name?: string | null): CacheEngine | null {
    if (name === undefined || name === null || name === "") return this.default;
    return this.#caches.find((c) => c.options.name === name) ?? null;
  }

  /** The first cache, or null when there is none. */
  get default(): CacheEngine | null {
    return this.#caches[0] ?? null;
  }

  /** Cache names in creation order. */
  names(): string[] {
    return this.#caches.map((c) => c.options.name);
  }

  /** Every cache in creation order. */
  all(): CacheEngine[] {
    return [...this.#caches];
  }
}
