/**
 * `mkfifo(3)` for the master FIFO: Node's fs has no call that creates a named pipe, so the
 * native addon provides it.
 * @module
 */
import { loadNativeAddon } from "../../native/native-addon.js";

/**
 * Creates a named pipe at `path` with permission bits `mode` (before the umask).
 * @throws Error with the errno name as `code` (EEXIST, EACCES, ...) when it cannot be created.
 */
export function mkfifoSync(path: string, mode: number): void {
  loadNativeAddon().mkfifo(path, mode);
}
