/**
 * The block allocator of bitmap caches: one bit per data block (MSB first, 1 = used), values take
 * consecutive blocks found first-fit from where the previous allocation ended, wrapping once to
 * the start (uWSGI's `uwsgi_cache_find_free_blocks`). Runs never wrap around the end.
 * @module
 */

/** Bit operations over a bitmap of `blocks` bits stored in `bits`. */
export class BlockBitmap {
  /**
   * @param bits the bitmap bytes (at least `ceil(blocks / 8)`).
   * @param blocks number of blocks it describes.
   */
  constructor(
    private readonly bits: Uint8Array,
    private readonly blocks: number,
  ) {}

  /** Number of blocks a value of `length` bytes takes. */
  static blocksFor(length: number, blocksize: number): number {
    return Math.max(1, Math.ceil(length / blocksize));
  }

  /** Marks every block free; the padding bits past `blocks` are set so they are never handed out. */
  reset(): void {
    const bytes = Math.ceil(this.blocks / 8);
    this.bits.fill(0, 0, bytes);
    const spare = this.blocks % 8;
    if (spare > 0) this.bits[bytes - 1] = 0xff >> spare;
  }

  /** True when block `i` is in use. */
  isUsed(i: number): boolean {
    return (this.bits[i >>> 3]! & (0x80 >> (i & 7))) !== 0;
  }

  /** True when blocks `first .. first + count - 1` exist and are all free. */
  isFree(first: number, count: number): boolean {
    if (first < 0 || first + count > this.blocks) return false;
    for (let i = first; i < first + count; i++) if (this.isUsed(i)) return false;
    return true;
  }

  /** Marks `count` blocks from `first` used. */
  mark(first: number, count: number): void {
    for (let i = first; i < first + count; i++) this.bits[i >>> 3]! |= 0x80 >> (i & 7);
  }

  /** Marks `count` blocks from `first` free. */
  unmark(first: number, count: number): void {
    for (let i = first; i < first + count; i++) this.bits[i >>> 3]! &= ~(0x80 >> (i & 7));
  }

  /**
   * First block of `count` consecutive free blocks, searching from `start` to the end and then
   * from block 0; -1 when there is no such run.
   */
  find(count: number, start: number): number {
    const from = start > 0 && start < this.blocks ? start : 0;
    const hit = this.#scan(count, from, this.blocks);
    if (hit >= 0 || from === 0) return hit;
    return this.#scan(count, 0, Math.min(this.blocks, from + count - 1));
  }

  #scan(count: number, from: number, end: number): number {
    let run = 0;
    let i = from;
    while (i < end) {
      // Skip whole used bytes quickly.
      if ((i & 7) === 0 && this.bits[i >>> 3] === 0xff) {
        run = 0;
        i += 8;
        continue;
      }
      if (this.isUsed(i)) run = 0;
      else if (++run === count) return i - count + 1;
      i++;
    }
    return -1;
  }
}
