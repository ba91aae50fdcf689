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

/**
 * The slab being carved; a new one (not zero-filled: every byte handed out is written first) when
 * full. `view` describes it to {@link carve}: the three fields Node's `Buffer.prototype.subarray`
 * reads.
 */
const pool = {
  slab: new ArrayBuffer(0),
  bytes: Buffer.alloc(0),
  words: new Int32Array(0),
  used: SLAB_BYTES + 1,
  view: { length: 0, buffer: new ArrayBuffer(0), byteOffset: 0 },
};

const nodeSubarray = Buffer.prototype.subarray;

/**
 * Whether Node's `Buffer.prototype.subarray` builds its Buffer from `this.length`, `this.buffer`
 * and `this.byteOffset` alone (Node 20 and 22), so that calling it on a plain object describing
 * the slab makes a Buffer (Node's own class, `Buffer.prototype` its prototype) as cheaply as a bare
 * `new Uint8Array(...)`: about half of what `Buffer.from(arrayBuffer, offset, length)` costs, which
 * first asks the runtime (a C++ call) whether its argument is an ArrayBuffer. Checked once, here,
 * on a buffer made for the purpose; where it does not hold (Node 24 checks that `this` is a
 * TypedArray) values are cut with `Buffer.from`.
 */
export const CARVES_WITH_SUBARRAY = ((): boolean => {
  try {
    const ab = new ArrayBuffer(16);
    const b: unknown = nodeSubarray.call({ length: 16, buffer: ab, byteOffset: 0 } as unknown as Buffer, 4, 12);
    return Buffer.isBuffer(b) && Object.getPrototypeOf(b) === Buffer.prototype && b.buffer === ab && b.byteOffset === 4 && b.length === 8;
  } catch {
    return false;
  }
})();

/** A Buffer over `pool.slab[start, start + length)` (see {@link CARVES_WITH_SUBARRAY}). */
function carve(start: number, length: number): Buffer {
  return CARVES_WITH_SUBARRAY ? nodeSubarray.call(pool.view as unknown as Buffer, start, start + length) : Buffer.from(pool.slab, start, length);
}

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
    pool.view = { length: SLAB_BYTES, buffer: pool.slab, byteOffset: 0 };
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
  return carve(start, length);
}
