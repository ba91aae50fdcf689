/**
 * The identity of one server instance in shared memory: a random id (the instance part of every
 * region name, handed to children in `UWSGI_NODE_INSTANCE`) and an owner record,
 * `/dev/shm/uwsgi-node.<id>.owner`, on which the master holds an exclusive `flock` for its whole
 * life. Another instance decides that this one is gone by taking that lock
 * ({@link cleanupStaleRegions}), which works across PID namespaces sharing /dev/shm, where pids
 * say nothing (both masters may be pid 1).
 *
 * The record appears already locked: it is created under a claim name, locked, then linked to its
 * final name, so a cleaner never finds it unlocked while its instance lives.
 * @module
 */
import { randomBytes } from "node:crypto";
import { closeSync, linkSync, openSync, unlinkSync, writeSync } from "node:fs";
import { join } from "node:path";
import { UwsgiError } from "../errors.js";
import { loadNativeAddon } from "./native-addon.js";
import { shmError } from "./native-error.js";
import { CLAIM_PREFIX, SHM_DIR, ownerPath } from "./shared-region.js";

/**
 * A new instance id: 16 random lowercase hex digits (64 bits), never all decimal digits, so it can
 * never be read as a pid (what older versions put in region names).
 */
export function newInstanceId(): string {
  for (;;) {
    const id = randomBytes(8).toString("hex");
    if (!/^\d+$/.test(id)) return id;
  }
}

/** An instance's claim on its id, held by its master. */
export class InstanceOwner {
  #fd: number | null;

  private constructor(
    /** The instance id (region names: `/uwsgi-node.<id>.<what>`). */
    readonly id: string,
    /** Path of the owner record. */
    readonly path: string,
    fd: number,
  ) {
    this.#fd = fd;
  }

  /**
   * Claims a fresh instance id in `dir` and holds its owner record's lock until {@link release}
   * (or this process's death). The descriptor is close-on-exec, so children do not hold it.
   * @throws UwsgiError UWSGI_ERR_SHM when the record cannot be created (e.g. /dev/shm is full or read-only).
   * @example
   * ```ts
   * const owner = InstanceOwner.claim();
   * SharedRegion.create(regionName(owner.id, "locks"), 4096);
   * ```
   */
  static claim(dir: string = SHM_DIR): InstanceOwner {
    const addon = loadNativeAddon();
    for (let attempt = 0; attempt < 5; attempt++) {
      const id = newInstanceId();
      const claim = join(dir, `${CLAIM_PREFIX}${id}`);
      const path = ownerPath(dir, id);
      let fd: number;
      try {
        // readable by all: other users' instances may test the lock (they cannot remove it: sticky /dev/shm)
        fd = openSync(claim, "wx", 0o644);
      } catch (err) {
        if ((err as NodeJS.ErrnoException).code === "EEXIST") continue;
        throw shmError(err);
      }
      try {
        // a cleaner may have taken (and removed) the fresh claim before we locked it: try another id
        if (!addon.flockTry(fd)) {
          closeSync(fd);
          continue;
        }
        writeSync(fd, `${JSON.stringify({ pid: process.pid, started: new Date().toISOString() })}\n`);
        linkSync(claim, path);
      } catch (err) {
        closeSync(fd);
        const code = (err as NodeJS.ErrnoException).code;
        if (code === "ENOENT" || code === "EEXIST") continue;
        throw shmError(err);
      } finally {
        try {
          unlinkSync(claim);
        } catch {
          // removed by a cleaner that judged the claim abandoned; the record is what counts
        }
      }
      return new InstanceOwner(id, path, fd);
    }
    throw new UwsgiError("UWSGI_ERR_SHM", `cannot claim an instance id in ${dir}: every attempt collided`);
  }

  /** Removes the owner record and drops its lock (after the instance's regions are unlinked). */
  release(): void {
    if (this.#fd === null) return;
    try {
      unlinkSync(this.path);
    } catch {
      // already removed
    }
    closeSync(this.#fd);
    this.#fd = null;
  }
}
