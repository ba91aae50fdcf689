/**
 * A websocket client on a raw TCP socket for protocol tests (the Autobahn categories): after the
 * handshake it writes frames byte by byte as the test builds them (fragments, control frames
 * between them, reserved bits, unmasked frames, bad UTF-8) and parses what the server writes
 * back, close frames included, so closing codes are checked on the wire.
 * @module
 */
import { Buffer } from "node:buffer";
import { randomBytes } from "node:crypto";
import net from "node:net";

/** RFC 6455 opcodes. */
export const OP = { CONT: 0x0, TEXT: 0x1, BINARY: 0x2, CLOSE: 0x8, PING: 0x9, PONG: 0xa } as const;

/** One frame as written on the wire. */
export interface FrameSpec {
  opcode: number;
  payload?: Buffer | string;
  /** FIN bit (default true). */
  fin?: boolean;
  /** RSV1..3 as a 3-bit number (default 0). */
  rsv?: number;
  /** Client frames are masked unless false. */
  mask?: boolean;
}

/** One frame the server sent. */
export interface Frame {
  fin: boolean;
  rsv: number;
  opcode: number;
  payload: Buffer;
}

/** Encodes one frame. */
export function encodeFrame(spec: FrameSpec): Buffer {
  const payload = typeof spec.payload === "string" ? Buffer.from(spec.payload) : (spec.payload ?? Buffer.alloc(0));
  const masked = spec.mask !== false;
  const len = payload.length;
  const lenBytes = len < 126 ? 0 : len < 65536 ? 2 : 8;
  const head = Buffer.alloc(2 + lenBytes + (masked ? 4 : 0));
  head[0] = ((spec.fin === false ? 0 : 1) << 7) | ((spec.rsv ?? 0) << 4) | spec.opcode;
  head[1] = (masked ? 0x80 : 0) | (lenBytes === 0 ? len : lenBytes === 2 ? 126 : 127);
  if (lenBytes === 2) head.writeUInt16BE(len, 2);
  if (lenBytes === 8) head.writeBigUInt64BE(BigInt(len), 2);
  if (!masked) return Buffer.concat([head, payload]);
  const key = randomBytes(4);
  key.copy(head, 2 + lenBytes);
  const body = Buffer.from(payload);
  for (let i = 0; i < body.length; i++) body[i]! ^= key[i & 3]!;
  return Buffer.concat([head, body]);
}

/** The close code and reason of a close frame's payload (1005 when it carries none). */
export function closeCode(frame: Frame): { code: number; reason: string } {
  if (frame.payload.length < 2) return { code: 1005, reason: "" };
  return { code: frame.payload.readUInt16BE(0), reason: frame.payload.subarray(2).toString() };
}

/** A raw websocket connection after a successful handshake. */
export class RawWebsocket {
  readonly socket: net.Socket;
  /** The 101 response head. */
  readonly head: string;
  #buf: Buffer;
  readonly #frames: Frame[] = [];
  readonly #waiters: Array<{ resolve: (f: Frame) => void; reject: (e: Error) => void }> = [];
  #ended = false;
  readonly #endedPromise: Promise<void>;

  private constructor(socket: net.Socket, head: string, rest: Buffer) {
    this.socket = socket;
    this.head = head;
    this.#buf = rest;
    this.#endedPromise = new Promise((resolve) => socket.once("close", () => resolve()));
    socket.on("data", (c: Buffer) => {
      this.#buf = Buffer.concat([this.#buf, c]);
      this.#parse();
    });
    socket.once("close", () => {
      this.#ended = true;
      for (const w of this.#waiters.splice(0)) w.reject(new Error("the server closed the TCP connection"));
    });
    this.#parse();
  }

  /**
   * Connects to 127.0.0.1:`port`, sends the upgrade request for `path` and waits for the 101.
   * @throws Error when the server answers anything else.
   */
  static async open(port: number, path: string): Promise<RawWebsocket> {
    const socket = net.connect(port, "127.0.0.1");
    socket.on("error", () => undefined);
    const key = randomBytes(16).toString("base64");
    socket.write(`GET ${path} HTTP/1.1\r\nHost: 127.0.0.1\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Key: ${key}\r\nSec-WebSocket-Version: 13\r\n\r\n`);
    let buf = Buffer.alloc(0);
    const { head, rest } = await new Promise<{ head: string; rest: Buffer }>((resolve, reject) => {
      const onData = (c: Buffer): void => {
        buf = Buffer.concat([buf, c]);
        const end = buf.indexOf("\r\n\r\n");
        if (end < 0) return;
        socket.off("data", onData);
        socket.off("close", onClose);
        resolve({ head: buf.subarray(0, end).toString(), rest: buf.subarray(end + 4) });
      };
      const onClose = (): void => reject(new Error(`closed before the handshake answer: ${buf.toString()}`));
      socket.on("data", onData);
      socket.once("close", onClose);
    });
    if (!/^HTTP\/1\.1 101 /.test(head)) {
      socket.destroy();
      throw new Error(`handshake refused: ${head}`);
    }
    return new RawWebsocket(socket, head, rest);
  }

  /** Writes frames (in one TCP write, so fragments and interleaved control frames arrive together). */
  write(...frames: FrameSpec[]): void {
    this.socket.write(Buffer.concat(frames.map(encodeFrame)));
  }

  /** The next frame the server sent; rejects when the connection closes first. */
  next(): Promise<Frame> {
    const f = this.#frames.shift();
    if (f) return Promise.resolve(f);
    if (this.#ended) return Promise.reject(new Error("the server closed the TCP connection"));
    return new Promise((resolve, reject) => this.#waiters.push({ resolve, reject }));
  }

  /** Skips frames until a close frame; returns its code and reason. */
  async closeFrame(): Promise<{ code: number; reason: string }> {
    for (;;) {
      const f = await this.next();
      if (f.opcode === OP.CLOSE) return closeCode(f);
    }
  }

  /** Resolves once the TCP connection is closed. */
  ended(): Promise<void> {
    return this.#endedPromise;
  }

  destroy(): void {
    this.socket.destroy();
  }

  #parse(): void {
    for (;;) {
      const b = this.#buf;
      if (b.length < 2) return;
      let len = b[1]! & 0x7f;
      let off = 2;
      if (len === 126) {
        if (b.length < 4) return;
        len = b.readUInt16BE(2);
        off = 4;
      } else if (len === 127) {
        if (b.length < 10) return;
        len = Number(b.readBigUInt64BE(2));
        off = 10;
      }
      const masked = (b[1]! & 0x80) !== 0;
      if (masked) off += 4; // a server must not mask; tests see it in the frame's payload being garbled
      if (b.length < off + len) return;
      const frame: Frame = { fin: (b[0]! & 0x80) !== 0, rsv: (b[0]! >> 4) & 7, opcode: b[0]! & 0x0f, payload: Buffer.from(b.subarray(off, off + len)) };
      this.#buf = b.subarray(off + len);
      const w = this.#waiters.shift();
      if (w) w.resolve(frame);
      else this.#frames.push(frame);
    }
  }
}
