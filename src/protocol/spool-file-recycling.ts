/**
 * Reusing the files of finished tasks for new ones.
 *
 * Creating a file (a new inode) is by far the dearest step of spooling a task: on ext4 it costs
 * ten times the write, the rename and the unlink together. So a spooler that finishes a task
 * (SPOOL_OK) zeroes the contents of its file and links it into
 * `<spool dir>/.uwsgi-node-recycled/` before unlinking the task's name (at most
 * {@link RECYCLE_SLOTS} files there; when the slot it would take is still full, the file is
 * simply unlinked). The folder never holds more files than the directory once held tasks (a file
 * is parked only when its task is done, and a writer takes it back), so a burst of spools finds
 * as many files as the last burst left, up to the bound. (Measured here: after a burst of unlinks,
 * creating a file costs hundreds of µs of system time, as ext4 without a journal skips every inode
 * freed in the last seconds when it allocates one.) A writer takes one from there by renaming it to its
 * hidden temporary name, writes the task over it and renames it into place as usual, so the task
 * still appears complete or not at all. When the folder is empty, missing, or on another file
 * system, the writer creates the file as before.
 *
 * Where creating a file is cheap, on a file system in memory (tmpfs, ramfs), parking and taking a
 * file costs more than it saves (the spooler's zeroing write and link, the writer's rename, open
 * and fstat, against one open that creates the file), so there a spooler unlinks finished task
 * files as uWSGI does and parks nothing, and a writer does not look in the folder (each looks at
 * the file system type again every second, as one may be mounted over the directory).
 *
 * Nothing here is seen by a spooler: the folder's name is neither a task name nor a priority
 * directory (uWSGI's spooler skips it too). A file is only reused if it is a regular file of this
 * user with a single link, opened without following a symlink, so nothing planted there is
 * written through.
 * @module
 */
import { Buffer } from "node:buffer";
import { closeSync, constants, fstatSync, linkSync, mkdirSync, openSync, readdirSync, renameSync, statSync, statfsSync, unlinkSync, writeSync } from "node:fs";
import { join } from "node:path";
import { performance } from "node:perf_hooks";

/** The folder, inside a spool directory, of files ready for reuse. */
export const RECYCLE_DIR = ".uwsgi-node-recycled";

/**
 * How many files that folder holds at most (one spooler's names cycle through these slots):
 * bursts of up to this many tasks reuse files throughout. Each parked file keeps its block
 * (4 KiB on most file systems), a file the directory held anyway while its task waited.
 */
export const RECYCLE_SLOTS = 16384;

/** statfs f_type of tmpfs and ramfs: file systems in memory, where creating a file is cheap. */
const IN_MEMORY_FS_TYPES: ReadonlySet<number> = new Set([0x01021994, 0x858458f6]);

/** True when `dir` is on a file system in memory (false when it cannot be told). */
export function isInMemoryFileSystem(dir: string): boolean {
  try {
    return IN_MEMORY_FS_TYPES.has(statfsSync(dir).type);
  } catch {
    return false;
  }
}

/** How long (ms) a spooler or a writer trusts the file system type it saw. */
const FS_RECHECK_MS = 1000;

/**
 * Whether a spool directory is on a file system in memory now: looked at again at most once per
 * {@link FS_RECHECK_MS} (one may be mounted over the directory meanwhile).
 */
class InMemoryCheck {
  readonly #dir: string;
  #inMemory = false;
  #checkedAt = -Infinity;

  constructor(dir: string) {
    this.#dir = dir;
  }

  now(): boolean {
    const t = performance.now();
    if (t - this.#checkedAt >= FS_RECHECK_MS) {
      this.#checkedAt = t;
      this.#inMemory = isInMemoryFileSystem(this.#dir);
    }
    return this.#inMemory;
  }
}

interface WriterView {
  /** Whether the spool directory is on a file system in memory: nothing is parked there, nothing looked for. */
  inMemory: InMemoryCheck;
  /** Names read from the folder, not yet tried. */
  names: string[];
  /** The folder's mtime (ns; -1: missing) when it was last read empty: until it changes, no new read. */
  emptyStamp: bigint | null;
}

const writerViews = new Map<string, WriterView>();
const uid = process.getuid?.() ?? -1;

function folderStamp(pool: string): bigint {
  try {
    return statSync(pool, { bigint: true, throwIfNoEntry: false })?.mtimeNs ?? -1n;
  } catch {
    return -1n;
  }
}

