/**
 * Loads the `uwsgi_native` Node-API addon (native/build/Release/uwsgi_native.node) built by
 * `npm install`. The addon is Linux-only; everything that can run without it (the stub) must
 * never call {@link loadNativeAddon}.
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
  /** Bytes one mutex slot takes (a multiple of 64, so slots never share a cache line). */
  mutexSize(): number;
  /** Initializes a process-shared, robust, error-checking mutex at `offset` (8-byte aligned). */
  mutexInit(buffer: ArrayBuffer, offset: number): void;
  /**
   * Binds `count` initialized mutex slots starting at `offset` once, so that each lock call takes
   * one slot index and no other argument: the lock is on the cache's hot path, and resolving a
   * (buffer, offset) pair on every call costs more than the lock itself. The binding keeps the
   * buffer alive; a lock held when the binding is collected keeps it alive until released.
   */
  mutexBind(buffer: ArrayBuffer, offset: number, count: number): NativeMutexBinding;
  /** True when a process with this pid exists (`kill(pid, 0)`). */
  pidAlive(pid: number): boolean;
}

/** Slots `0..count-1` of a {@link NativeAddon.mutexBind} area. Bad indexes and uninitialized slots throw `EINVAL`. */
export interface NativeMutexBinding {
  /** Blocks until held: false, or true when the previous owner died holding it (state made consistent). Throws `EDEADLK` when this process holds it. */
  lock(index: number): boolean;
  /** Never blocks: -1 when held by someone (including this thread), 0 taken, 1 taken from a dead owner. */
  tryLock(index: number): number;
  /** Releases the mutex; throws `EPERM` when this process does not hold it. */
  unlock(index: number): void;
  /** Pid the holder recorded, 0 when free (may name a dead process until the lock is recovered). */
  owner(index: number): number;
}

/** The addon's file name under `native/build/Release/`. */
const ADDON_FILE = "uwsgi_native.node";

let loaded: NativeAddon | undefined;
let failure: string | undefined;

/**
 * Absolute path where the built addon is expected, under the uwsgi-node package root (found by
 * walking up from this module to the `package.json` named `uwsgi-node`, so it works from
 * `dist/native/` and from `build/src/native/`); undefined if no such package.json exists.
 */
export function nativeAddonPath(): string | undefined {
  let dir = dirname(fileURLToPath(import.meta.url));
  for (;;) {
    const manifest = join(dir, "package.json");
    if (existsSync(manifest)) {
      try {
        const { name } = JSON.parse(readFileSync(manifest, "utf8")) as { name?: unknown };
        if (name === "uwsgi-node") return join(dir, "native", "build", "Release", ADDON_FILE);
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

/** Loads the addon, or returns why it cannot be loaded. */
function load(): NativeAddon | string {
  if (process.platform !== "linux") return `it supports Linux only (this is ${process.platform})`;
  const path = nativeAddonPath();
  if (path === undefined) return "cannot find the uwsgi-node package.json above this module";
  if (!existsSync(path)) {
    return `${path} was not built (run \`npm install\` or \`node scripts/build-native.mjs\`; it needs a C compiler, make and python3)`;
  }
  try {
    return createRequire(import.meta.url)(path) as NativeAddon;
  } catch (err) {
    return `loading ${path} failed: ${(err as Error).message}`;
  }
}
