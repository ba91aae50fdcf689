/**
 * The master's mule message broker. It owns every queue (one per mule, one shared by all mules,
 * one per farm), so a message outlives the mule it waits for: messages to a mule that is being
 * respawned wait for its successor, and a message handed to a mule that died before taking it
 * goes back to the front of its queue. Mules pull: each grants credits for the queues it wants
 * (its own and the shared one, its farms', or both) and acknowledges each message as its code
 * takes it (in its slot of the taken region, read here when it dies, or with a frame; see
 * taken-slots.ts); the master hands a message of the shared or a farm queue to exactly one mule.
 *
 * Bounds: each queue holds {@link MULE_QUEUE_MESSAGES}; a sender that fills one is told so (its
 * `mule_msg` then throws `UWSGI_ERR_MULE_QUEUE_FULL`) and is no longer read until the queue is
 * half empty, when it is told there is room again. Nothing it sent is dropped.
 * @module
 */
import { Buffer } from "node:buffer";
import type { FarmConfig, MuleConfig } from "../../config/instance-config.js";
import type { BusConnection } from "../process-bus/bus-connection.js";
import { Frame, type BusPeer } from "../process-bus/bus-frames.js";
import type { ChannelHandler } from "../process-bus/bus-server.js";
import { FILTER_FARMS, FILTER_OWN, decodeSend, encodeDeliverHead, encodeFull } from "./mule-frames.js";
import { MULE_QUEUE_MESSAGES } from "./mule-limits.js";
import { MessageQueue } from "./message-queue.js";
import { NO_SLOT, takenThrough, type TakenSlots } from "./taken-slots.js";

/** A queue and the senders waiting for it to drain. */
class BrokerQueue extends MessageQueue {
  readonly blocked = new Set<BusConnection>();
  /** @param bit the mule filter bit that selects this queue. */
  constructor(
    readonly label: string,
    readonly bit: number,
  ) {
    super();
  }
}

/** One connected mule process. */
interface MuleEndpoint {
  readonly muleId: number;
  readonly pid: number;
  readonly conn: BusConnection;
  credits: number;
  filter: number;
  nextDelivery: number;
  /** Handed over, not yet taken: delivery id → where it came from and what it is. */
  readonly inflight: Map<number, { queue: BrokerQueue; msg: Buffer }>;
  /** Unix ms the mule's current message or signal started; 0 when idle. */
  busySince: number;
  /** Its slot in the taken region ({@link NO_SLOT}: it acknowledges with frames). */
  readonly slot: number;
}

/** Counters for tests and the log. */
export interface BrokerCounters {
  received: number;
  delivered: number;
  requeued: number;
}

/** The broker of one instance. */
export class MuleBroker implements ChannelHandler {
  readonly #own = new Map<number, BrokerQueue>();
  readonly #shared = new BrokerQueue("shared", FILTER_OWN);
  readonly #farm = new Map<string, BrokerQueue>();
  /** The live endpoint of each mule id (a reload briefly has two processes per id: the newest wins). */
  readonly #mules = new Map<number, MuleEndpoint>();
  readonly #farmsOf = new Map<number, FarmConfig[]>();
  #rr = 0;
  readonly #allIds: readonly number[];
  readonly counters: BrokerCounters = { received: 0, delivered: 0, requeued: 0 };
  /** Slots of mule processes still holding them, by pid: given back once the connection closed and the process exited. */
  readonly #slotHolders = new Map<number, { slot: number; closed: boolean; exited: boolean }>();

  /** @param taken the instance's taken region (null: every mule acknowledges with frames). */
  constructor(
    readonly mules: readonly MuleConfig[],
    readonly farms: readonly FarmConfig[],
    private readonly log: (line: string) => void,
    private readonly taken: TakenSlots | null = null,
  ) {
    for (const m of mules) {
      this.#own.set(m.id, new BrokerQueue(`mule ${m.id}`, FILTER_OWN));
      this.#farmsOf.set(m.id, farms.filter((f) => f.mules.includes(m.id)));
    }
    this.#allIds = mules.map((m) => m.id);
    for (const f of farms) this.#farm.set(f.name, new BrokerQueue(`farm ${f.name}`, FILTER_FARMS));
  }

