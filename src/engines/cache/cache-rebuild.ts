/**
 * Rebuilds a cache's meta region from its data region: what `restore` mode does with a store file
 * and what the engine does after a process died holding one of its mutexes. The data region is
 * the source of truth: a slot is live when its `keysize` is non-zero; everything else (buckets,
 * chains, free stack, bitmap, LRU list, counts, next sweep time) is derived from the live slots.
 * @module
 */
import { BlockBitmap } from "./block-bitmap.js";
import { BucketChains } from "./bucket-chains.js";
import { ITEM, JOURNAL_KIND, META_U32, type CacheLayout } from "./cache-layout.js";
import type { CacheMeta } from "./cache-meta.js";
import { maxItemSizeOf, type CacheOptions } from "./cache-options.js";
import type { CacheSlots } from "./cache-slots.js";
import type { CacheHashFunction } from "./hash.js";
import { LruList } from "./lru-list.js";

/** What a rebuild kept and threw away. */
export interface RebuildResult {
  /** Live items kept. */
  restored: number;
  /** Slots cleared: half-written (journaled), invalid, duplicate or expired. */
  dropped: number;
}

/**
 * Slots of the old LRU list in order, as far as it is intact (it may be half-updated). The head
 * comes from the meta header, or, for a fresh meta (a store file), is the one live slot whose
 * `lru_prev` is 0; links are followed only while `next.lru_prev` points back.
 */
function oldLruOrder(meta: CacheMeta, slots: CacheSlots, items: number): number[] {
  let head = meta.u32[META_U32.lruHead]!;
  if (head === 0) {
    for (let i = 1; i < items; i++) {
      if (slots.get(i, ITEM.keysize) === 0 || slots.get(i, ITEM.lruPrev) !== 0) continue;
      if (head !== 0) return [];
      head = i;
    }
  }
  const order: number[] = [];
  const seen = new Uint8Array(items);
  for (let slot = head, prev = 0; slot !== 0; prev = slot, slot = slots.get(slot, ITEM.lruNext)) {
    if (slot >= items || seen[slot] || slots.get(slot, ITEM.lruPrev) !== prev) break;
    seen[slot] = 1;
    order.push(slot);
  }
  return order;
}

/**
 * Rebuilds every meta structure from the live slots of the data region. Items are dropped when
 * their slot is named in the journal (a write died half-way; a counter changed in place gets its
 * journaled old value back and is kept instead), when their header is impossible
 * for these options (key too long, empty or oversized value, blocks out of range or shared with
 * an earlier item), when the key duplicates an earlier slot's, or when `now` is given and they
 * have expired. Hit/miss/full counters and last-modified time are kept.
 * The caller must own the whole cache (no other process may touch it meanwhile).
 */
export function rebuildCacheMeta(
  opts: CacheOptions,
  layout: CacheLayout,
  meta: CacheMeta,
  slots: CacheSlots,
  hash: CacheHashFunction,
  now: number | null,
): RebuildResult {
  const { items, hashsize, keysize, blocksize } = opts;
  const lruOrder = opts.purgeLru ? oldLruOrder(meta, slots, items) : [];
  let dropped = 0;
  for (let j = 0; j <= layout.shardCount; j++) {
    const slot = meta.journal(j);
    if (slot <= 0 || slot >= items || slots.get(slot, ITEM.keysize) === 0) continue;
    const fb = slots.get(slot, ITEM.firstBlock);
    if (meta.journalKind(j) === JOURNAL_KIND.counter && slots.get(slot, ITEM.valsize) === 8 && fb * blocksize + 8 <= opts.blocks * blocksize) {
      // A counter changed in place: its old value is known, put it back (the item is kept).
      const undo = meta.journalUndo(j);
      slots.writeCounter(fb, undo.low, undo.high);
      continue;
    }
    slots.clearItem(slot);
    dropped++;
  }
  meta.resetStructures();
  meta.u32[META_U32.freeTop] = 0;
  const chains = new BucketChains(meta, slots, items);
  const bitmap = meta.bitmap;
  const maxValue = maxItemSizeOf(opts);
  let restored = 0;
  for (let i = 1; i < items; i++) {
    const ks = slots.get(i, ITEM.keysize);
    if (ks === 0) {
      meta.pushFree(i);
      continue;
    }
    const vs = slots.get(i, ITEM.valsize);
    const fb = slots.get(i, ITEM.firstBlock);
    const expires = slots.get(i, ITEM.expires);
    const blocks = BlockBitmap.blocksFor(vs, blocksize);
    let ok = ks <= keysize && vs > 0 && vs <= maxValue && (bitmap ? bitmap.isFree(fb, blocks) : fb === i);
    ok &&= now === null || expires === 0 || expires > now;
    let h = 0;
    if (ok) {
      const key = slots.keyView(i, ks);
      h = hash(key);
      ok = chains.find(key, ks, h, h % hashsize) === 0;
    }
    if (!ok) {
      slots.clearItem(i);
      meta.pushFree(i);
      dropped++;
      continue;
    }
    slots.set(i, ITEM.hash, h);
    chains.append(i, h % hashsize);
    bitmap?.mark(fb, blocks);
    if (expires !== 0) meta.noteExpiry(expires);
    restored++;
  }
  meta.u32[META_U32.nItems] = restored;
  if (opts.purgeLru) {
    const lru = new LruList(meta, slots);
    const added = new Uint8Array(items);
    const append = (slot: number): void => {
      if (added[slot] || slots.get(slot, ITEM.keysize) === 0) return;
      added[slot] = 1;
      lru.add(slot);
    };
    for (const slot of lruOrder) append(slot);
    for (let i = 1; i < items; i++) append(i);
  }
  return { restored, dropped };
}
