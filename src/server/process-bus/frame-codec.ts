/**
 * Frames of the process bus: `[u32 LE body length][u8 type][body]`. A reader splits a byte stream
 * into frames without copying bodies that arrive whole inside one chunk; a frame split over
 * chunks is copied once.
 * @module
 */
import { Buffer } from "node:buffer";

/** Bytes before the body: length (4) and type (1). */
export const FRAME_HEADER_BYTES = 5;

/** Largest frame body a reader accepts (a corrupt length must not make it allocate gigabytes). */
export const MAX_FRAME_BODY_BYTES = 256 * 1024 * 1024;

/** The header of a frame of `type` whose body is `bodyLength` bytes. */
export function frameHeader(type: number, bodyLength: number): Buffer {
  const head = Buffer.allocUnsafe(FRAME_HEADER_BYTES);
  head.writeUInt32LE(bodyLength, 0);
  head[4] = type;
  return head;
}

/** One whole frame as a single buffer. */
export function encodeFrame(type: number, ...parts: Buffer[]): Buffer {
  let len = 0;
  for (const p of parts) len += p.length;
  const out = Buffer.allocUnsafe(FRAME_HEADER_BYTES + len);
  out.writeUInt32LE(len, 0);
  out[4] = type;
  let off = FRAME_HEADER_BYTES;
  for (const p of parts) {
    p.copy(out, off);
    off += p.length;
  }
  return out;
}

/** Splits a stream into frames. */
export class FrameReader {
  #pending: Buffer[] = [];
  #pendingBytes = 0;

  /**
   * @param onFrame receives each frame's type and body (valid only until it returns unless copied;
   *   bodies that arrived whole are views into the chunk).
   * @param onCorrupt called once when a length exceeds {@link MAX_FRAME_BODY_BYTES}; reading stops.
   */
  constructor(
    private readonly onFrame: (type: number, body: Buffer) => void,
    private readonly onCorrupt: (why: string) => void,
  ) {}

  #corrupt = false;

  /** Feeds the next chunk of the stream. */
  push(chunk: Buffer): void {
    if (this.#corrupt) return;
    let off = 0;
    if (this.#pendingBytes > 0) {
      // complete the frame split over chunks, copying only its own bytes
      if (this.#pendingBytes < FRAME_HEADER_BYTES) {
        const take = Math.min(FRAME_HEADER_BYTES - this.#pendingBytes, chunk.length);
        this.#pending.push(chunk.subarray(0, take));
        this.#pendingBytes += take;
        off = take;
        if (this.#pendingBytes < FRAME_HEADER_BYTES) return;
        this.#pending = [Buffer.concat(this.#pending, this.#pendingBytes)];
      }
      const len = this.#pending[0]!.length >= FRAME_HEADER_BYTES ? this.#pending[0]!.readUInt32LE(0) : Buffer.concat(this.#pending).readUInt32LE(0);
      if (!this.#checkLength(len)) return;
      const need = FRAME_HEADER_BYTES + len - this.#pendingBytes;
      const take = Math.min(need, chunk.length - off);
      this.#pending.push(chunk.subarray(off, off + take));
      this.#pendingBytes += take;
      off += take;
      if (take < need) return;
      const frame = Buffer.concat(this.#pending, this.#pendingBytes);
      this.#pending = [];
      this.#pendingBytes = 0;
      this.onFrame(frame[4]!, frame.subarray(FRAME_HEADER_BYTES));
    }
    while (chunk.length - off >= FRAME_HEADER_BYTES) {
      const len = chunk.readUInt32LE(off);
      if (!this.#checkLength(len)) return;
      const end = off + FRAME_HEADER_BYTES + len;
      if (end > chunk.length) break;
      this.onFrame(chunk[off + 4]!, chunk.subarray(off + FRAME_HEADER_BYTES, end));
      off = end;
    }
    if (off < chunk.length) {
      this.#pending = [chunk.subarray(off)];
      this.#pendingBytes = chunk.length - off;
    }
  }

  #checkLength(len: number): boolean {
    if (len <= MAX_FRAME_BODY_BYTES) return true;
    this.#corrupt = true;
    this.onCorrupt(`frame of ${len} bytes exceeds ${MAX_FRAME_BODY_BYTES}`);
    return false;
  }
}
