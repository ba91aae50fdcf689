/**
 * File-backed shared regions: a regular file mapped MAP_SHARED (what a cache `store=` file is).
 * Every process mapping the same file sees the same bytes, and the file keeps them across restarts.
 * @module
 */
import { UwsgiError } from "../errors.js";
import { loadNativeAddon } from "./native-addon.js";
import { nativeErrno, shmError } from "./native-error.js";

/** A regular file mapped read/write and shared with every other process that maps it. */
export class FileRegion {
  private constructor(
    /** The file's path as given. */
    readonly path: string,
    /** The mapped bytes; writes reach the file (see {@link FileRegion.sync} for durability). */
    readonly buffer: ArrayBuffer,
  ) {}

  /**
   * Maps `path`, which must hold exactly `size` bytes. With `create` (the default) a missing or
   * empty file is created and sized (zero-filled, disk space reserved up front).
   * @throws UwsgiError UWSGI_ERR_SHM_SIZE_MISMATCH when the file exists with another size (the
   *   cache's `store_delete` decides whether to delete it and retry), UWSGI_ERR_SHM otherwise.
   * @example
   * ```ts
   * const store = FileRegion.open("/var/lib/app/cache.store", 1 << 20);
   * new Uint8Array(store.buffer)[0] = 1;
   * store.sync();
   * ```
   */
  static open(path: string, size: number, options: { create?: boolean } = {}): FileRegion {
    const addon = loadNativeAddon();
    try {
      return new FileRegion(path, addon.mapFile(path, size, options.create ?? true));
    } catch (err) {
      if (nativeErrno(err) === "SIZE_MISMATCH") {
        throw new UwsgiError("UWSGI_ERR_SHM_SIZE_MISMATCH", path, (err as Error).message);
      }
      throw shmError(err);
    }
  }

  /** Size of the mapping in bytes. */
  get size(): number {
    return this.buffer.byteLength;
  }

  /**
   * Writes dirty pages back to the file: scheduled (`async`, uWSGI's MS_ASYNC) or waited for.
   * Other processes see writes at once either way; this only matters for the disk copy.
   */
  sync(async = false): void {
    try {
      loadNativeAddon().msync(this.buffer, async);
    } catch (err) {
      throw shmError(err);
    }
  }
}
