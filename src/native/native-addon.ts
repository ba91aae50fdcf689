/**
 * Loads the `uwsgi_native` Node-API addon with node-gyp-build: a local build
 * (native/build/Release/uwsgi_native.node, made by `npm install` when no prebuild fits) first,
 * else the prebuilt binary shipped in the package (native/prebuilds/linux-{x64,arm64}/, glibc and
 * musl). The addon is Linux-only and loaded on first use only: everything that can run without
 * it (the stub, `uwsgi-node/testing`) never calls {@link loadNativeAddon}; the spool file writer
 * uses it through {@link optionalNativeAddon}, when it loads, to write a task in one call.
 * @module
 */
import { existsSync, readFileSync } from "node:fs";
import { createRequire } from "node:module";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { UwsgiError } from "../errors.js";

/**
 * The raw addon. Errors it throws are plain `Error`s whose `code` is an errno name
 * (`EEXIST`, `EDEADLK`, ...), `EINVAL` for bad arguments or `SIZE_MISMATCH` from `mapFile`.
 * Prefer the wrappers ({@link SharedRegion}, `FileRegion`, `RobustMutex`), which turn them into
 * {@link UwsgiError}s.
 */
export interface NativeAddon {
  /** Creates (O_EXCL) and maps a POSIX shared-memory object of `size` bytes, zero-filled. */
  shmCreate(name: string, size: number): ArrayBuffer;
  /** Maps an existing shared-memory object; its size comes from the object itself. */
  shmAttach(name: string): ArrayBuffer;
  /** Removes a shared-memory name; existing mappings stay valid until collected. */
  shmUnlink(name: string): void;
  /** Maps a regular file MAP_SHARED, creating and sizing it when `create` and it is missing or empty. */
  mapFile(path: string, size: number, create: boolean): ArrayBuffer;
  /** Flushes a file mapping to disk (`MS_ASYNC` when `async`, else `MS_SYNC`). */
  msync(buffer: ArrayBuffer, async: boolean): void;
  /** Bytes one mutex slot takes (64: slots never share a cache line). */
  mutexSize(): number;
  /** Initializes a free mutex slot at `offset` (8-byte aligned). */
  mutexInit(buffer: ArrayBuffer, offset: number): void;
  /**
   * Binds `count` mutex slots starting at `offset` once and returns their slow paths, which take
   * a slot index: resolving a (buffer, offset) pair on every call would cost more than the lock.
   * The binding keeps the buffer alive. A waiter sleeps at most `recheckMs` (default 20) before
   * checking again whether the holder is alive; an unlock wakes it at once.
   */
  mutexBind(buffer: ArrayBuffer, offset: number, count: number, recheckMs?: number): NativeMutexBinding;
  /** The calling thread's id (`gettid()`; the pid for the main thread): what a lock records as its owner. */
  selfId(): number;
  /** True when a process with this pid exists (`kill(pid, 0)`). */
  pidAlive(pid: number): boolean;
  /** Creates a named pipe at `path` with permission bits `mode` (the master FIFO). */
  mkfifo(path: string, mode: number): void;
  /** Sends `message` as one datagram to the UNIX datagram socket `socketPath` (`@name`: abstract), as sd_notify() does. */
  notifyDatagram(socketPath: string, message: string): void;
  /**
   * Takes an exclusive `flock` on `fd` without waiting: false when another open file description
   * holds it. The lock goes with the descriptor (or its holder's death), in any PID namespace.
   */
  flockTry(fd: number): boolean;
  /**
   * Takes the POSIX record lock (`fcntl` F_WRLCK over the whole file) uWSGI's spooler takes on a
   * task file: true once held; false when another process holds it (only when not `wait`ing).
   */
  fcntlLock(fd: number, wait: boolean): boolean;
  /** Pid of a process holding a record lock on the file that conflicts with a write lock; 0 if none. */
  fcntlLockHolder(fd: number): number;
  /**
   * A spool file's whole write in one call: creates `tmpPath` (O_EXCL, mode 0600), writes `data`,
   * sets its atime/mtime to `at` (unix seconds) when `at` > 0, closes it and renames it to
   * `finalPath`. On failure the temporary file is gone and the errno error thrown has a `syscall`
   * (open, write, futimens, close, rename). Absent from addons built before it existed.
   */
  spoolWrite?(tmpPath: string, finalPath: string, data: Uint8Array, at: number): void;
  /**
   * A spooler's whole claim of a task file in one call: open read/write, the {@link fcntlLock}
   * record lock without waiting, stat of `path` (still there, size, time), and a read of the whole
   * file through the locked descriptor. Returns the bytes (the descriptor stays open and locked;
   * `out` gets `[fd, mtimeMs]`), or {@link SPOOL_CLAIM.gone} (cannot open, name gone, shorter than
   * `minSize`; descriptor closed) or {@link SPOOL_CLAIM.busy} (another process holds the lock).
   * Lock, stat and read failures throw an errno error with a `syscall` (fcntl, stat, read).
   * Absent from addons built before it existed.
   */
  spoolClaim?(path: string, minSize: number, out: Float64Array): Buffer | number;
}

