/**
 * A child's side of mule messaging, over the process bus: `mule_msg`/`farm_msg` from any process,
 * and in a mule the receiving end (`mule_get_msg`, `farm_get_msg` and the message loop). It is
 * the server's {@link MuleTransport}.
 *
 * A mule grants the master {@link MULE_PREFETCH} credits and keeps what it is handed in a local
 * buffer; a message counts as taken only when `mule_get_msg` returns it or the loop passes it to
 * `mule_msg_hook`, one at a time. Taking is recorded before the code sees the message: in
 * delivery order by storing its delivery id in the mule's slot of shared memory (no system call;
 * see taken-slots.ts), out of order by a frame written at once. What a mule was handed but had
 * not taken goes back to the master's queue if it dies, so a SIGKILL loses at most the message in
 * hand. The master learns of slot takes (and returns their credits) from a cumulative
 * MULE_TAKEN_THROUGH frame every {@link ACK_EVERY} takes, else within {@link ACK_DELAY_MS}.
 * @module
 */
import { Buffer } from "node:buffer";
import type { FarmConfig, MuleConfig } from "../../config/instance-config.js";
import { UwsgiError } from "../../errors.js";
import type { MuleTarget, MuleTransport } from "../../module/mule-functions.js";
import type { RoleKind } from "../../module/process-role.js";
import { connectBus } from "../process-bus/bus-client.js";
import type { BusConnection } from "../process-bus/bus-connection.js";
import { Channel, Frame } from "../process-bus/bus-frames.js";
import { FRAME_HEADER_BYTES } from "../process-bus/frame-codec.js";
import { FILTER_FARMS, FILTER_OWN, decodeFull, encodeBusy, encodeCredit, encodeSendHead, encodeTaken } from "./mule-frames.js";
import { MULE_PREFETCH, MULE_QUEUE_MESSAGES, MULE_SENDER_BUFFER_BYTES } from "./mule-limits.js";
import { NO_SLOT, TakenSlot } from "./taken-slots.js";

/**
 * Slot takes after which the mule tells the master at once (returning their credits): a quarter
 * of the prefetch, so the master never runs out of credits while the mule keeps up, with one
 * write per 256 messages rather than one per read.
 */
const ACK_EVERY = MULE_PREFETCH / 4;
/** Otherwise the master hears of slot takes within this many ms (its credits and in-flight count). */
const ACK_DELAY_MS = 20;
/**
 * Frames of a sender are written into slabs of this size: below glibc's mmap threshold (128 KiB),
 * so a new slab comes from the heap's reused memory, not from fresh pages that fault when written.
 */
const SLAB_BYTES = 64 * 1024;
/** Written slabs kept for reuse (1 MiB). */
const SPARE_SLABS = 16;

/** A message handed to this mule, not yet taken. */
interface Delivered {
  readonly id: number;
  readonly bit: number;
  readonly msg: Buffer;
}

interface Waiter {
  readonly filter: number;
  readonly resolve: (msg: Buffer | null) => void;
  timer: NodeJS.Timeout | null;
}

/** What the client needs to know about its process and instance. */
export interface MuleClientOptions {
  readonly masterPid: number;
  /** The instance id (`UWSGI_NODE_INSTANCE`): the bus is found by it. */
  readonly instance: string;
  readonly role: RoleKind;
  /** Worker, mule or spooler id. */
  readonly id: number;
  readonly mules: readonly MuleConfig[];
  readonly farms: readonly FarmConfig[];
  /** Largest message (`--mule-msg-size`). */
  readonly maxMessageBytes: number;
  readonly log: (line: string) => void;
}

