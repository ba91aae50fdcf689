/**
 * Named POSIX shared-memory regions (`/dev/shm/...`) mapped as ArrayBuffers, the per-instance
 * naming scheme `/uwsgi-node.<instance>.<what>`, and removal of regions left behind by killed
 * instances (judged by a lock on their owner record, see `InstanceOwner`).
 * @module
 */
import { closeSync, openSync, readdirSync, statSync, unlinkSync } from "node:fs";
import { join } from "node:path";
import { UwsgiError } from "../errors.js";
import { loadNativeAddon } from "./native-addon.js";
import { nativeErrno, shmError } from "./native-error.js";

/** Prefix of every region name uwsgi-node creates (without the leading slash). */
export const REGION_PREFIX = "uwsgi-node.";

/** Where Linux exposes POSIX shared-memory objects. */
export const SHM_DIR = "/dev/shm";

/** The instance part of a region name (a random id, see `InstanceOwner`). */
const INSTANCE_RE = /^[A-Za-z0-9_-]{1,64}$/;
const WHAT_RE = /^[A-Za-z0-9_.-]+$/;
/** The `what` of an instance's owner record. */
const OWNER_WHAT = "owner";
/** A directory entry in {@link SHM_DIR} of the form one of our instances creates; group 1 is its instance id. */
const OURS_RE = /^uwsgi-node\.([A-Za-z0-9_-]{1,64})\.[A-Za-z0-9_.-]+$/;

/**
 * A named shared-memory region mapped read/write into this process. Every process that creates
 * or attaches the same name sees the same bytes, so `Atomics` on an `Int32Array` over
 * {@link SharedRegion.buffer} are exact across processes. The mapping lives as long as the
 * ArrayBuffer; {@link SharedRegion.unlink} only removes the name.
 */
export class SharedRegion {
  private constructor(
    /** The POSIX name, e.g. `/uwsgi-node.1234.cache-default`. */
    readonly name: string,
    /** The mapped bytes (zero-filled when created). */
    readonly buffer: ArrayBuffer,
  ) {}

  /**
   * Creates a region of `size` bytes. Fails if the name exists unless `replace` is set, in which
   * case the old name is unlinked first (processes still attached to it keep the old bytes).
   * The memory is reserved up front, so a full /dev/shm fails here rather than crashing later.
   * @throws UwsgiError UWSGI_ERR_SHM naming the call, the region and the system error.
   * @example
   * ```ts
   * const region = SharedRegion.create(regionName(process.pid, "counters"), 4096);
   * Atomics.add(new Int32Array(region.buffer), 0, 1);
   * ```
   */
  static create(name: string, size: number, options: { replace?: boolean } = {}): SharedRegion {
    const addon = loadNativeAddon();
    try {
      if (options.replace) unlinkName(name);
      return new SharedRegion(name, addon.shmCreate(name, size));
    } catch (err) {
      throw shmError(err);
    }
  }

  /**
   * Maps an existing region created by another process (or this one).
   * @throws UwsgiError UWSGI_ERR_SHM, e.g. when no region has this name.
   * @example
   * ```ts
   * const region = SharedRegion.attach(regionName(process.env.UWSGI_NODE_INSTANCE!, "counters"));
   * ```
   */
  static attach(name: string): SharedRegion {
    const addon = loadNativeAddon();
    try {
      return new SharedRegion(name, addon.shmAttach(name));
    } catch (err) {
      throw shmError(err);
    }
  }

  /** Size of the mapping in bytes. */
  get size(): number {
    return this.buffer.byteLength;
  }

  /**
   * Removes the name so no new process can attach; current mappings stay valid.
   * @returns false when the name was already gone.
   */
  unlink(): boolean {
    try {
      return unlinkName(this.name);
    } catch (err) {
      throw shmError(err);
    }
  }
}

/** shm_unlink that reports a missing name as false instead of throwing. */
function unlinkName(name: string): boolean {
  try {
    loadNativeAddon().shmUnlink(name);
    return true;
  } catch (err) {
    if (nativeErrno(err) === "ENOENT") return false;
    throw err;
  }
}

/**
 * The region name for one shared structure of one server instance: `/uwsgi-node.<instance>.<what>`.
 * `instanceId` is the instance's random id (what `UWSGI_NODE_INSTANCE` holds, see
 * `InstanceOwner`): letters, digits, `_` and `-`, never the master's pid, so two instances
 * sharing /dev/shm never share a name even when both masters are pid 1 in their PID namespaces.
 * `what` may not be `owner` (the owner record's name).
 * @throws UwsgiError UWSGI_ERR_INVALID_ARGUMENT for a malformed instance id or `what`.
 * @example
 * ```ts
 * regionName("k3v9x0d2a7mq", "cache.default"); // "/uwsgi-node.k3v9x0d2a7mq.cache.default"
 * ```
 */
