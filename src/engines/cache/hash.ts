/**
 * The two key hash functions uWSGI's cache offers, bit-exact with uWSGI 2.0.21 (core/hash.c),
 * so bucket numbers and the `hash` field of a store file match what uWSGI computes.
 * @module
 */

/** Names of the hash functions a cache may use. */
export type CacheHashName = "djb33x" | "murmur2";

/** A 32-bit unsigned hash of a key: `key[0..length)` (default: all of it). */
export type CacheHashFunction = (key: Uint8Array, length?: number) => number;

/** Sign-extends a byte the way a C `char` is on x86 (0x80..0xff become -128..-1). */
function signedByte(b: number): number {
  return (b << 24) >> 24;
}

/**
 * Bernstein's hash as uWSGI computes it: `h = 5381; h = (h * 33) ^ c` over 32-bit unsigned
 * arithmetic, where `c` is a *signed* char (bytes >= 0x80 are sign-extended before the XOR).
 * @returns the hash as an unsigned 32-bit number.
 * @example
 * ```ts
 * djb33x(Buffer.from("s1")); // 5861543
 * ```
 */
export function djb33x(key: Uint8Array, length: number = key.length): number {
  let h = 5381;
  const n = length;
  // h * 33 as a shift and an add: shorter latency than imul on the serial chain (same result mod 2^32).
  for (let i = 0; i < n; i++) h = ((h << 5) + h) ^ signedByte(key[i]!);
  return h >>> 0;
}

const M = 0x5bd1e995;

/**
 * Austin Appleby's MurmurHash2 with seed 0, as uWSGI adapts it from nginx: whole 4-byte words
 * are read little-endian and unsigned; for the 1..3 trailing bytes uWSGI mixes in the key's
 * *first* 1..3 bytes, as *signed* chars (a slip in its port, reproduced for store-file
 * compatibility).
 * @returns the hash as an unsigned 32-bit number.
 * @example
 * ```ts
 * murmur2(Buffer.from("s1")); // 3459505593
 * ```
 */
export function murmur2(key: Uint8Array, length: number = key.length): number {
  let len = length;
  let h = len >>> 0;
  let i = 0;
  while (len >= 4) {
    let k = key[i]! | (key[i + 1]! << 8) | (key[i + 2]! << 16) | (key[i + 3]! << 24);
    k = Math.imul(k, M);
    k ^= k >>> 24;
    k = Math.imul(k, M);
    h = Math.imul(h, M) ^ k;
    i += 4;
    len -= 4;
  }
  // uWSGI reads the 1..3 trailing bytes through the *unadvanced* key pointer, i.e. from the
  // start of the key (nginx's original reads the real tail). Kept: the stored hash must match.
  if (len > 0) {
    if (len === 3) h ^= signedByte(key[2]!) << 16;
    if (len >= 2) h ^= signedByte(key[1]!) << 8;
    h = Math.imul(h ^ signedByte(key[0]!), M);
  }
  h ^= h >>> 13;
  h = Math.imul(h, M);
  h ^= h >>> 15;
  return h >>> 0;
}

/**
 * The hash function called `name`.
 * @example
 * ```ts
 * const hash = cacheHashFunction("murmur2");
 * hash(Buffer.from("key"));
 * ```
 */
export function cacheHashFunction(name: CacheHashName): CacheHashFunction {
  return name === "murmur2" ? murmur2 : djb33x;
}
