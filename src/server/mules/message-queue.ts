/**
 * A FIFO of mule messages with O(1) push, shift and unshift (a message handed to a mule that died
 * before taking it goes back to the front).
 * @module
 */
import type { Buffer } from "node:buffer";

/** A first-in first-out queue of messages. */
export class MessageQueue {
  #items: Buffer[] = [];
  #head = 0;

  get length(): number {
    return this.#items.length - this.#head;
  }

  push(msg: Buffer): void {
    this.#items.push(msg);
  }

  /** Puts `msg` back at the front. */
  unshift(msg: Buffer): void {
    if (this.#head > 0) this.#items[--this.#head] = msg;
    else this.#items.unshift(msg);
  }

  shift(): Buffer | undefined {
    if (this.#head >= this.#items.length) return undefined;
    const msg = this.#items[this.#head]!;
    this.#items[this.#head++] = undefined as unknown as Buffer;
    if (this.#head > 1024 && this.#head * 2 > this.#items.length) {
      this.#items = this.#items.slice(this.#head);
      this.#head = 0;
    }
    return msg;
  }
}
