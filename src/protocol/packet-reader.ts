/**
 * Incremental uwsgi packet parsing for byte streams, where a socket hands over arbitrary chunks.
 * @module
 */
import { Buffer } from "node:buffer";
import { UwsgiError } from "../errors.js";
import { UWSGI_HEADER_SIZE, UWSGI_MAX_DATASIZE, type UwsgiHeader, type UwsgiPacket, decodeHeader } from "./packet.js";

/** Options of {@link PacketReader}. */
export interface PacketReaderOptions {
  /**
   * Largest `datasize` accepted (uWSGI's `--buffer-size`), 0..65535. Default 4096.
   */
  maxDatasize?: number;
}

/**
 * Collects chunks of a byte stream and cuts whole uwsgi packets out of them.
 *
 * A header announcing more than `maxDatasize` bytes is rejected as soon as its 4 bytes are in,
 * with `UWSGI_ERR_PACKET_TOO_LARGE` (uWSGI logs `invalid request block size: N (max 4096)` and
 * closes the connection); the reader then stays failed and rethrows that error.
 *
 * Designed for "one request packet, then a streamed body": once {@link next} returns the packet,
 * {@link takeRest} hands back the bytes that arrived after it (the body's start) and the caller
 * reads the remaining body from the socket itself.
 *
 * Payloads are views into the reader's buffers; the reader never keeps more than it was given.
 *
 * @example
 * const reader = new PacketReader({ maxDatasize: 4096 });
 * socket.on("data", (chunk) => {
 *   reader.push(chunk);
 *   const packet = reader.next(); // throws UwsgiError on a bad header
 *   if (packet === null) return;
 *   socket.removeAllListeners("data");
 *   handle(packet, reader.takeRest(), socket);
 * });
 */
export class PacketReader {
  /** The `datasize` limit this reader enforces. */
  readonly maxDatasize: number;
  #chunks: Buffer[] = [];
  #length = 0;
  #header: UwsgiHeader | null = null;
  #error: UwsgiError | null = null;

  constructor({ maxDatasize = 4096 }: PacketReaderOptions = {}) {
    if (!Number.isInteger(maxDatasize) || maxDatasize < 0 || maxDatasize > UWSGI_MAX_DATASIZE) {
      throw new UwsgiError("UWSGI_ERR_INVALID_ARGUMENT", "maxDatasize", `expected an integer 0..${UWSGI_MAX_DATASIZE}, got ${String(maxDatasize)}`);
    }
    this.maxDatasize = maxDatasize;
  }

  /** Bytes pushed and not yet returned in a packet. */
  get bufferedLength(): number {
    return this.#length;
  }

  /**
   * The header of the packet being assembled once its 4 bytes have been seen by {@link next},
   * else `null`.
   */
  get pendingHeader(): UwsgiHeader | null {
    return this.#header;
  }

  /** Appends a chunk of the stream. Throws the reader's error if it has already failed. */
  push(chunk: Buffer): void {
    if (this.#error) throw this.#error;
    if (!Buffer.isBuffer(chunk)) {
      throw new UwsgiError("UWSGI_ERR_INVALID_ARGUMENT", "chunk", "expected a Buffer");
    }
    if (chunk.length === 0) return;
    this.#chunks.push(chunk);
    this.#length += chunk.length;
  }

  /**
   * The next complete packet, or `null` if more bytes are needed.
   * @throws UwsgiError UWSGI_ERR_PACKET_TOO_LARGE when the header's datasize exceeds `maxDatasize`
   *   (also on every later call).
   */
  next(): UwsgiPacket | null {
    if (this.#error) throw this.#error;
    if (this.#header === null) {
      if (this.#length < UWSGI_HEADER_SIZE) return null;
      const header = decodeHeader(this.#contiguous(UWSGI_HEADER_SIZE));
      if (header.datasize > this.maxDatasize) {
        this.#error = new UwsgiError("UWSGI_ERR_PACKET_TOO_LARGE", header.datasize, this.maxDatasize);
        throw this.#error;
      }
      this.#header = header;
    }
    const { modifier1, datasize, modifier2 } = this.#header;
    if (this.#length < UWSGI_HEADER_SIZE + datasize) return null;
    const bytes = this.#take(UWSGI_HEADER_SIZE + datasize);
    this.#header = null;
    return { modifier1, modifier2, payload: bytes.subarray(UWSGI_HEADER_SIZE) };
  }

  /**
   * Removes and returns every buffered byte not yet returned in a packet (after {@link next}
   * returned a packet: the bytes that followed it). The reader is empty afterwards.
   */
  takeRest(): Buffer {
    const rest = this.#chunks.length === 1 ? this.#chunks[0]! : Buffer.concat(this.#chunks, this.#length);
    this.#chunks = [];
    this.#length = 0;
    this.#header = null;
    return rest;
  }

  /** Makes the first chunk hold at least `n` bytes (n <= buffered length) and returns them. */
  #contiguous(n: number): Buffer {
    let first = this.#chunks[0]!;
    if (first.length < n) {
      let count = 0;
      let size = 0;
      while (size < n) size += this.#chunks[count++]!.length;
      first = Buffer.concat(this.#chunks.slice(0, count), size);
      this.#chunks.splice(0, count, first);
    }
    return first.subarray(0, n);
  }

  /** Removes the first `n` buffered bytes (n <= buffered length) and returns them. */
  #take(n: number): Buffer {
    const bytes = this.#contiguous(n);
    const first = this.#chunks[0]!;
    if (first.length === n) this.#chunks.shift();
    else this.#chunks[0] = first.subarray(n);
    this.#length -= n;
    return bytes;
  }
}
