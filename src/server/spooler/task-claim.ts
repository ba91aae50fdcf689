/**
 * Claiming a task file the way uWSGI's spooler does (core/spooler.c `spooler_manage_task`): open
 * it read/write, take the fcntl write lock without waiting (held until the task is done), check
 * that the name is still there (a spooler that finished it unlinks it, or moves it to `failed`,
 * before letting go; task names are never reused, so a name that is still there still leads to
 * the file we locked), and read it through the locked descriptor (closing another descriptor of
 * the file would drop the lock). The one stat of the name gives the size and the time too.
 * With an addon that has `spoolClaim` the four steps are one native call (same system calls).
 * @module
 */
import { Buffer } from "node:buffer";
import { closeSync, constants, openSync, readSync, statSync, unlinkSync } from "node:fs";
import type { ClaimedTask, TaskClaimer } from "../../engines/spooler/spool-task-runner.js";
import { UWSGI_HEADER_SIZE } from "../../protocol/packet.js";
import { SpoolFileRecycler } from "../../protocol/spool-file-recycling.js";
import { lockError, tryLockFile } from "../../native/file-lock.js";
import { type NativeAddon, loadNativeAddon } from "../../native/native-addon.js";

function readAll(fd: number, size: number): Buffer {
  const buf = Buffer.allocUnsafe(size);
  let off = 0;
  while (off < size) {
    const n = readSync(fd, buf, off, size - off, off);
    if (n === 0) break;
    off += n;
  }
  return off === size ? buf : buf.subarray(0, off);
}

/**
 * Locks and reads `path`; null when another process holds it, its name is gone, or it is
 * shorter than a header (uWSGI's writer creates the file before it locks it). A task that is done
 * is unlinked (still locked), or, with a `recycler`, zeroed and kept for a writer to reuse.
 */
export function claimLocked(path: string, recycler?: SpoolFileRecycler): ClaimedTask | null {
  const native = loadNativeAddon();
  if (native.spoolClaim) return claimNative(native.spoolClaim, path, recycler);
  let fd: number;
  try {
    fd = openSync(path, constants.O_RDWR);
  } catch {
    return null;
  }
  let keep = false;
  try {
    if (!tryLockFile(fd, path)) return null;
    // done and unlinked (or moved) by the spooler that held it: no such name any more
    const st = statSync(path, { throwIfNoEntry: false });
    if (!st || st.size < UWSGI_HEADER_SIZE) return null;
    const bytes = readAll(fd, st.size);
    keep = true;
    return {
      bytes,
      fileTimeMs: st.mtimeMs,
      retire: recycler ? () => recycler.retire(path, fd, st.size) : () => unlinkSync(path),
      release: () => closeSync(fd),
    };
  } finally {
    if (!keep) closeSync(fd);
  }
}

/** Where {@link NativeAddon.spoolClaim} puts the descriptor and the time (one per process: claims are synchronous). */
const claimOut = new Float64Array(2);

/**
 * {@link claimLocked}'s open, lock, stat and read in one native call (same system calls, same
 * outcomes): an addon built before `spoolClaim` existed takes the five calls from JS instead.
 */
function claimNative(spoolClaim: NonNullable<NativeAddon["spoolClaim"]>, path: string, recycler?: SpoolFileRecycler): ClaimedTask | null {
  let got: Buffer | number;
  try {
    got = spoolClaim(path, UWSGI_HEADER_SIZE, claimOut);
  } catch (err) {
    // a lock failure is coded as JS's tryLockFile codes it; stat and read errors go as they are
    if ((err as NodeJS.ErrnoException).syscall === "fcntl") throw lockError(path, err);
    throw err;
  }
  if (typeof got === "number") return null;
  const bytes = got;
  const fd = claimOut[0]!;
  const size = bytes.length;
  return {
    bytes,
    fileTimeMs: claimOut[1]!,
    retire: recycler ? () => recycler.retire(path, fd, size) : () => unlinkSync(path),
    release: () => closeSync(fd),
  };
}

/**
 * {@link claimLocked} for the spooler of `dir`: finished task files are recycled there (by
 * `recycler`, default: one for `dir` with its default slots).
 */
export function recyclingClaimer(dir: string, recycler = new SpoolFileRecycler(dir)): TaskClaimer {
  return (path) => claimLocked(path, recycler);
}