export function regionName(instanceId: string | number, what: string): string {
  const instance = String(instanceId);
  if (!INSTANCE_RE.test(instance)) {
    throw new UwsgiError("UWSGI_ERR_INVALID_ARGUMENT", "instanceId", `expected 1-64 letters, digits, '_' or '-', got ${JSON.stringify(instance)}`);
  }
  if (!WHAT_RE.test(what) || what === OWNER_WHAT) {
    throw new UwsgiError("UWSGI_ERR_INVALID_ARGUMENT", "what", `expected letters, digits, '.', '_' or '-' (not "${OWNER_WHAT}"), got ${JSON.stringify(what)}`);
  }
  const name = `/${REGION_PREFIX}${instance}.${what}`;
  if (name.length > 255) throw new UwsgiError("UWSGI_ERR_INVALID_ARGUMENT", "what", `region name ${name} is longer than 255 characters`);
  return name;
}

/** The owner record of an instance in `dir`: `uwsgi-node.<id>.owner`. */
export function ownerPath(dir: string, instanceId: string): string {
  return join(dir, `${REGION_PREFIX}${instanceId}.${OWNER_WHAT}`);
}

/** Prefix of an owner record being claimed (not yet visible under its final name). */
export const CLAIM_PREFIX = ".uwsgi-node-claim.";

/** A claim file older than this whose lock is free was left by a process that died claiming. */
const CLAIM_GRACE_MS = 10_000;

/**
 * Unlinks the regions of instances that no longer run. An instance is judged by its owner record
 * `uwsgi-node.<id>.owner`, a file its master holds an exclusive `flock` on for its whole life: if
 * the lock can be taken, the master is gone (the kernel drops the lock with its last descriptor,
 * whatever PID namespace it ran in), and every `uwsgi-node.<id>.*` entry is removed, the owner
 * record last. Instances whose record is locked, and names without an owner record (not made by
 * an instance, e.g. a test's own regions), are never touched, nor are entries this user may not
 * open or remove (another user's instance in the sticky /dev/shm). Never judged by pid.
 * @returns the names removed (regions and owner records), e.g. `["/uwsgi-node.k3v9.cache.0.data", "/uwsgi-node.k3v9.owner"]`.
 * @example
 * ```ts
 * for (const name of cleanupStaleRegions()) console.log(`removed stale region ${name}`);
 * ```
 */
export function cleanupStaleRegions(dir: string = SHM_DIR): string[] {
  let entries: string[];
  try {
    entries = readdirSync(dir);
  } catch {
    return [];
  }
  const byInstance = new Map<string, string[]>();
  for (const entry of entries) {
    const match = OURS_RE.exec(entry);
    if (!match) {
      if (entry.startsWith(CLAIM_PREFIX)) removeAbandonedClaim(join(dir, entry));
      continue;
    }
    let list = byInstance.get(match[1]!);
    if (!list) byInstance.set(match[1]!, (list = []));
    list.push(entry);
  }
  const removed: string[] = [];
  for (const [id, names] of byInstance) {
    const owner = `${REGION_PREFIX}${id}.${OWNER_WHAT}`;
    if (!names.includes(owner)) continue;
    const lock = lockIfAbandoned(join(dir, owner));
    if (lock === null) continue;
    try {
      for (const entry of names) {
        if (entry !== owner && unlinkQuietly(join(dir, entry))) removed.push(`/${entry}`);
      }
      if (unlinkQuietly(join(dir, owner))) removed.push(`/${owner}`);
    } finally {
      closeSync(lock);
    }
  }
  return removed;
}

/** Opens `path` and takes its lock: the descriptor (holding the lock) when nobody held it, else null. */
function lockIfAbandoned(path: string): number | null {
  let fd: number;
  try {
    fd = openSync(path, "r");
  } catch (err) {
    // gone meanwhile, or another user's instance: not ours to judge
    if (NOT_OURS.has((err as NodeJS.ErrnoException).code ?? "")) return null;
    throw shmError(err);
  }
  let taken = false;
  try {
    taken = loadNativeAddon().flockTry(fd);
  } catch (err) {
    closeSync(fd);
    throw shmError(err);
  }
  if (taken) return fd;
  closeSync(fd);
  return null;
}

function removeAbandonedClaim(path: string): void {
  try {
    if (Date.now() - statSync(path).mtimeMs < CLAIM_GRACE_MS) return;
  } catch {
    return;
  }
  const lock = lockIfAbandoned(path);
  if (lock === null) return;
  unlinkQuietly(path);
  closeSync(lock);
}

/** Errors that mean "leave this entry alone": gone already, or another user's (sticky /dev/shm). */
const NOT_OURS = new Set(["ENOENT", "EACCES", "EPERM"]);

function unlinkQuietly(path: string): boolean {
  try {
    unlinkSync(path);
    return true;
  } catch (err) {
    if (NOT_OURS.has((err as NodeJS.ErrnoException).code ?? "")) return false;
    throw shmError(err);
  }
}
