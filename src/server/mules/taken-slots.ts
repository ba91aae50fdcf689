/**
 * Where a mule records, in shared memory, how far it has taken what the master handed it, so
 * that taking a message costs no system call and a SIGKILL loses at most the message in hand.
 *
 * The master creates one region per instance (`mules.taken`) holding {@link TAKEN_SLOTS_PER_MULE}
 * slots per mule, and gives each connected mule process a slot of its own (a reload briefly has
 * two processes per mule id). A mule stores in its slot the delivery id of each message it takes
 * in delivery order, before its code sees the message: a slot holding X says "every delivery up
 * to X was taken". Taking out of order (`mule_get_msg` filtering farms) is acknowledged with a
 * frame instead. When the mule's connection closes (it died or exited), the master reads the
 * slot: the deliveries up to X are dropped, the rest go back to their queues.
 * @module
 */
import { SharedRegion, regionName } from "../../native/shared-region.js";

/** Slots per configured mule (the live process and, during a reload, its predecessor, plus spares). */
export const TAKEN_SLOTS_PER_MULE = 3;
/** The region's `what` (see `regionName`). */
const WHAT = "mules.taken";
/** The slot number that means "no slot: acknowledge with frames". */
export const NO_SLOT = 0xffffffff;

/** Whether delivery `id` is at or before `through` (u32 ids that wrap around). */
export function takenThrough(id: number, through: number): boolean {
  return ((through - id) >>> 0) < 0x80000000;
}

/** The master's side: the region and which slots are in use. */
export class TakenSlots {
  readonly #words: Uint32Array;
  readonly #free: number[];

  private constructor(readonly region: SharedRegion) {
    this.#words = new Uint32Array(region.buffer);
    this.#free = Array.from({ length: this.#words.length }, (_, i) => this.#words.length - 1 - i);
  }

  /**
   * Creates the region of instance `instance` for `mules` mules.
   * @throws UwsgiError UWSGI_ERR_SHM when shared memory cannot be had.
   */
  static create(instance: string, mules: number): TakenSlots {
    return new TakenSlots(SharedRegion.create(regionName(instance, WHAT), 4 * TAKEN_SLOTS_PER_MULE * Math.max(1, mules), { replace: true }));
  }

  /** A free slot, reset to "nothing taken", or {@link NO_SLOT} when all are in use. */
  claim(): number {
    const slot = this.#free.pop();
    if (slot === undefined) return NO_SLOT;
    Atomics.store(this.#words, slot, 0);
    return slot;
  }

  /** The delivery id a slot's mule has taken up to (0: none). */
  read(slot: number): number {
    return Atomics.load(this.#words, slot);
  }

  /** Gives a slot back once its mule's connection closed (its process no longer writes it). */
  release(slot: number): void {
    if (slot !== NO_SLOT) this.#free.push(slot);
  }

  /** Removes the region's name (the master, once its mules are gone). */
  unlink(): void {
    this.region.unlink();
  }
}

/** A mule's side: the slot it writes. */
export class TakenSlot {
  static #words: Uint32Array | null = null;

  private constructor(readonly slot: number) {}

  /**
   * Attaches slot `slot` of instance `instance`'s region.
   * @throws UwsgiError UWSGI_ERR_SHM when the region cannot be attached.
   */
  static attach(instance: string, slot: number): TakenSlot {
    TakenSlot.#words ??= new Uint32Array(SharedRegion.attach(regionName(instance, WHAT)).buffer);
    if (slot >= TakenSlot.#words.length) throw new RangeError(`taken slot ${slot} is outside the region`);
    return new TakenSlot(slot);
  }

  /** Records that every delivery up to `id` was taken. */
  store(id: number): void {
    Atomics.store(TakenSlot.#words!, this.slot, id);
  }
}
