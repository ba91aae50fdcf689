/**
 * The hash table of a cache: bucket heads in the meta region, collision chains through the
 * `prev`/`next` fields of the slot headers (new items go to the tail, as in uWSGI).
 * The caller holds the shard mutex of the bucket.
 * @module
 */
import { ITEM } from "./cache-layout.js";
import type { CacheMeta } from "./cache-meta.js";
import type { CacheSlots } from "./cache-slots.js";

/** Returned by {@link BucketChains.find} when a chain is corrupt (a loop or an impossible slot). */
export const CHAIN_CORRUPT = -1;

/** Lookup, append and unlink on bucket chains. */
export class BucketChains {
  constructor(
    private readonly meta: CacheMeta,
    private readonly slots: CacheSlots,
    private readonly items: number,
  ) {}

  /**
   * Slot holding `key[0..len)` (hash `hash`) in bucket `b`, 0 when absent, {@link CHAIN_CORRUPT} on
   * a broken chain. `keyWords`: the key as words, if it has them (see `CacheSlots.keyEquals`).
   */
  find(key: Uint8Array, len: number, hash: number, b: number, keyWords: Int32Array | null = null): number {
    const slots = this.slots;
    let slot = this.meta.bucket(b);
    for (let rounds = 0; slot !== 0; rounds++) {
      if (slot >= this.items || rounds >= this.items) return CHAIN_CORRUPT;
      if (slots.low(slot, ITEM.hash) === hash && slots.low(slot, ITEM.keysize) === len && slots.keyEquals(slot, key, len, keyWords)) return slot;
      slot = slots.low(slot, ITEM.next);
    }
    return 0;
  }

  /** Appends `slot` at the tail of bucket `b`'s chain. */
  append(slot: number, b: number): void {
    const slots = this.slots;
    slots.setLow(slot, ITEM.next, 0);
    let tail = this.meta.bucket(b);
    if (tail === 0) {
      slots.setLow(slot, ITEM.prev, 0);
      this.meta.setBucket(b, slot);
      return;
    }
    for (let next = slots.low(tail, ITEM.next); next !== 0; next = slots.low(tail, ITEM.next)) tail = next;
    slots.setLow(tail, ITEM.next, slot);
    slots.setLow(slot, ITEM.prev, tail);
  }

  /** Removes `slot` from bucket `b`'s chain (its own prev/next are left for the caller to clear). */
  unlink(slot: number, b: number): void {
    const slots = this.slots;
    const prev = slots.low(slot, ITEM.prev);
    const next = slots.low(slot, ITEM.next);
    if (prev !== 0) slots.setLow(prev, ITEM.next, next);
    else this.meta.setBucket(b, next);
    if (next !== 0) slots.setLow(next, ITEM.prev, prev);
  }
}
