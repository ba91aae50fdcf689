/**
 * The least-recently-used list of `purge_lru` caches: head/tail in the meta header, links in the
 * `lru_prev`/`lru_next` fields of the slot headers (as in uWSGI). The caller holds the global mutex.
 * @module
 */
import { ITEM, META_U32 } from "./cache-layout.js";
import type { CacheMeta } from "./cache-meta.js";
import type { CacheSlots } from "./cache-slots.js";

/** The LRU list: head = least recently used, tail = most recently used. */
export class LruList {
  constructor(
    private readonly meta: CacheMeta,
    private readonly slots: CacheSlots,
  ) {}

  /** The least recently used slot (0 when empty). */
  get head(): number {
    return this.meta.u32[META_U32.lruHead]!;
  }

  /** Appends `slot` as the most recently used. */
  add(slot: number): void {
    const u = this.meta.u32;
    const tail = u[META_U32.lruTail]!;
    if (tail !== 0) this.slots.set(tail, ITEM.lruNext, slot);
    else u[META_U32.lruHead] = slot;
    this.slots.set(slot, ITEM.lruNext, 0);
    this.slots.set(slot, ITEM.lruPrev, tail);
    u[META_U32.lruTail] = slot;
  }

  /** Unlinks `slot` from the list. */
  remove(slot: number): void {
    const u = this.meta.u32;
    const prev = this.slots.get(slot, ITEM.lruPrev);
    const next = this.slots.get(slot, ITEM.lruNext);
    if (next !== 0) this.slots.set(next, ITEM.lruPrev, prev);
    else u[META_U32.lruTail] = prev;
    if (prev !== 0) this.slots.set(prev, ITEM.lruNext, next);
    else u[META_U32.lruHead] = next;
    this.slots.set(slot, ITEM.lruPrev, 0);
    this.slots.set(slot, ITEM.lruNext, 0);
  }

  /** Moves `slot` to the most recently used end. */
  touch(slot: number): void {
    if (this.meta.u32[META_U32.lruTail] === slot) return;
    this.remove(slot);
    this.add(slot);
  }
}
