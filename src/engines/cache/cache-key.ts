/**
 * Key handling for the cache engine: a key as the engine reads it, `bytes[0..length)`, loaded from
 * what apps pass (`"user:42"`, a Buffer, a Uint8Array) without building a Buffer per call.
 *
 * A string key is encoded into a scratch area of `keysize` bytes that the engine owns (and reuses
 * on every call): ASCII by a plain loop (the common case, no allocation), other text as UTF-8 into
 * the same scratch when it surely fits. A Buffer or Uint8Array key is read where it is. A key
 * longer than `keysize` needs no bytes at all: no item can have it, and every operation checks
 * {@link CacheKey.length} against `keysize` before it reads {@link CacheKey.bytes}. The key's hash
 * comes with it: for an ASCII string and the default djb33x, computed in the encoding loop (one
 * pass over the characters, no second pass over the bytes).
 * @module
 */
import { Buffer } from "node:buffer";
import { describe, type BytesLike } from "../../core/bytes.js";
import { UwsgiError } from "../../errors.js";
import { djb33x, type CacheHashFunction } from "./hash.js";

/** Whether 32-bit words are stored little-endian (the scratch is written a word at a time). */
const LITTLE_ENDIAN = new Uint8Array(new Uint32Array([1]).buffer)[0] === 1;

/**
 * The key of the operation in progress. One per engine: operations are synchronous and never
 * re-enter their engine, so the scratch is never shared by two keys at once.
 * @example
 * ```ts
 * const key = new CacheKey(2048, djb33x);
 * key.load("user:42");     // its hash; key.bytes[0..7) = "user:42", no allocation
 * key.length;              // 7
 * ```
 */
export class CacheKey {
  /** The key's bytes (the scratch area, or the caller's own bytes); only `[0, length)` is the key. */
  bytes: Uint8Array;
  /** The key's length in bytes; above the scratch's capacity, {@link bytes} is not filled. */
  length = 0;
  /**
   * The scratch area as 32-bit words when {@link bytes} is the scratch (string keys), else null:
   * keys are then compared a word at a time.
   */
  words: Int32Array | null = null;
  readonly #scratch: Buffer;
  readonly #scratchWords: Int32Array;
  readonly #capacity: number;
  readonly #hash: CacheHashFunction;
  /** True when the hash is djb33x, which a string key's ASCII loop computes as it encodes. */
  readonly #fused: boolean;

  /**
   * @param capacity the largest key worth encoding (the cache's `keysize`).
   * @param hash the cache's hash function (default djb33x).
   */
  constructor(capacity: number, hash: CacheHashFunction = djb33x) {
    this.#capacity = capacity;
    // Rounded up to whole words, in an ArrayBuffer of its own (offset 0: word-aligned).
    this.#scratch = Buffer.alloc((capacity + 3) & ~3);
    this.#scratchWords = new Int32Array(this.#scratch.buffer, this.#scratch.byteOffset, this.#scratch.length >> 2);
    this.bytes = this.#scratch;
    this.#hash = hash;
    this.#fused = hash === djb33x;
  }

  /**
   * Makes `key` the current key and returns its hash (uWSGI's, over its bytes), or -1 when the
   * key is longer than the capacity (no item can have it; {@link bytes} is then not filled).
   * An ASCII string is encoded and, with djb33x, hashed in the same pass.
   * @throws UwsgiError UWSGI_ERR_INVALID_ARGUMENT when `key` is not a string, Buffer or Uint8Array.
   */
  load(key: BytesLike): number {
    if (typeof key === "string") {
      const n = key.length;
      const cap = this.#capacity;
      if (n > cap) {
        // More UTF-16 units than `keysize`: at least as many UTF-8 bytes, too long for any item.
        this.bytes = this.#scratch;
        this.words = null;
        this.length = n;
        return -1;
      }
      const scratch = this.#scratch;
      const words = this.#scratchWords;
      // djb33x over ASCII: the byte is the char code, no sign extension (see hash.ts).
      let h = 5381;
      let i = 0;
      // Four characters a round: one check for non-ASCII and one 32-bit store instead of four
      // of each (a round that meets a non-ASCII character is redone by the loop below).
      for (; i + 4 <= n; i += 4) {
        const c0 = key.charCodeAt(i);
        const c1 = key.charCodeAt(i + 1);
        const c2 = key.charCodeAt(i + 2);
        const c3 = key.charCodeAt(i + 3);
        if ((c0 | c1 | c2 | c3) >= 0x80) break;
        words[i >> 2] = LITTLE_ENDIAN ? c0 | (c1 << 8) | (c2 << 16) | (c3 << 24) : (c0 << 24) | (c1 << 16) | (c2 << 8) | c3;
        h = ((h << 5) + h) ^ c0;
        h = ((h << 5) + h) ^ c1;
        h = ((h << 5) + h) ^ c2;
        h = ((h << 5) + h) ^ c3;
      }
      for (; i < n; i++) {
        const c = key.charCodeAt(i);
        if (c >= 0x80) break;
        scratch[i] = c;
        h = ((h << 5) + h) ^ c;
      }
      this.bytes = scratch;
      this.words = words;
      if (i === n) {
        this.length = n;
        return this.#fused ? h >>> 0 : this.#hash(scratch, n);
      }
      // Not ASCII: at most 3 UTF-8 bytes per UTF-16 unit, so this surely fits the scratch.
      if (n * 3 <= cap) {
        this.length = scratch.write(key, 0, "utf8");
        return this.#hash(scratch, this.length);
      }
      const bytes = Buffer.from(key, "utf8");
      this.bytes = bytes;
      this.words = null;
      this.length = bytes.length;
      return bytes.length > cap ? -1 : this.#hash(bytes, bytes.length);
    }
    if (key instanceof Uint8Array) {
      this.bytes = key;
      this.words = null;
      const n = key.length;
      this.length = n;
      return n > this.#capacity ? -1 : this.#hash(key, n);
    }
    throw new UwsgiError("UWSGI_ERR_INVALID_ARGUMENT", "key", `expected string, Buffer or Uint8Array, got ${describe(key)}`);
  }
}
