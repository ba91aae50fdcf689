/**
 * Frame types of the process bus and the hello every connection starts with. Up to three channels
 * per process: mule messages (which the master may stop reading while a mule queue is full), RPC
 * and signals (neither held back by a full mule queue).
 * @module
 */
import { Buffer } from "node:buffer";
import type { RoleKind } from "../../module/process-role.js";

/** The frame types, both directions. */
export const enum Frame {
  /** child → master, first frame: channel u8, role u8, id u16, pid u32. */
  HELLO = 1,
  /** sender → master: target kind u8, target id u16, farm-name length u8, farm name, message. */
  MULE_SEND = 2,
  /** mule → master: filter u8 (bit 0 own+shared queues, bit 1 farms), credits u32. */
  MULE_CREDIT = 3,
  /** master → mule: delivery id u32, message. */
  MULE_DELIVER = 4,
  /** mule → master: delivery ids u32... taken by user code (each also returns one credit). */
  MULE_TAKEN = 5,
  /** mule → master: unix ms the current message/signal started, 0 when idle (f64). */
  MULE_BUSY = 6,
  /** master → sender: full u8 (1: a queue it sends to is full and the master stops reading it; 0: room again), queue label. */
  MULE_FULL = 7,
  /** master → mule, before any delivery: its slot u32 in the instance's taken region (0xffffffff: none; acknowledge with MULE_TAKEN). */
  MULE_SLOT = 8,
  /** mule → master: delivery id u32; every delivery up to it is taken (one credit back for each). */
  MULE_TAKEN_THROUGH = 9,
  /** child → master: a function name this process registered. */
  RPC_REGISTER = 10,
  /** caller → master → owner: call id u32, name length u8, name, argument count u8, (u32 len, bytes)... */
  RPC_CALL = 11,
  /** owner → master → caller: call id u32, status u8 (0 null, 1 value), value. */
  RPC_RESULT = 12,
  /** child → master: `register_signal` ran here: num u8, target (utf8). */
  SIG_REGISTER = 32,
  /** child → master: `signal(num)`, route it: num u8. */
  SIG_RAISE = 33,
  /** child → master: `add_timer` & co.: the source (JSON, see signals/signal-messages.ts). */
  SIG_SOURCE = 34,
  /** child → master: a delivered signal was handled: num u8, ok u8 (0: no handler, or it threw). */
  SIG_DONE = 35,
  /** master → child: run signal num u8. */
  SIG_DELIVER = 36,
  /**
   * child → master, echoed back (empty body): the master has handled every frame the child sent
   * before it (a child waits for the echo before saying it is ready, so its registrations are in
   * the master's table before anyone can route to it).
   */
  SIG_SYNC = 37,
}

/** Which channel a connection is. */
export const enum Channel {
  MULES = 1,
  RPC = 2,
  /** Signals: registrations, raises, deliveries and their acknowledgements (never held back). */
  SIGNALS = 3,
}

const ROLE_CODES: readonly RoleKind[] = ["master", "worker", "mule", "spooler"];

/** Who is on the other end of a connection. */
export interface BusPeer {
  readonly channel: Channel;
  readonly role: RoleKind;
  readonly id: number;
  readonly pid: number;
}

/** The HELLO frame body. */
export function encodeHello(peer: BusPeer): Buffer {
  const b = Buffer.allocUnsafe(8);
  b[0] = peer.channel;
  b[1] = Math.max(0, ROLE_CODES.indexOf(peer.role));
  b.writeUInt16LE(peer.id, 2);
  b.writeUInt32LE(peer.pid, 4);
  return b;
}

/** Reads a HELLO body; null when malformed. */
export function decodeHello(body: Buffer): BusPeer | null {
  if (body.length !== 8) return null;
  const channel = body[0];
  const role = ROLE_CODES[body[1]!];
  if ((channel !== Channel.MULES && channel !== Channel.RPC && channel !== Channel.SIGNALS) || !role) return null;
  return { channel, role, id: body.readUInt16LE(2), pid: body.readUInt32LE(4) };
}
