/**
 * Copies small values out of a cache's memory into Buffers carved from a private slab, the way
 * Node's own `Buffer.allocUnsafe` pool works but cheaper per value: `cache_get` is the hottest
 * call of the module, and for a 64-byte value allocating an 8 KiB pool every 128 values plus a
 * native copy through a temporary view cost as much as the whole lookup.
 *
 * Like Node's pool, a Buffer handed out keeps its slab alive; values over {@link POOLED_MAX} bytes
 * get a Buffer of their own so that a retained small value never pins more than one slab.
 * @module
 */
import { Buffer } from "node:buffer";

/** Largest value copied into the shared slab. */
export const POOLED_MAX = 1024;
/** Values up to this size are copied by a JS word loop; larger ones by a native copy. */
const WORD_LOOP_MAX = 256;
const SLAB_BYTES = 32 * 1024;

/** The slab being carved; a new one (not zero-filled: every byte handed out is written first) when full. */
const pool = { slab: new ArrayBuffer(0), bytes: Buffer.alloc(0), words: new Int32Array(0), used: SLAB_BYTES + 1 };

/**
 * A copy of `length` bytes of `source` starting at `offset`, as a Buffer.
 * @param source the memory to copy from (e.g. a cache's data region).
 * @param sourceWords the same memory as an Int32Array from offset 0 (for the word-aligned fast path).
 * @example
 * ```ts
 * const value = copyOut(region, new Int32Array(region.buffer), 128, 64);
 * ```
 */
export function copyOut(source: Buffer, sourceWords: Int32Array, offset: number, length: number): Buffer {
  if (length > POOLED_MAX) {
    const out = Buffer.allocUnsafe(length);
    source.copy(out, 0, offset, offset + length);
    return out;
  }
  if (pool.used + length > SLAB_BYTES) {
    pool.slab = Buffer.allocUnsafeSlow(SLAB_BYTES).buffer;
    pool.bytes = Buffer.from(pool.slab);
    pool.words = new Int32Array(pool.slab);
    pool.used = 0;
  }
  const start = pool.used;
  // Next value starts 8-byte aligned, so the word loop applies to every pooled copy.
  pool.used = (start + length + 7) & ~7;
  if (length <= WORD_LOOP_MAX && (offset & 3) === 0) {
    const slabWords = pool.words;
    const from = offset >> 2;
    const to = start >> 2;
    // Four words per round: V8 checks the arrays (map, bounds) and the stack once per round, so
    // this halves the instructions of a word-per-round loop.
    const quads = length >> 4;
    let i = 0;
    for (let q = 0; q < quads; q++, i += 4) {
      slabWords[to + i] = sourceWords[from + i]!;
      slabWords[to + i + 1] = sourceWords[from + i + 1]!;
      slabWords[to + i + 2] = sourceWords[from + i + 2]!;
      slabWords[to + i + 3] = sourceWords[from + i + 3]!;
    }
    const words = length >> 2;
    for (; i < words; i++) slabWords[to + i] = sourceWords[from + i]!;
    const slabBytes = pool.bytes;
    for (let b = words << 2; b < length; b++) slabBytes[start + b] = source[offset + b]!;
  } else {
    source.copy(pool.bytes, start, offset, offset + length);
  }
  // Buffer.from(arrayBuffer, ...) builds the Buffer directly; `subarray` on a Buffer goes through
  // a species lookup and the deprecated Buffer() constructor, and costs about twice as much.
  return Buffer.from(pool.slab, start, length);
}
