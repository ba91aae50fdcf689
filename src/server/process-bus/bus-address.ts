/**
 * Where a master's process bus listens: an abstract unix socket on Linux (nothing on disk to
 * clean up, gone with the master), a socket file in the temp dir elsewhere.
 * @module
 */
import { tmpdir } from "node:os";
import { join } from "node:path";

/** The bus address of the instance whose master has pid `masterPid`. */
export function busAddress(masterPid: number, platform: NodeJS.Platform = process.platform): string {
  const name = `uwsgi-node-bus-${masterPid}`;
  return platform === "linux" ? `\0${name}` : join(tmpdir(), `${name}.sock`);
}

/** True when the address is a file that must be removed after use. */
export function busAddressIsFile(address: string): boolean {
  return !address.startsWith("\0");
}