/** What {@link NativeAddon.spoolClaim} returns when it claimed nothing. */
export const SPOOL_CLAIM = { gone: 0, busy: 1 } as const;

/**
 * The addon when it loads, else undefined (never throws): for code that works without it and
 * only uses it to go faster (checked once).
 */
export function optionalNativeAddon(): NativeAddon | undefined {
  if (optionalChecked) return optional;
  optionalChecked = true;
  optional = nativeAvailable() ? loadNativeAddon() : undefined;
  return optional;
}
let optional: NativeAddon | undefined;
let optionalChecked = false;

/**
 * The slow paths of slots `0..count-1` of a {@link NativeAddon.mutexBind} area (the fast paths are
 * compare-and-swaps in JS, see `RobustMutex`). `id` is the caller's {@link NativeAddon.selfId}.
 * Bad indexes and uninitialized slots throw `EINVAL`.
 */
export interface NativeMutexBinding {
  /** Sleeps until `id` holds the lock: false, or true when it was taken over from a dead holder. Throws `EDEADLK` when `id` holds it. */
  lockSlow(index: number, id: number): boolean;
  /** Never sleeps: -1 busy, 0 taken, 1 taken from a dead holder. */
  tryLockSlow(index: number, id: number): number;
  /** Releases a lock `id` holds and wakes a waiter; throws `EPERM` when `id` does not hold it. */
  unlockSlow(index: number, id: number): void;
  /** Marks every slot held by `pid` (or a thread of it) as held by a dead owner and wakes its waiters; returns how many. */
  releaseDead(pid: number): number;
}

/** Layout of a mutex slot's words (Int32 indexes within the slot) and the lock word's bits. */
export const MUTEX_WORD = { lock: 0, magic: 1 } as const;
/** `magic` word of an initialized slot ("uwMX" as a signed int32). */
export const MUTEX_MAGIC = 0x75774d58 | 0;
/** Lock word bits: owner id, holder known dead, someone may be waiting. */
export const LOCK_BITS = { idMask: 0x1fffffff, ownerDied: 0x20000000, waiters: 0x40000000 } as const;

let loaded: NativeAddon | undefined;
let failure: string | undefined;

/**
 * The package's `native/` directory (holding `build/Release/` and `prebuilds/`), under the
 * uwsgi-node package root found by walking up from this module to the `package.json` named
 * `uwsgi-node` (so it works from `dist/native/` and from `build/src/native/`); undefined if no
 * such package.json exists.
 */
export function nativeDir(): string | undefined {
  let dir = dirname(fileURLToPath(import.meta.url));
  for (;;) {
    const manifest = join(dir, "package.json");
    if (existsSync(manifest)) {
      try {
        const { name } = JSON.parse(readFileSync(manifest, "utf8")) as { name?: unknown };
        if (name === "uwsgi-node") return join(dir, "native");
      } catch {
        // unreadable or not JSON: not ours, keep walking up
      }
    }
    const parent = dirname(dir);
    if (parent === dir) return undefined;
    dir = parent;
  }
}

/**
 * Returns the addon, loading it on first use.
 * @throws UwsgiError UWSGI_ERR_NATIVE_UNAVAILABLE when not on Linux, when the addon was not built
 *   or when it fails to load; the message says which and how to fix it.
 * @example
 * ```ts
 * const addon = loadNativeAddon();
 * const mem = addon.shmCreate("/demo", 4096);
 * ```
 */
export function loadNativeAddon(): NativeAddon {
  if (loaded) return loaded;
  if (failure === undefined) {
    const outcome = load();
    if (typeof outcome !== "string") return (loaded = outcome);
    failure = outcome;
  }
  throw new UwsgiError("UWSGI_ERR_NATIVE_UNAVAILABLE", failure);
}

/** True when {@link loadNativeAddon} would succeed. Never throws. */
export function nativeAvailable(): boolean {
  try {
    loadNativeAddon();
    return true;
  } catch {
    return false;
  }
}

/**
 * The addon file node-gyp-build picks (a local build, else the prebuild matching this platform,
 * architecture and libc), or why there is none.
 */
export function nativeAddonPath(): string | { missing: string } {
  const dir = nativeDir();
  if (dir === undefined) return { missing: "cannot find the uwsgi-node package.json above this module" };
  const require = createRequire(import.meta.url);
  try {
    return (require("node-gyp-build") as { resolve(dir: string): string }).resolve(dir);
  } catch (err) {
    return {
      missing:
        `no prebuilt binary fits this machine and none was built in ${dir}/build ` +
        `(${(err as Error).message.split("\n")[0]}); build it with \`node scripts/build-native.mjs\` ` +
        "in the package (it needs a C compiler, make and python3)",
    };
  }
}

/** Loads the addon, or returns why it cannot be loaded. */
function load(): NativeAddon | string {
  if (process.platform !== "linux") return `it supports Linux only (this is ${process.platform})`;
  const path = nativeAddonPath();
  if (typeof path !== "string") return path.missing;
  try {
    return createRequire(import.meta.url)(path) as NativeAddon;
  } catch (err) {
    return `loading ${path} failed: ${(err as Error).message}`;
  }
}
