/**
 * A child's end of the process bus: one connection per channel to its master, opened on first
 * use. Frames sent before the connection is up are queued by the socket and leave once it is.
 * @module
 */
import { connect } from "node:net";
import { busAddress } from "./bus-address.js";
import { BusConnection } from "./bus-connection.js";
import { Frame, encodeHello, type BusPeer } from "./bus-frames.js";

/** Opens the `peer.channel` connection to the master of instance `instance` (its id, see `busAddress`). */
export function connectBus(
  instance: string | number,
  peer: BusPeer,
  onFrame: (type: number, body: Buffer) => void,
  onClose: () => void,
): BusConnection {
  const socket = connect({ path: busAddress(instance), noDelay: true });
  const conn = new BusConnection(socket, onFrame, onClose);
  conn.send(Frame.HELLO, encodeHello(peer));
  return conn;
}
