/**
 * Lays out a fixed number of {@link RobustMutex} slots back to back in a shared buffer, e.g. the
 * `--locks` array or one lock per cache at the start of a region.
 * @module
 */
import { UwsgiError } from "../errors.js";
import { loadNativeAddon, type NativeMutexBinding } from "./native-addon.js";
import { shmError } from "./native-error.js";
import { RobustMutex } from "./robust-mutex.js";

/** `count` robust mutexes starting at `offset` in a shared buffer, each labelled `<prefix><index>`. */
export class MutexArea {
  readonly #mutexes: RobustMutex[] = [];
  readonly #binding: NativeMutexBinding | null = null;

  /**
   * Binds to slots that {@link MutexArea.init} already initialized (in this or another process).
   * @throws UwsgiError UWSGI_ERR_INVALID_ARGUMENT when the area does not fit in the buffer.
   */
  constructor(
    readonly buffer: ArrayBuffer,
    readonly offset: number,
    readonly count: number,
    readonly labelPrefix: string = "lock ",
  ) {
    if (!Number.isInteger(count) || count < 0) {
      throw new UwsgiError("UWSGI_ERR_INVALID_ARGUMENT", "count", `expected a non-negative integer, got ${count}`);
    }
    if (!Number.isInteger(offset) || offset < 0 || offset % 8 !== 0) {
      throw new UwsgiError("UWSGI_ERR_INVALID_ARGUMENT", "offset", `expected a non-negative multiple of 8, got ${offset}`);
    }
    if (offset + MutexArea.bytesFor(count) > buffer.byteLength) {
      throw new UwsgiError("UWSGI_ERR_INVALID_ARGUMENT", "count", `${count} mutexes at offset ${offset} need ${MutexArea.bytesFor(count)} bytes, the buffer has ${buffer.byteLength - offset} after it`);
    }
    if (count === 0) return;
    let binding: NativeMutexBinding;
    try {
      binding = loadNativeAddon().mutexBind(buffer, offset, count);
    } catch (err) {
      throw shmError(err);
    }
    this.#binding = binding;
    const slot = RobustMutex.size;
    const words = new Int32Array(buffer, offset, (count * slot) / 4);
    for (let i = 0; i < count; i++) this.#mutexes.push(new RobustMutex(buffer, offset + i * slot, `${labelPrefix}${i}`, { binding, words, index: i }));
  }

  /** Bytes `count` mutexes take. */
  static bytesFor(count: number): number {
    return count * RobustMutex.size;
  }

  /**
   * Initializes every slot (in the process that creates the region, before others use it) and
   * returns the area.
   * @example
   * ```ts
   * const region = SharedRegion.create(regionName(process.pid, "locks"), MutexArea.bytesFor(4));
   * const locks = MutexArea.init(region.buffer, 0, 4);
   * withLock(locks.get(0), () => { ... });
   * ```
   */
  static init(buffer: ArrayBuffer, offset: number, count: number, labelPrefix?: string): MutexArea {
    const area = new MutexArea(buffer, offset, count, labelPrefix);
    const addon = loadNativeAddon();
    try {
      for (let i = 0; i < count; i++) addon.mutexInit(buffer, offset + i * RobustMutex.size);
    } catch (err) {
      throw shmError(err);
    }
    return area;
  }

  /** First byte after the area: where the next structure in the region can start. */
  get end(): number {
    return this.offset + MutexArea.bytesFor(this.count);
  }

  /**
   * Marks every mutex of the area held by process `pid` (or one of its threads) as held by a dead
   * owner and wakes its waiters: the next `lock()` takes it over at once and reports the recovery.
   * The master calls this when a child exits, so recovery does not wait for a waiter's liveness
   * check and cannot be fooled by the pid being reused.
   * @returns how many mutexes were marked.
   */
  releaseLocksOf(pid: number): number {
    if (this.#binding === null) return 0;
    try {
      return this.#binding.releaseDead(pid);
    } catch (err) {
      throw shmError(err);
    }
  }

  /** The mutex at `index`. @throws UwsgiError UWSGI_ERR_LOCK_INVALID when out of range. */
  get(index: number): RobustMutex {
    const mutex = Number.isInteger(index) ? this.#mutexes[index] : undefined;
    if (!mutex) throw new UwsgiError("UWSGI_ERR_LOCK_INVALID", index);
    return mutex;
  }
}
