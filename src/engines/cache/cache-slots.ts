/**
 * Typed access to the data region: slot headers (u64 little-endian fields), key bytes and value
 * blocks, in uWSGI's store-file layout. No locking here; the engine decides who may touch what.
 * @module
 */
import { Buffer } from "node:buffer";
import { ITEM, ITEM_HEADER_BYTES, type CacheLayout } from "./cache-layout.js";
import { copyOut } from "./value-pool.js";

const TWO_32 = 4294967296;

/** Reads and writes item slots and value blocks of one cache's data region. */
export class CacheSlots {
  readonly #view: DataView;
  readonly #bytes: Buffer;
  /** The same bytes as 32-bit words, for copying values out. */
  readonly #words: Int32Array;
  readonly #slotBytes: number;
  readonly #blocksOffset: number;
  readonly #blocksize: number;
  readonly #blocks: number;
  readonly #maxItemSize: number;
  /** Bytes of the value blocks (blocks × blocksize). */
  readonly #valueBytes: number;

  /**
   * @param data the data region (at least `layout.dataBytes` long).
   * @param layout the cache's layout.
   * @param blocksize bytes per value block.
   * @param blocks number of value blocks.
   * @param maxItemSize the largest value the cache accepts.
   */
  constructor(data: ArrayBuffer, layout: CacheLayout, blocksize: number, blocks: number, maxItemSize: number) {
    this.#view = new DataView(data, 0, layout.dataBytes);
    this.#bytes = Buffer.from(data, 0, layout.dataBytes);
    this.#words = new Int32Array(data, 0, layout.dataBytes >> 2);
    this.#slotBytes = layout.slotBytes;
    this.#blocksOffset = layout.blocksOffset;
    this.#blocksize = blocksize;
    this.#blocks = blocks;
    this.#maxItemSize = maxItemSize;
    this.#valueBytes = blocks * blocksize;
  }

  /** Whether a value of `length` bytes at block `firstBlock` is possible (a header read may be torn or corrupt). */
  valueFits(firstBlock: number, length: number): boolean {
    return length > 0 && length <= this.#maxItemSize && firstBlock < this.#blocks && firstBlock * this.#blocksize + length <= this.#valueBytes;
  }

  /** Reads a u64 header field (exact up to 2^53). */
  get(slot: number, field: number): number {
    const off = slot * this.#slotBytes + field;
    return this.#view.getUint32(off, true) + this.#view.getUint32(off + 4, true) * TWO_32;
  }

  /**
   * Reads only the low 32 bits of a header field: for fields that never exceed 2^32 in a live
   * item (keysize, hash, valsize, first_block, prev, next), on the hot paths.
   */
  low(slot: number, field: number): number {
    return this.#view.getUint32(slot * this.#slotBytes + field, true);
  }

  /** Writes a u64 header field from a non-negative integer < 2^53. */
  set(slot: number, field: number, value: number): void {
    const off = slot * this.#slotBytes + field;
    this.#view.setUint32(off, value >>> 0, true);
    this.#view.setUint32(off + 4, Math.floor(value / TWO_32), true);
  }

  /**
   * Writes a u64 header field from a value below 2^32 (keysize, hash, valsize, first_block, prev,
   * next, flags, a fresh hits count): no division for the high word, which is 0.
   */
  setLow(slot: number, field: number, value: number): void {
    const off = slot * this.#slotBytes + field;
    this.#view.setUint32(off, value, true);
    this.#view.setUint32(off + 4, 0, true);
  }

  /** Zeroes the fields that make a slot live or linked: keysize first, then valsize, hash, expires, prev, next. */
  clearItem(slot: number): void {
    this.setLow(slot, ITEM.keysize, 0);
    this.setLow(slot, ITEM.valsize, 0);
    this.setLow(slot, ITEM.hash, 0);
    this.setLow(slot, ITEM.expires, 0);
    this.setLow(slot, ITEM.prev, 0);
    this.setLow(slot, ITEM.next, 0);
  }

  /** Zeroes a whole 88-byte header (fresh format). */
  zeroHeader(slot: number): void {
    const off = slot * this.#slotBytes;
    this.#bytes.fill(0, off, off + ITEM_HEADER_BYTES);
  }