  /** Messages waiting in the master's queues (not counting those handed to mules). */
  queued(): { shared: number; mules: Record<number, number>; farms: Record<string, number> } {
    return {
      shared: this.#shared.length,
      mules: Object.fromEntries([...this.#own].map(([id, q]) => [id, q.length])),
      farms: Object.fromEntries([...this.#farm].map(([name, q]) => [name, q.length])),
    };
  }

  /** Unix ms mule `id` started what it is doing now, 0 when idle or unknown. */
  busySince(id: number): number {
    return this.#mules.get(id)?.busySince ?? 0;
  }

  connected(peer: BusPeer, conn: BusConnection): { frame(type: number, body: Buffer): void; closed(): void } {
    let endpoint: MuleEndpoint | null = null;
    if (peer.role === "mule" && this.#own.has(peer.id)) {
      const slot = this.taken && !this.#slotHolders.has(peer.pid) ? this.taken.claim() : NO_SLOT;
      if (slot !== NO_SLOT) this.#slotHolders.set(peer.pid, { slot, closed: false, exited: false });
      const body = Buffer.allocUnsafe(4);
      body.writeUInt32LE(slot, 0);
      conn.send(Frame.MULE_SLOT, body);
      endpoint = { muleId: peer.id, pid: peer.pid, conn, credits: 0, filter: 0, nextDelivery: 1, inflight: new Map(), busySince: 0, slot };
      const previous = this.#mules.get(peer.id);
      this.#mules.set(peer.id, endpoint);
      if (previous) previous.credits = 0;
    }
    const ep = endpoint;
    return {
      frame: (type, body) => {
        switch (type) {
          case Frame.MULE_SEND:
            this.#onSend(conn, body);
            break;
          case Frame.MULE_CREDIT:
            if (ep && body.length === 5) {
              ep.filter = body[0]!;
              ep.credits += body.readUInt32LE(1);
              this.#pump(ep);
            }
            break;
          case Frame.MULE_TAKEN:
            if (ep) {
              for (let off = 0; off + 4 <= body.length; off += 4) {
                if (ep.inflight.delete(body.readUInt32LE(off))) ep.credits++;
              }
              this.#pump(ep);
            }
            break;
          case Frame.MULE_TAKEN_THROUGH:
            if (ep && body.length === 4) {
              ep.credits += this.#dropTaken(ep, body.readUInt32LE(0));
              this.#pump(ep);
            }
            break;
          case Frame.MULE_BUSY:
            if (ep && body.length === 8) ep.busySince = body.readDoubleLE(0);
            break;
        }
      },
      closed: () => {
        for (const q of this.#allQueues()) q.blocked.delete(conn);
        if (ep) this.#onMuleGone(ep);
      },
    };
  }

  #allQueues(): BrokerQueue[] {
    return [this.#shared, ...this.#own.values(), ...this.#farm.values()];
  }

  #onSend(sender: BusConnection, body: Buffer): void {
    const decoded = decodeSend(body);
    if (!decoded) return;
    const { target, message } = decoded;
    let queue: BrokerQueue | undefined;
    let candidates: readonly number[];
    if (target.kind === "any") {
      queue = this.#shared;
      candidates = this.#allIds;
    } else if (target.kind === "mule") {
      queue = this.#own.get(target.id);
      candidates = [target.id];
    } else {
      queue = this.#farm.get(target.name);
      candidates = this.farms.find((f) => f.name === target.name)?.mules ?? [];
    }
    if (!queue) {
      this.log(`mule message to unknown ${target.kind === "mule" ? `mule ${target.id}` : `farm ${JSON.stringify(target.kind === "farm" ? target.name : "")}`} dropped`);
      return;
    }
    this.counters.received++;
    // Straight to a mule with room when nothing waits before it.
    if (queue.length === 0) {
      const n = candidates.length;
      for (let i = 0; i < n; i++) {
        const ep = this.#mules.get(candidates[(this.#rr + i) % n]!);
        if (ep && ep.credits > 0 && ep.filter & queue.bit) {
          this.#rr = (this.#rr + i + 1) % Math.max(1, n);
          this.#deliver(ep, queue, message);
          return;
        }
      }
    }
    queue.push(message);
    if (queue.length >= MULE_QUEUE_MESSAGES && !queue.blocked.has(sender)) {
      queue.blocked.add(sender);
      sender.pause();
      sender.send(Frame.MULE_FULL, encodeFull(true, queue.label));
      this.log(`*** MULE MSG QUEUE IS FULL: ${queue.label} holds ${queue.length} messages, its senders wait ***`);
    }
  }

  #deliver(ep: MuleEndpoint, queue: BrokerQueue, msg: Buffer): void {
    const id = ep.nextDelivery++;
    if (ep.nextDelivery > 0xffffffff) ep.nextDelivery = 1;
    ep.credits--;
    ep.inflight.set(id, { queue, msg });
    this.counters.delivered++;
    ep.conn.send(Frame.MULE_DELIVER, encodeDeliverHead(id, queue.bit), msg);
  }

  /** Hands `ep` what waits for it, up to its credits: its own queue, the shared one, its farms'. */
  #pump(ep: MuleEndpoint): void {
    if (this.#mules.get(ep.muleId) !== ep) return;
    const sources: BrokerQueue[] = [];
    if (ep.filter & FILTER_OWN) sources.push(this.#own.get(ep.muleId)!, this.#shared);
    if (ep.filter & FILTER_FARMS) for (const f of this.#farmsOf.get(ep.muleId) ?? []) sources.push(this.#farm.get(f.name)!);
    for (const q of sources) {
      while (ep.credits > 0 && q.length > 0) this.#deliver(ep, q, q.shift()!);
      this.#unblock(q);
      if (ep.credits === 0) break;
    }
  }

  #unblock(q: BrokerQueue): void {
    if (q.blocked.size === 0 || q.length > MULE_QUEUE_MESSAGES / 2) return;
    for (const c of q.blocked) {
      c.resume();
      c.send(Frame.MULE_FULL, encodeFull(false, q.label));
    }
    q.blocked.clear();
  }

  /** Forgets what `ep` took up to delivery `through` (the oldest inflight first); returns how many. */
  #dropTaken(ep: MuleEndpoint, through: number): number {
    let n = 0;
    for (const id of ep.inflight.keys()) {
      if (!takenThrough(id, through)) break;
      ep.inflight.delete(id);
      n++;
    }
    return n;
  }

  /**
   * A mule process exited (the supervisor saw it): its slot, if its connection closed too, can
   * go to another process (before both, the process might still write it).
   */
  processExited(pid: number): void {
    const holder = this.#slotHolders.get(pid);
    if (!holder) return;
    holder.exited = true;
    this.#releaseSlot(pid);
  }

  #releaseSlot(pid: number): void {
    const holder = this.#slotHolders.get(pid)!;
    if (!holder.closed || !holder.exited) return;
    this.#slotHolders.delete(pid);
    this.taken?.release(holder.slot);
  }

  /**
   * A mule process left: what it took (its slot says how far) is done with; what it had not taken
   * goes back to the front of its queues.
   */
  #onMuleGone(ep: MuleEndpoint): void {
    if (this.#mules.get(ep.muleId) === ep) this.#mules.delete(ep.muleId);
    if (ep.slot !== NO_SLOT) {
      this.#dropTaken(ep, this.taken!.read(ep.slot));
      const holder = this.#slotHolders.get(ep.pid);
      if (holder) {
        holder.closed = true;
        this.#releaseSlot(ep.pid);
      }
    }
    const back = [...ep.inflight.values()];
    ep.inflight.clear();
    for (let i = back.length - 1; i >= 0; i--) back[i]!.queue.unshift(back[i]!.msg);
    this.counters.requeued += back.length;
    // Another mule may be able to take them now (shared and farm queues).
    for (const other of this.#mules.values()) this.#pump(other);
  }
}
