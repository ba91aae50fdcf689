/**
 * One end of a process-bus connection: frames in, frames out. Frames written in the same tick
 * leave in one `writev` (the socket is corked until the next tick), so a loop of small messages
 * costs one system call per tick, not one per message.
 * @module
 */
import { Buffer } from "node:buffer";
import type { Socket } from "node:net";
import { FRAME_HEADER_BYTES, FrameReader, frameHeader } from "./frame-codec.js";

/** A first part up to this size is copied into the frame header's buffer (one write less). */
const SMALL_HEAD_BYTES = 64;

/** A framed connection. */
export class BusConnection {
  #corked = false;
  #closed = false;
  readonly #uncork = (): void => {
    if (!this.#corked) return;
    this.#corked = false;
    this.socket.uncork();
  };

  /**
   * @param onFrame receives each frame (the body is a view: copy what outlives the call).
   * @param onClose called once when the connection ends for any reason.
   */
  constructor(
    readonly socket: Socket,
    onFrame: (type: number, body: Buffer) => void,
    onClose: () => void,
  ) {
    const reader = new FrameReader(onFrame, () => socket.destroy());
    socket.on("data", (chunk: Buffer) => reader.push(chunk));
    socket.on("error", () => undefined);
    socket.on("close", () => {
      this.#closed = true;
      onClose();
    });
  }

  get closed(): boolean {
    return this.#closed || this.socket.destroyed;
  }

  /** Bytes written but not yet handed to the kernel. */
  get pendingBytes(): number {
    return this.socket.writableLength;
  }

  /** Sends a frame of `type` whose body is the concatenation of `parts` (not copied). */
  send(type: number, ...parts: Buffer[]): void {
    if (this.closed) return;
    if (!this.#corked) {
      this.#corked = true;
      this.socket.cork();
      process.nextTick(this.#uncork);
    }
    let len = 0;
    for (const p of parts) len += p.length;
    const first = parts[0];
    if (first && first.length <= SMALL_HEAD_BYTES) {
      // the frame header and a small first part (ids, lengths) leave as one buffer
      const head = Buffer.allocUnsafe(FRAME_HEADER_BYTES + first.length);
      head.writeUInt32LE(len, 0);
      head[4] = type;
      first.copy(head, FRAME_HEADER_BYTES);
      this.socket.write(head);
      for (let i = 1; i < parts.length; i++) if (parts[i]!.length > 0) this.socket.write(parts[i]!);
      return;
    }
    this.socket.write(frameHeader(type, len));
    for (const p of parts) if (p.length > 0) this.socket.write(p);
  }

  /**
   * Sends an already framed buffer (it is not copied); `onWritten`, if given, runs once the
   * socket is done with it (written, or the connection failed).
   */
  sendRaw(frame: Buffer, onWritten?: () => void): void {
    if (this.closed) {
      onWritten?.();
      return;
    }
    if (!this.#corked) {
      this.#corked = true;
      this.socket.cork();
      process.nextTick(this.#uncork);
    }
    if (onWritten) this.socket.write(frame, () => onWritten());
    else this.socket.write(frame);
  }

  /** Hands what was sent in this tick to the kernel now. */
  flush(): void {
    if (this.#corked) {
      this.#corked = false;
      this.socket.uncork();
    }
  }

  /** Stops reading (backpressure towards the peer). */
  pause(): void {
    this.socket.pause();
  }

  resume(): void {
    this.socket.resume();
  }

  close(): void {
    this.socket.destroy();
  }
}
