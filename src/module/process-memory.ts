/**
 * Memory of the calling process, as `uwsgi.mem()` reports it: (rss, vsz) in bytes.
 * @module
 */
import { readFileSync } from "node:fs";

const PAGE_SIZE = 4096;

/** (rss, vsz) of this process in bytes; vsz from /proc where available, else 0. */
export function processMemory(): [number, number] {
  const rss = process.memoryUsage.rss();
  try {
    const [vszPages] = readFileSync("/proc/self/statm", "utf8").split(" ");
    return [rss, Number(vszPages) * PAGE_SIZE];
  } catch {
    return [rss, 0];
  }
}
