/**
 * Key handling for the cache engine: a key as the engine reads it, `bytes[0..length)`, loaded from
 * what apps pass (`"user:42"`, a Buffer, a Uint8Array) without building a Buffer per call.
 *
 * A string key is encoded into a scratch area of `keysize` bytes that the engine owns (and reuses
 * on every call): ASCII by a plain loop (the common case, no allocation), other text as UTF-8 into
 * the same scratch when it surely fits. A Buffer or Uint8Array key is read where it is. A key
 * longer than `keysize` needs no bytes at all: no item can have it, and every operation checks
 * {@link CacheKey.length} against `keysize` before it reads {@link CacheKey.bytes}.
 * @module
 */
import { Buffer } from "node:buffer";
import { describe, type BytesLike } from "../../core/bytes.js";
import { UwsgiError } from "../../errors.js";

/**
 * The key of the operation in progress. One per engine: operations are synchronous and never
 * re-enter their engine, so the scratch is never shared by two keys at once.
 * @example
 * ```ts
 * const key = new CacheKey(2048);
 * key.load("user:42");     // key.bytes[0..7) = "user:42", no allocation
 * key.length;              // 7
 * ```
 */
export class CacheKey {
  /** The key's bytes (the scratch area, or the caller's own bytes); only `[0, length)` is the key. */
  bytes: Uint8Array;
  /** The key's length in bytes; above the scratch's capacity, {@link bytes} is not filled. */
  length = 0;
  readonly #scratch: Buffer;
  readonly #capacity: number;

  /** @param capacity the largest key worth encoding (the cache's `keysize`). */
  constructor(capacity: number) {
    this.#capacity = capacity;
    this.#scratch = Buffer.allocUnsafeSlow(capacity);
    this.bytes = this.#scratch;
  }

  /**
   * Makes `key` the current key.
   * @throws UwsgiError UWSGI_ERR_INVALID_ARGUMENT when `key` is not a string, Buffer or Uint8Array.
   */
  load(key: BytesLike): void {
    if (typeof key === "string") {
      const n = key.length;
      const cap = this.#capacity;
      const scratch = this.#scratch;
      if (n <= cap) {
        let i = 0;
        for (; i < n; i++) {
          const c = key.charCodeAt(i);
          if (c >= 0x80) break;
          scratch[i] = c;
        }
        if (i === n) {
          this.bytes = scratch;
          this.length = n;
          return;
        }
        // Not ASCII: at most 3 UTF-8 bytes per UTF-16 unit, so this surely fits the scratch.
        if (n * 3 <= cap) {
          this.bytes = scratch;
          this.length = scratch.write(key, 0, "utf8");
          return;
        }
        const bytes = Buffer.from(key, "utf8");
        this.bytes = bytes;
        this.length = bytes.length;
        return;
      }
      // More UTF-16 units than `keysize`: at least as many UTF-8 bytes, too long for any item.
      this.bytes = scratch;
      this.length = n;
      return;
    }
    if (key instanceof Uint8Array) {
      this.bytes = key;
      this.length = key.length;
      return;
    }
    throw new UwsgiError("UWSGI_ERR_INVALID_ARGUMENT", "key", `expected string, Buffer or Uint8Array, got ${describe(key)}`);
  }
}
