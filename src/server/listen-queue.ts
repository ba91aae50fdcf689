/**
 * How many connections wait in a listening socket's accept queue (uWSGI's `listen_queue`),
 * read from `/proc/net/tcp{,6}` on Linux: for a socket in LISTEN state the kernel reports the
 * queue length in `rx_queue`. Unix sockets and other systems report 0.
 * @module
 */
import { readFileSync } from "node:fs";
import type { ListenAddress } from "./listen-address.js";

const LISTEN_STATE = "0A";

/** Current accept-queue length of the TCP socket listening at `address` (0 when unknown). */
export function listenQueueLength(address: ListenAddress): number {
  if (address.kind !== "tcp" || process.platform !== "linux") return 0;
  const port = address.port.toString(16).toUpperCase().padStart(4, "0");
  let max = 0;
  for (const table of ["/proc/net/tcp", "/proc/net/tcp6"]) {
    let text: string;
    try {
      text = readFileSync(table, "latin1");
    } catch {
      continue;
    }
    for (const line of text.split("\n").slice(1)) {
      const cols = line.trim().split(/\s+/);
      if (cols.length < 5 || cols[3] !== LISTEN_STATE || !cols[1]!.endsWith(":" + port)) continue;
      const rx = parseInt(cols[4]!.split(":")[1] ?? "0", 16);
      if (rx > max) max = rx;
    }
  }
  return max;
}