/** Mule messaging of one process. */
export class MuleClient implements MuleTransport {
  #conn: BusConnection | null = null;
  readonly #buffer: Delivered[] = [];
  #waiters: Waiter[] = [];
  #filter = 0;
  #granted = false;
  /** Where takes in delivery order are recorded (null: acknowledge each with a frame). */
  #slot: TakenSlot | null = null;
  /** The last delivery id stored in the slot, and how many slot takes the master was not told of. */
  #through = 0;
  #unacked = 0;
  #ackTimer: NodeJS.Timeout | null = null;
  readonly #sendThrough = (): void => {
    this.#ackTimer = null;
    this.#ackTaken();
  };
  #busySince = 0;
  #reportedBusy = 0;
  #busyTimer: NodeJS.Timeout | null = null;
  /** The master's queue that is full and holds this sender back (null: none). */
  #fullQueue: string | null = null;
  /** Frames are written here, then sent in one piece per tick (see {@link MuleClient.send}). */
  #slab: Buffer | null = null;
  /** The slab's bytes not yet sent start here; written ones end here. */
  #slabStart = 0;
  #slabEnd = 0;
  #sendsScheduled = false;
  /** Slabs whose bytes were all written, ready to be filled again. */
  readonly #spareSlabs: Buffer[] = [];
  readonly #flushSendsNow = (): void => {
    this.#sendsScheduled = false;
    this.#flushSends();
  };
  /** Called when the connection to the master is lost (the master is gone). */
  onMasterLost: (() => void) | null = null;

  constructor(private readonly opts: MuleClientOptions) {}

  mules(): readonly MuleConfig[] {
    return this.opts.mules;
  }

  farms(): readonly FarmConfig[] {
    return this.opts.farms;
  }

  #connection(): BusConnection {
    if (this.#conn && !this.#conn.closed) return this.#conn;
    const { instance, role, id } = this.opts;
    this.#conn = connectBus(
      instance,
      { channel: Channel.MULES, role, id, pid: process.pid },
      (type, body) => {
        if (type === Frame.MULE_DELIVER && body.length >= 5) this.#onDeliver(body.readUInt32LE(0), body[4]!, body.subarray(5));
        else if (type === Frame.MULE_FULL) {
          const full = decodeFull(body);
          if (full) this.#fullQueue = full.full ? full.label : null;
        } else if (type === Frame.MULE_SLOT && body.length === 4) this.#onSlot(body.readUInt32LE(0));
      },
      () => {
        // the master gave the slot back; what this connection was handed is requeued there
        this.#slot = null;
        this.onMasterLost?.();
      },
    );
    return this.#conn;
  }

  /**
   * Queues `message` for `target` at the master.
   * @returns true (the message is queued).
   * @throws UwsgiError UWSGI_ERR_MULE_MSG_TOO_LARGE beyond `--mule-msg-size`;
   *   UWSGI_ERR_MULE_QUEUE_FULL once the master said a queue this process sends to reached
   *   {@link MULE_QUEUE_MESSAGES} messages (it reads nothing more from this process until that
   *   queue is half empty; what was on its way meanwhile is kept), or when
   *   {@link MULE_SENDER_BUFFER_BYTES} wait in this process.
   */
  send(target: MuleTarget, message: Buffer): boolean {
    if (message.length > this.opts.maxMessageBytes) {
      throw new UwsgiError("UWSGI_ERR_MULE_MSG_TOO_LARGE", message.length, this.opts.maxMessageBytes);
    }
    const conn = this.#connection();
    if (this.#fullQueue !== null) {
      throw new UwsgiError("UWSGI_ERR_MULE_QUEUE_FULL", `the queue of ${this.#fullQueue} is full (${MULE_QUEUE_MESSAGES} messages); this process may send again once it is half empty`);
    }
    const pending = conn.pendingBytes + (this.#slabEnd - this.#slabStart);
    if (pending > MULE_SENDER_BUFFER_BYTES) {
      throw new UwsgiError("UWSGI_ERR_MULE_QUEUE_FULL", `${pending} bytes of this process wait for the master (at most ${MULE_SENDER_BUFFER_BYTES})`);
    }
    // One copy, into the slab: the caller may reuse its buffer once mule_msg returns.
    const head = encodeSendHead(target);
    const size = FRAME_HEADER_BYTES + head.length + message.length;
    const inSlab = size <= SLAB_BYTES / 4;
    const frame = inSlab ? this.#slabSpace(size) : Buffer.allocUnsafeSlow(size);
    frame.writeUInt32LE(head.length + message.length, 0);
    frame[4] = Frame.MULE_SEND;
    head.copy(frame, FRAME_HEADER_BYTES);
    message.copy(frame, FRAME_HEADER_BYTES + head.length);
    if (inSlab) {
      this.#scheduleSends();
    } else {
      // a large frame goes as it is, after what the slab holds
      this.#flushSends();
      conn.sendRaw(frame);
    }
    return true;
  }

  /**
   * The next `size` bytes of the slab: frames sent in one tick are one contiguous region written
   * with one `write` (no buffer per message: above 4 KiB Node's pool allocates a fresh
   * ArrayBuffer for each, the cost that made 4 KiB messages slow).
   */
  #slabSpace(size: number): Buffer {
    let slab = this.#slab;
    if (!slab || this.#slabEnd + size > slab.length) {
      if (slab) {
        // full: once its last region is written (writes complete in order) it can be used again
        const spare = this.#spareSlabs;
        const done = slab;
        this.#flushSends(() => {
          if (spare.length < SPARE_SLABS) spare.push(done);
        });
      }
      // a slab used again, not a fresh one (fresh memory costs a page fault per 4 KiB written)
      slab = this.#slab = this.#spareSlabs.pop() ?? Buffer.allocUnsafeSlow(SLAB_BYTES);
      this.#slabStart = this.#slabEnd = 0;
    }
    const b = slab.subarray(this.#slabEnd, this.#slabEnd + size);
    this.#slabEnd += size;
    return b;
  }

  #scheduleSends(): void {
    if (this.#sendsScheduled) return;
    this.#sendsScheduled = true;
    process.nextTick(this.#flushSendsNow);
  }

  /**
   * Hands the frames written into the slab since the last flush to the connection;
   * `onWritten` runs once the socket is done with them.
   */
  #flushSends(onWritten?: () => void): void {
    const slab = this.#slab;
    if (!slab || this.#slabEnd === this.#slabStart) {
      onWritten?.();
      return;
    }
    const region = slab.subarray(this.#slabStart, this.#slabEnd);
    this.#slabStart = this.#slabEnd;
    this.#connection().sendRaw(region, onWritten);
  }

  // ---------------------------------------------------------------- receiving (mules only) ----

  /** Tells the master which queues this mule reads; the first call grants the prefetch credits. */
  #want(filter: number): void {
    if (this.#granted && this.#filter === filter) return;
    this.#filter = filter;
    this.#connection().send(Frame.MULE_CREDIT, encodeCredit(filter, this.#granted ? 0 : MULE_PREFETCH));
    this.#granted = true;
  }

  #onSlot(slot: number): void {
    this.#slot = null;
    this.#through = 0;
    this.#unacked = 0;
    if (slot === NO_SLOT) return;
    try {
      this.#slot = TakenSlot.attach(this.opts.instance, slot);
    } catch (err) {
      this.opts.log(`mule ${this.opts.id}: taking messages with a frame each (the taken region cannot be attached: ${err instanceof Error ? err.message : String(err)})`);
    }
  }

  #onDeliver(id: number, bit: number, msg: Buffer): void {
    const item: Delivered = { id, bit, msg };
    const w = this.#waiters.find((x) => x.filter & bit);
    if (w) {
      this.#take(item, this.#buffer.length === 0);
      this.#settle(w, msg);
      return;
    }
    this.#buffer.push(item);
  }

  /**
   * Records that `item` is taken, before any code sees it: in the slot when it is the oldest
   * delivery not yet taken (`inOrder`), else with a frame written now.
   */
  #take(item: Delivered, inOrder: boolean): void {
    if (this.#slot && inOrder) {
      this.#slot.store(item.id);
      this.#through = item.id;
      if (++this.#unacked >= ACK_EVERY) this.#ackTaken();
      else if (!this.#ackTimer) {
        this.#ackTimer = setTimeout(this.#sendThrough, ACK_DELAY_MS);
        this.#ackTimer.unref();
      }
      return;
    }
    const conn = this.#connection();
    conn.send(Frame.MULE_TAKEN, encodeTaken([item.id]));
    conn.flush();
  }

  /** Tells the master now how far the slot takes went (they return their credits). */
  #ackTaken(): void {
    if (this.#ackTimer) {
      clearTimeout(this.#ackTimer);
      this.#ackTimer = null;
    }
    if (this.#unacked === 0) return;
    this.#unacked = 0;
    const body = Buffer.allocUnsafe(4);
    body.writeUInt32LE(this.#through >>> 0, 0);
    const conn = this.#connection();
    conn.send(Frame.MULE_TAKEN_THROUGH, body);
    conn.flush();
  }

  #settle(w: Waiter, msg: Buffer | null): void {
    this.#waiters = this.#waiters.filter((x) => x !== w);
    if (w.timer) clearTimeout(w.timer);
    w.resolve(msg);
  }

  /** Takes the oldest buffered message matching `filter`, or returns null. */
  #takeBuffered(filter: number): Buffer | null {
    const buffer = this.#buffer;
    for (let i = 0; i < buffer.length; i++) {
      const item = buffer[i]!;
      if (!(item.bit & filter)) continue;
      if (i === 0) buffer.shift();
      else buffer.splice(i, 1);
      this.#take(item, i === 0);
      return item.msg;
    }
    return null;
  }

  receive(_muleId: number, opts: { farms: boolean; farmsOnly: boolean; timeoutMs: number | null }): Promise<Buffer | null> {
    const filter = opts.farmsOnly ? FILTER_FARMS : opts.farms ? FILTER_OWN | FILTER_FARMS : FILTER_OWN;
    this.#want(filter);
    const got = this.#takeBuffered(filter);
    if (got) return Promise.resolve(got);
    return new Promise((resolve) => {
      const w: Waiter = { filter, resolve, timer: null };
      if (opts.timeoutMs !== null) w.timer = setTimeout(() => this.#settle(w, null), opts.timeoutMs);
      this.#waiters.push(w);
    });
  }

  /**
   * The message loop's receive without waiting: takes the oldest message of the mule's own,
   * shared and farm queues already handed to it, or returns null.
   */
  takeNext(): Buffer | null {
    this.#want(FILTER_OWN | FILTER_FARMS);
    return this.#takeBuffered(FILTER_OWN | FILTER_FARMS);
  }

  /** The message loop's receive: takes the next message of its queues, waiting for one. */
  async next(): Promise<Buffer> {
    for (;;) {
      const got = this.takeNext();
      if (got) return got;
      const one = await new Promise<Buffer | null>((resolve) => this.#waiters.push({ filter: FILTER_OWN | FILTER_FARMS, resolve, timer: null }));
      if (one) return one;
    }
  }

  // ---------------------------------------------------------------- mule harakiri -------------

  /**
   * Marks this mule busy (a message or signal handler runs) or idle, for `--mule-harakiri`. Going
   * from idle to busy is reported at once (a handler that blocks the event loop is still seen);
   * later starts and going idle are reported within 200 ms.
   */
  setBusy(busy: boolean): void {
    const now = busy ? Date.now() : 0;
    const wasIdle = this.#busySince === 0;
    this.#busySince = now;
    if (busy && wasIdle) this.#reportBusy();
    if (!this.#busyTimer) {
      this.#busyTimer = setInterval(() => {
        if (this.#reportedBusy !== this.#busySince) this.#reportBusy();
      }, 200);
      this.#busyTimer.unref();
    }
  }

  #reportBusy(): void {
    this.#reportedBusy = this.#busySince;
    const conn = this.#connection();
    conn.send(Frame.MULE_BUSY, encodeBusy(this.#busySince));
    conn.flush();
  }
}