  /**
   * True when the slot holds exactly `key[0..len)` (the caller has checked hash and keysize).
   * `keyWords`, when given, is `key` as 32-bit words (word-aligned): the key is then compared a
   * word at a time where the slot's key is word-aligned too.
   */
  keyEquals(slot: number, key: Uint8Array, len: number, keyWords: Int32Array | null = null): boolean {
    const off = slot * this.#slotBytes + ITEM.key;
    const bytes = this.#bytes;
    let i = 0;
    if (keyWords !== null && (off & 3) === 0) {
      const words = this.#words;
      const w = off >> 2;
      const n = len >> 2;
      let j = 0;
      // Four words per round (V8 checks the arrays and the stack once per round).
      for (; j + 4 <= n; j += 4) {
        if (words[w + j] !== keyWords[j] || words[w + j + 1] !== keyWords[j + 1] || words[w + j + 2] !== keyWords[j + 2] || words[w + j + 3] !== keyWords[j + 3]) return false;
      }
      for (; j < n; j++) if (words[w + j] !== keyWords[j]) return false;
      i = n << 2;
    } else if (len > 32) {
      return bytes.compare(key, 0, len, off, off + len) === 0;
    } else {
      for (; i + 4 <= len; i += 4) {
        if (bytes[off + i] !== key[i] || bytes[off + i + 1] !== key[i + 1] || bytes[off + i + 2] !== key[i + 2] || bytes[off + i + 3] !== key[i + 3]) return false;
      }
    }
    for (; i < len; i++) if (bytes[off + i] !== key[i]) return false;
    return true;
  }

  /** Stores `key[0..len)` in the slot's key area. */
  writeKey(slot: number, key: Uint8Array, len: number): void {
    const off = slot * this.#slotBytes + ITEM.key;
    const bytes = this.#bytes;
    if (len > 32) {
      bytes.set(len === key.length ? key : key.subarray(0, len), off);
      return;
    }
    for (let i = 0; i < len; i++) bytes[off + i] = key[i]!;
  }

  /** A copy of the slot's key (`keysize` bytes), carved from the same slabs as values (`value-pool.ts`). */
  copyKey(slot: number): Buffer {
    return copyOut(this.#bytes, this.#words, slot * this.#slotBytes + ITEM.key, this.low(slot, ITEM.keysize));
  }

  /** A view (not a copy) of the slot's key bytes. */
  keyView(slot: number, length: number): Buffer {
    const off = slot * this.#slotBytes + ITEM.key;
    return this.#bytes.subarray(off, off + length);
  }

  /** A copy of `length` bytes starting at block `firstBlock`. */
  copyValue(firstBlock: number, length: number): Buffer {
    // (Never give a TypedArray a custom `constructor`/@@species to make `slice` return a Buffer:
    // that invalidates V8's species protector and slows every slice/subarray in the process.)
    return copyOut(this.#bytes, this.#words, this.#blocksOffset + firstBlock * this.#blocksize, length);
  }

  /** Writes `value` starting at block `firstBlock`. */
  writeValue(firstBlock: number, value: Uint8Array): void {
    this.#bytes.set(value, this.#blocksOffset + firstBlock * this.#blocksize);
  }

  /** Low 32 bits (unsigned) of the counter stored at block `firstBlock`. */
  counterLow(firstBlock: number): number {
    return this.#view.getUint32(this.#blocksOffset + firstBlock * this.#blocksize, true);
  }

  /** High 32 bits (signed) of the counter stored at block `firstBlock`. */
  counterHigh(firstBlock: number): number {
    return this.#view.getInt32(this.#blocksOffset + firstBlock * this.#blocksize + 4, true);
  }

  /** Writes a counter as its two little-endian 32-bit halves, low half first. */
  writeCounter(firstBlock: number, low: number, high: number): void {
    const off = this.#blocksOffset + firstBlock * this.#blocksize;
    this.#view.setUint32(off, low, true);
    this.#view.setInt32(off + 4, high, true);
  }

  /**
   * The first 8 bytes of a value as a signed little-endian int64, bytes past `length` read as
   * zero (never whatever an older value left in the block).
   */
  readInt64(firstBlock: number, length: number): bigint {
    const off = this.#blocksOffset + firstBlock * this.#blocksize;
    if (length >= 8) return this.#view.getBigInt64(off, true);
    let n = 0n;
    for (let i = length - 1; i >= 0; i--) n = (n << 8n) | BigInt(this.#bytes[off + i]!);
    return BigInt.asIntN(64, n);
  }
}
