/**
 * Named POSIX shared-memory regions (`/dev/shm/...`) mapped as ArrayBuffers, the per-instance
 * naming scheme `/uwsgi-node.<instance>.<what>`, and removal of regions left behind by killed
 * instances.
 * @module
 */
import { readFileSync, readdirSync, statSync, unlinkSync } from "node:fs";
import { join } from "node:path";
import { UwsgiError } from "../errors.js";
import { loadNativeAddon } from "./native-addon.js";
import { nativeErrno, shmError } from "./native-error.js";

/** Prefix of every region name uwsgi-node creates (without the leading slash). */
export const REGION_PREFIX = "uwsgi-node.";

/** Where Linux exposes POSIX shared-memory objects. */
export const SHM_DIR = "/dev/shm";

/** `<pid>` or `<pid>-<tag>`: the instance part of a region name; the pid is the master's. */
const INSTANCE_RE = /^[1-9]\d*(?:-[A-Za-z0-9_]+)?$/;
const WHAT_RE = /^[A-Za-z0-9_.-]+$/;
/** A directory entry in {@link SHM_DIR} that one of our instances created; group 1 is its pid. */
const OURS_RE = /^uwsgi-node\.([1-9]\d*)(?:-[A-Za-z0-9_]+)?\.[A-Za-z0-9_.-]+$/;

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
 * `instanceId` is the master's pid, optionally followed by `-tag` (what `UWSGI_NODE_INSTANCE`
 * holds); the pid is how {@link cleanupStaleRegions} recognises a dead instance's leftovers.
 * @throws UwsgiError UWSGI_ERR_INVALID_ARGUMENT for a malformed instance id or `what`.
 * @example
 * ```ts
 * regionName(4242, "cache.default"); // "/uwsgi-node.4242.cache.default"
 * ```
 */
export function regionName(instanceId: string | number, what: string): string {
  const instance = String(instanceId);
  if (!INSTANCE_RE.test(instance)) {
    throw new UwsgiError("UWSGI_ERR_INVALID_ARGUMENT", "instanceId", `expected <pid> or <pid>-<tag>, got ${JSON.stringify(instance)}`);
  }
  if (!WHAT_RE.test(what)) {
    throw new UwsgiError("UWSGI_ERR_INVALID_ARGUMENT", "what", `expected letters, digits, '.', '_' or '-', got ${JSON.stringify(what)}`);
  }
  const name = `/${REGION_PREFIX}${instance}.${what}`;
  if (name.length > 255) throw new UwsgiError("UWSGI_ERR_INVALID_ARGUMENT", "what", `region name ${name} is longer than 255 characters`);
  return name;
}

/**
 * Unlinks regions left behind by instances that no longer run: entries `uwsgi-node.<pid>[-tag].*`
 * in {@link SHM_DIR} whose pid is dead, or alive but started after the region was created (the pid
 * was reused). Other names are never touched. Works without the addon.
 * @returns the names removed, e.g. `["/uwsgi-node.4242.cache.default"]`.
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
  const removed: string[] = [];
  for (const entry of entries) {
    const match = OURS_RE.exec(entry);
    if (!match) continue;
    const path = join(dir, entry);
    try {
      if (!isStale(Number(match[1]), statSync(path))) continue;
      unlinkSync(path);
      removed.push(`/${entry}`);
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== "ENOENT") throw shmError(err);
    }
  }
  return removed;
}

/** Slack for comparing a process start time (1 s resolution) with a file time. */
const CLOCK_SLACK_MS = 2000;

function isStale(pid: number, region: { mtimeMs: number; ctimeMs: number; birthtimeMs: number }): boolean {
  if (!pidAlive(pid)) return true;
  const started = processStartMs(pid);
  // The earliest of the file's times: birth time where the filesystem records it, else mtime/ctime.
  const created = Math.min(region.mtimeMs, region.ctimeMs, region.birthtimeMs > 0 ? region.birthtimeMs : Infinity);
  return started !== undefined && started > created + CLOCK_SLACK_MS;
}

/** True when a process with this pid exists (EPERM means it exists but is not ours to signal). */
export function pidAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === "EPERM";
  }
}

/** Linux's fixed USER_HZ: /proc/<pid>/stat start times are in these ticks. */
const USER_HZ = 100;

/** When `pid` started (epoch ms, ~10 ms resolution plus boot-time rounding), from /proc. */
function processStartMs(pid: number): number | undefined {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, "utf8");
    // Fields after the parenthesised command name; starttime is field 22 overall.
    const fields = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
    const ticks = Number(fields[19]);
    const btime = /^btime (\d+)$/m.exec(readFileSync("/proc/stat", "utf8"));
    if (!btime || !Number.isFinite(ticks)) return undefined;
    return Number(btime[1]) * 1000 + (ticks * 1000) / USER_HZ;
  } catch {
    return undefined;
  }
}
