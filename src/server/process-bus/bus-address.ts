/**
 * Where a master's process bus listens: an abstract unix socket on Linux (nothing on disk to
 * clean up, gone with the master), a socket file in the temp dir elsewhere.
 * @module
 */
import { tmpdir } from "node:os";
import { join } from "node:path";

/**
 * The bus address of one instance, keyed by its instance id (`UWSGI_NODE_INSTANCE`): unique even
 * for instances in separate PID namespaces sharing a network namespace, whose masters may both be
 * pid 1 (a pid key let one instance's children reach the other's master).
 */
export function busAddress(instance: string | number, platform: NodeJS.Platform = process.platform): string {
  const name = `uwsgi-node-bus-${instance}`;
  return platform === "linux" ? `\0${name}` : join(tmpdir(), `${name}.sock`);
}

/** True when the address is a file that must be removed after use. */
export function busAddressIsFile(address: string): boolean {
  return !address.startsWith("\0");
}
