/**
 * Incremental readers for replies whose length is partly outside the packet's `datasize`:
 * an RPC reply (a modifier2 5 reply is a `{CONTENT_LENGTH}` dict followed by that many raw
 * bytes) and a cache magic reply (a `get` hit's value follows the dict, its length in `size`).
 * @module
 */
import { Buffer, constants as bufferConstants } from "node:buffer";
import { UwsgiError } from "../errors.js";
import { PacketReader } from "./packet-reader.js";
import { type CacheMagicResponse, RpcModifier2, decodeCacheMagicResponseHead, rpcResponseTrailerLength } from "./messages.js";
import { UWSGI_MAX_DATASIZE, type UwsgiPacket } from "./packet.js";

/**
 * Default cap on a reply value: 4 GiB, or less where Buffers cannot be that large. (Node 24 raised
 * `buffer.constants.MAX_LENGTH` to 2^53-1, which is no bound on what a peer may announce.)
 */
export const DEFAULT_MAX_VALUE_SIZE = Math.min(bufferConstants.MAX_LENGTH, 2 ** 32);

/** Options of the response readers. */
export interface ResponseReaderOptions {
  /** Largest value accepted after the packet. Default: {@link DEFAULT_MAX_VALUE_SIZE}. */
  maxValueSize?: number;
}

/** How a reply continues after its packet: see {@link FramedResponseReader}. */
export interface Frame<T> {
  /** Bytes following the packet that belong to the reply. */
  trailerLength: number;
  build(trailer: Buffer): T;
}

/**
 * Reads one packet plus a trailer whose length the packet announces (`frameOf` decides, from the
 * packet, how many bytes follow and how to build the result). The base of the concrete readers.
 */
export class FramedResponseReader<T> {
  readonly #what: string;
  readonly #maxValueSize: number;
  readonly #frameOf: (packet: UwsgiPacket) => Frame<T>;
  readonly #packets = new PacketReader({ maxDatasize: UWSGI_MAX_DATASIZE });
  #frame: Frame<T> | null = null;
  #chunks: Buffer[] = [];
  #length = 0;
  #result: T | null = null;
  #error: unknown = null;

  constructor(what: string, frameOf: (packet: UwsgiPacket) => Frame<T>, { maxValueSize = DEFAULT_MAX_VALUE_SIZE }: ResponseReaderOptions) {
    this.#what = what;
    this.#frameOf = frameOf;
    this.#maxValueSize = maxValueSize;
  }

  /** Appends a chunk of the reply stream. */
  push(chunk: Buffer): void {
    if (this.#frame === null) {
      this.#packets.push(chunk);
    } else if (chunk.length > 0 && this.#length < this.#frame.trailerLength) {
      this.#chunks.push(chunk);
      this.#length += chunk.length;
    }
  }

  /**
   * The decoded reply once all of it has arrived, else `null`. Bytes after the reply are ignored.
   * Once it has thrown, every later call throws the same error.
   * @throws UwsgiError UWSGI_ERR_PACKET_MALFORMED for a malformed reply, UWSGI_ERR_PACKET_TOO_LARGE
   *   when the announced value exceeds `maxValueSize`.
   */
  result(): T | null {
    if (this.#result !== null) return this.#result;
    if (this.#error !== null) throw this.#error;
    if (this.#frame === null) {
      try {
        const packet = this.#packets.next();
        if (packet === null) return null;
        const frame = this.#frameOf(packet);
        if (frame.trailerLength > this.#maxValueSize) {
          throw new UwsgiError("UWSGI_ERR_PACKET_TOO_LARGE", `${frame.trailerLength} (${this.#what} value)`, this.#maxValueSize);
        }
        this.#frame = frame;
      } catch (err) {
        this.#error = err;
        throw err;
      }
      this.push(this.#packets.takeRest());
    }
    const { trailerLength } = this.#frame;
    if (this.#length < trailerLength) return null;
    const all = this.#chunks.length === 1 ? this.#chunks[0]! : Buffer.concat(this.#chunks, this.#length);
    this.#chunks = [];
    this.#result = this.#frame.build(all.subarray(0, trailerLength));
    return this.#result;
  }

  /**
   * The decoded reply when the stream has ended.
   * @throws UwsgiError UWSGI_ERR_PACKET_MALFORMED if the stream ended before the reply was complete
   *   (uWSGI's client treats a short read as failure).
   */
  finish(): T {
    const result = this.result();
    if (result !== null) return result;
    const detail = this.#frame === null
      ? `${this.#packets.bufferedLength} bytes, the packet is incomplete`
      : `value truncated: ${this.#length} of ${this.#frame.trailerLength} bytes`;
    throw new UwsgiError("UWSGI_ERR_PACKET_MALFORMED", `${this.#what}: stream ended early: ${detail}`);
  }
}

/**
 * Reads an RPC reply from a stream: `[173][n][0]` + n bytes, or `[173][dictlen][5]` +
 * `{CONTENT_LENGTH: n}` + n raw bytes. The result is the function's return value.
 * @example
 * const reader = new RpcResponseReader();
 * socket.on("data", (c) => { reader.push(c); const v = reader.result(); if (v) done(v); });
 * socket.on("end", () => done(reader.finish()));
 */
export class RpcResponseReader extends FramedResponseReader<Buffer> {
  constructor(options: ResponseReaderOptions = {}) {
    super("rpc response", (packet) => {
      const trailerLength = rpcResponseTrailerLength(packet.modifier2, packet.payload);
      const large = packet.modifier2 === RpcModifier2.LARGE_RESPONSE;
      return { trailerLength, build: (trailer) => (large ? trailer : packet.payload) };
    }, options);
  }
}

/**
 * Reads a cache magic reply from a stream: `[111][dictlen][17]` + dict, then `size` raw value
 * bytes when the dict has a `size` (a `get` hit).
 * @example
 * const reader = new CacheMagicResponseReader();
 * reader.push(chunk);
 * const reply = reader.result(); // { ok, status, size, expires, value } or null
 */
export class CacheMagicResponseReader extends FramedResponseReader<CacheMagicResponse> {
  constructor(options: ResponseReaderOptions = {}) {
    super("cache magic response", (packet) => {
      const head = decodeCacheMagicResponseHead(packet.payload);
      return { trailerLength: head.size ?? 0, build: (trailer) => ({ ...head, value: head.size === null ? null : trailer }) };
    }, options);
  }
}
