/**
 * Reassembles a child's output stream into whole lines, so the master can write the output of
 * many workers to one log without ever splitting a line between two writers.
 * @module
 */
import { Buffer } from "node:buffer";

/** Longest partial line kept waiting for its newline; longer output is written as it is. */
const MAX_PARTIAL = 64 * 1024;
const NEWLINE = 0x0a;

/** Buffers the tail of a stream after its last newline. */
export class LineCollector {
  #partial: Buffer[] = [];
  #partialLength = 0;

  /** Takes a chunk; returns the complete lines it finishes (ending with "\n"), or null. */
  push(chunk: Buffer): Buffer | null {
    const last = chunk.lastIndexOf(NEWLINE);
    if (last < 0) {
      this.#partial.push(chunk);
      this.#partialLength += chunk.length;
      return this.#partialLength > MAX_PARTIAL ? this.#take() : null;
    }
    const head = chunk.subarray(0, last + 1);
    const whole = this.#partialLength === 0 ? head : Buffer.concat([...this.#partial, head]);
    this.#partial = [];
    this.#partialLength = 0;
    if (last + 1 < chunk.length) {
      const tail = chunk.subarray(last + 1);
      this.#partial.push(tail);
      this.#partialLength = tail.length;
    }
    return whole;
  }

  /** The unfinished last line with a newline added (at end of stream), or null when there is none. */
  flush(): Buffer | null {
    if (this.#partialLength === 0) return null;
    const out = Buffer.concat([...this.#partial, Buffer.from("\n")]);
    this.#partial = [];
    this.#partialLength = 0;
    return out;
  }

  #take(): Buffer {
    const out = Buffer.concat(this.#partial);
    this.#partial = [];
    this.#partialLength = 0;
    return out;
  }
}