/** A recycled file taken for writing: its descriptor (open read/write) and its current size. */
export interface RecycledSpoolFile {
  readonly fd: number;
  readonly size: number;
}

/**
 * Takes a recycled file of spool directory `dir` and renames it to `tmpPath` (a hidden name in
 * `dir` or one of its priority subdirectories), or returns null when there is none to take (the
 * caller then creates the file), at once when `dir` is on a file system in memory.
 */
export function takeRecycledSpoolFile(dir: string, tmpPath: string): RecycledSpoolFile | null {
  const pool = join(dir, RECYCLE_DIR);
  let view = writerViews.get(pool);
  if (!view) {
    view = { inMemory: new InMemoryCheck(dir), names: [], emptyStamp: null };
    writerViews.set(pool, view);
  }
  if (view.inMemory.now()) return null;
  for (;;) {
    if (view.names.length === 0) {
      // one stat while the folder stays empty (a file renamed into it changes its mtime)
      const stamp = folderStamp(pool);
      if (stamp === view.emptyStamp) return null;
      try {
        view.names = stamp < 0n ? [] : readdirSync(pool);
      } catch {
        view.names = [];
      }
      if (view.names.length === 0) {
        view.emptyStamp = stamp;
        return null;
      }
      view.emptyStamp = null;
    }
    const name = view.names.pop()!;
    try {
      renameSync(join(pool, name), tmpPath);
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === "ENOENT") continue; // taken by another writer
      view.names = [];
      view.emptyStamp = folderStamp(pool); // e.g. EXDEV: not again until the folder changes
      return null;
    }
    let fd: number;
    try {
      fd = openSync(tmpPath, constants.O_RDWR | constants.O_NOFOLLOW);
    } catch {
      discard(tmpPath);
      continue;
    }
    const st = fstatSync(fd);
    if (st.isFile() && st.nlink === 1 && (uid < 0 || st.uid === uid)) return { fd, size: st.size };
    closeSync(fd);
    discard(tmpPath);
  }
}

function discard(path: string): void {
  try {
    unlinkSync(path);
  } catch {
    // already gone
  }
}

let zeroBuffer = Buffer.alloc(4096);

/** At least `size` zero bytes (one buffer, grown when a bigger file comes, never written to). */
function zeroes(size: number): Buffer {
  if (zeroBuffer.length < size) zeroBuffer = Buffer.alloc(size);
  return zeroBuffer;
}

/** A spooler's side: where its finished task files go. */
export class SpoolFileRecycler {
  readonly #pool: string;
  readonly #slots: number;
  readonly #anyFileSystem: boolean;
  #slot: number;
  #ready = false;
  readonly #inMemory: InMemoryCheck;

  /**
   * @param dir the spool directory (its priority subdirectories share the folder).
   * @param slots how many files the folder holds at most (tests use fewer).
   * @param anyFileSystem park files on a file system in memory too (tests).
   */
  constructor(dir: string, slots = RECYCLE_SLOTS, anyFileSystem = false) {
    this.#inMemory = new InMemoryCheck(dir);
    this.#pool = join(dir, RECYCLE_DIR);
    this.#slots = slots;
    this.#slot = Math.floor(Math.random() * slots);
    this.#anyFileSystem = anyFileSystem;
  }

  /** True when finished files are parked now (not on a file system in memory). */
  parks(): boolean {
    if (this.#anyFileSystem) return true;
    return !this.#inMemory.now();
  }

  /**
   * Parks the finished task file `path` (open as `fd`, `size` bytes, still locked by this
   * process) in the folder with its contents zeroed when its next slot is free, then unlinks
   * the task's name. On a file system in memory: only unlinks it.
   * @throws the unlink's error when the name cannot be removed (e.g. already gone).
   */
  retire(path: string, fd: number, size: number): void {
    if (!this.parks()) {
      unlinkSync(path);
      return;
    }
    try {
      if (!this.#ready) {
        mkdirSync(this.#pool, { recursive: true, mode: 0o700 });
        this.#ready = true;
      }
      this.#slot = (this.#slot + 1) % this.#slots;
      const parked = join(this.#pool, `f${this.#slot}`);
      // no task's data stays behind in a reusable file
      if (size > 0) writeSync(fd, zeroes(size), 0, size, 0);
      // a link, never a rename over a parked file: replacing a file makes ext4 write the new
      // one's data out at once (auto_da_alloc), a disk wait per task; a taken slot: unlink it
      linkSync(path, parked);
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== "EEXIST") this.#ready = false;
    }
    unlinkSync(path);
  }
}
