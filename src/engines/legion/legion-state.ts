/**
 * One legion as one node sees it: the members heard from, the checksum, the votes and the
 * election of the Lord, with uWSGI 2.0's rules (core/legion.c), so that uwsgi-node and uWSGI
 * nodes in one legion agree on the same Lord.
 *
 * The state is pure: it is fed announces and ticks with the time, and answers with events the
 * caller acts on (hooks, logs). Becoming Lord is two steps because lord hooks may run commands:
 * {@link LegionState.step} reports `lord-attempt`, the caller runs the hooks and then calls
 * {@link LegionState.lordHooksDone}.
 * @module
 */
import { Buffer } from "node:buffer";
import { type LegionAnnounce, LEGION_UUID_BYTES, NO_LORD_UUID } from "../../protocol/legion-packet.js";

/** What one legion is configured with. */
export interface LegionSettings {
  readonly name: string;
  /** 0 = arbiter: votes, never Lord. */
  readonly valor: number;
  readonly scroll: Buffer | null;
  /** Votes needed to elect a Lord (0 and 1: a lone node elects itself). */
  readonly quorum: number;
  /** Seconds without an announce after which a member is dropped (`--legion-tolerance`, 15). */
  readonly tolerance: number;
  /** Announces older than this many seconds are refused (`--legion-skew-tolerance`, 60). */
  readonly skewTolerance: number;
  /** Seconds a node stays out after a failed lord hook (`--legion-death-on-lord-error`, 0 = never). */
  readonly deathOnLordError: number;
  /** Largest Lord scroll kept (`--legion-scroll-max-size`, 4096). */
  readonly scrollMaxSize: number;
  /** Largest scroll list, 2 bytes per entry included (`--legion-scroll-list-max-size`, 32768). */
  readonly scrollListMaxSize: number;
}

/** Who this node is on the wire. */
export interface LegionIdentity {
  readonly hostname: Buffer;
  readonly pid: number;
  /** 36 bytes. */
  readonly uuid: Buffer;
}

/** A member heard from. */
export interface LegionMember {
  readonly valor: number;
  readonly name: Buffer;
  readonly uuid: Buffer;
  readonly pid: number;
  readonly scroll: Buffer | null;
  /** Unix seconds of its last announce. */
  lastSeen: number;
  checksum: number;
  lordValor: number;
  lordUuid: Buffer;
}

/** What happened, for the caller to log and run hooks for. */
export type LegionEvent =
  | { readonly kind: "node-joined"; readonly member: LegionMember }
  | { readonly kind: "node-left"; readonly member: LegionMember }
  | { readonly kind: "node-dead"; readonly member: LegionMember }
  | { readonly kind: "join" }
  | { readonly kind: "quorum"; readonly lordValor: number; readonly lordUuid: Buffer; readonly votes: number }
  | { readonly kind: "lord-attempt" }
  | { readonly kind: "unlord"; readonly reason: "new-lord" | "no-quorum" }
  | { readonly kind: "no-quorum"; readonly votes: number }
  | { readonly kind: "scrolls-overflow" }
  | { readonly kind: "refused"; readonly why: string };

/** What readers in every process see (`i_am_the_lord`, `lord_scroll`, `scrolls`, stats). */
export interface LegionView {
  readonly name: string;
  readonly valor: number;
  readonly uuid: string;
  readonly checksum: number;
  readonly quorum: number;
  /** Unix seconds this node became Lord, 0 when it is not Lord. */
  readonly lordSince: number;
  readonly lordValor: number;
  readonly lordUuid: Buffer;
  readonly lordScroll: Buffer | null;
  /** This node's scroll first, then each member's in join order; empty until the first member joins. */
  readonly scrolls: readonly Buffer[];
  readonly members: ReadonlyArray<{ name: string; uuid: string; valor: number; checksum: number; lastSeen: number }>;
}

/** uWSGI's `uwsgi_uuid_cmp`: byte by byte, the first difference decides; true when `a` > `b`. */
function uuidGreater(a: Buffer, b: Buffer): boolean {
  for (let i = 0; i < LEGION_UUID_BYTES; i++) {
    if (a[i] !== b[i]) return a[i]! > b[i]!;
  }
  return false;
}

function byteSum(b: Buffer): number {
  let s = 0;
  for (let i = 0; i < LEGION_UUID_BYTES; i++) s += b[i] ?? 0;
  return s;
}

/** The legion state of this node. */
export class LegionState {
  readonly members: LegionMember[] = [];
  checksum = 0;
  lordValor = 0;
  lordUuid: Buffer = NO_LORD_UUID;
  /** Unix seconds this node became Lord; 0 when not Lord. */
  lordSince = 0;
  lordScroll: Buffer | null = null;
  #scrolls: Buffer[] = [];
  #changed = false;
  #joined = false;
  #lastWarning = 0;
  #suspendedUntil = 0;
  #dead = false;
  #lordPending = false;

  constructor(
    readonly settings: LegionSettings,
    readonly identity: LegionIdentity,
  ) {}

  /** The announce this node sends now (`dead` once it leaves or while suspended after a failed lord hook). */
  announce(now: number): LegionAnnounce {
    return {
      legion: this.settings.name,
      valor: this.settings.valor,
      unix: now,
      lord: this.lordSince,
      name: this.identity.hostname,
      pid: this.identity.pid,
      uuid: this.identity.uuid,
      checksum: this.checksum,
      lordValor: this.lordValor,
      lordUuid: this.lordUuid,
      scroll: this.settings.scroll,
      dead: this.#dead,
    };
  }

  /** Whether this node announces now: not while suspended after a failed lord hook. */
  mayAnnounce(now: number): boolean {
    if (now <= this.#suspendedUntil) return false;
    if (this.#suspendedUntil !== 0) {
      // uWSGI keeps announcing `dead` forever after the suspension (ul->dead is never reset);
      // here the node rejoins once its suspension is over.
      this.#suspendedUntil = 0;
      this.#dead = false;
    }
    return true;
  }

  /** Marks this node as leaving: the next announce says `dead`. */
  leave(): void {
    this.#dead = true;
  }

  /** Takes one received announce (already decrypted) through uWSGI's receiver checks. */
  receive(a: LegionAnnounce, now: number): LegionEvent[] {
    if (a.legion !== this.settings.name) return [{ kind: "refused", why: "invalid legion name" }];
    const id = this.identity;
    if (a.name.equals(id.hostname) && a.pid === id.pid && a.valor === this.settings.valor && a.uuid.equals(id.uuid)) return [];
    if (a.unix < now - this.settings.skewTolerance) {
      return [{ kind: "refused", why: `untolerable packet received for Legion ${this.settings.name} , check your clock !!!` }];
    }
    const events: LegionEvent[] = [];
    let member = this.members.find((m) => m.valor === a.valor && m.name.equals(a.name) && m.uuid.equals(a.uuid));
    if (!member) {
      if (a.dead || a.name.length === 0) return [];
      member = {
        valor: a.valor, name: Buffer.from(a.name), uuid: Buffer.from(a.uuid), pid: a.pid,
        scroll: a.scroll && a.scroll.length > 0 ? Buffer.from(a.scroll) : null,
        lastSeen: now, checksum: 0, lordValor: 0, lordUuid: NO_LORD_UUID,
      };
      this.members.push(member);
      if (this.#rebuildScrolls()) events.push({ kind: "scrolls-overflow" });
      events.push({ kind: "node-joined", member });
    } else if (a.dead) {
      this.#remove(member);
      events.push({ kind: "node-dead", member });
      return events;
    }
    member.lastSeen = now;
    member.lordValor = a.lordValor;
    member.checksum = a.checksum;
    member.lordUuid = Buffer.from(a.lordUuid);
    return events;
  }

  /** Drops members unseen for longer than the tolerance. */
  expire(now: number): LegionEvent[] {
    const events: LegionEvent[] = [];
    for (const m of [...this.members]) {
      if (now - m.lastSeen > this.settings.tolerance) {
        this.#remove(m);
        events.push({ kind: "node-left", member: m });
      }
    }
    return events;
  }

  #remove(m: LegionMember): void {
    const i = this.members.indexOf(m);
    if (i >= 0) this.members.splice(i, 1);
    this.#rebuildScrolls();
  }

  /** uWSGI's `legion_rebuild_scrolls`; true when the list did not fit. */
  #rebuildScrolls(): boolean {
    const max = this.settings.scrollListMaxSize;
    const own = this.settings.scroll ?? Buffer.alloc(0);
    if (own.length + 2 > max) {
      this.#scrolls = [];
      return true;
    }
    const list = [own];
    let size = 2 + own.length;
    for (const m of this.members) {
      const s = m.scroll ?? Buffer.alloc(0);
      if (size + 2 + s.length > max) {
        this.#scrolls = list;
        return true;
      }
      list.push(s);
      size += 2 + s.length;
    }
    this.#scrolls = list;
    return false;
  }

  /** uWSGI's `uwsgi_legion_get_lord`: the best candidate among the members, or null when it is this node (or nobody). */
  #bestMember(): LegionMember | null {
    let bestValor = this.settings.valor;
    let bestUuid = this.identity.uuid;
    let best: LegionMember | null = null;
    for (const m of this.members) {
      if (m.valor === 0) continue;
      if (m.valor > bestValor || (m.valor === bestValor && uuidGreater(m.uuid, bestUuid))) {
        best = m;
        bestValor = m.valor;
        bestUuid = m.uuid;
      }
    }
    if ((this.settings.valor > 0 && this.lordValor === 0) || bestValor !== this.lordValor || !bestUuid.equals(this.lordUuid)) this.#changed = true;
    this.lordValor = bestValor;
    this.lordUuid = Buffer.from(bestUuid);
    if (best) {
      const s = best.scroll;
      this.lordScroll = s && s.length > 0 && s.length <= this.settings.scrollMaxSize ? s : null;
    }
    return best;
  }

  /** uWSGI's checksum: valor plus the uuid's bytes, of this node and of every member. */
  #computeChecksum(): number {
    let sum = this.settings.valor + byteSum(this.identity.uuid);
    for (const m of this.members) sum += m.valor + byteSum(m.uuid);
    return sum;
  }

  /** uWSGI's `legions_check_nodes_step2`: checksum, votes, quorum, Lord transitions. */
  step(now: number): LegionEvent[] {
    const events: LegionEvent[] = [];
    let iAmTheBest = false;
    let bestValor = 0;
    let bestUuid: Buffer = NO_LORD_UUID;
    const node = this.#bestMember();
    if (node) {
      bestValor = node.valor;
      bestUuid = node.uuid;
    } else if (this.settings.valor > 0 && now > this.#suspendedUntil) {
      bestValor = this.settings.valor;
      bestUuid = this.identity.uuid;
      iAmTheBest = true;
    }
    const checksum = this.#computeChecksum();
    if (checksum !== this.checksum) this.#changed = true;
    this.checksum = checksum;

    let votes = 1;
    for (const m of this.members) {
      if (m.checksum !== this.checksum || m.lordValor !== bestValor || !m.lordUuid.equals(bestUuid)) {
        votes = 0;
        break;
      }
      votes++;
    }
    const quorum = this.settings.quorum;
    if (votes > 0 && votes >= quorum) {
      if (!this.#joined) {
        this.#joined = true;
        events.push({ kind: "join" });
      }
      if (this.#changed) {
        this.#changed = false;
        events.push({ kind: "quorum", lordValor: bestValor, lordUuid: bestUuid, votes });
      }
      if (iAmTheBest) {
        if (!this.lordSince && !this.#lordPending) {
          this.#lordPending = true;
          events.push({ kind: "lord-attempt" });
        }
      } else if (this.lordSince) {
        this.lordSince = 0;
        events.push({ kind: "unlord", reason: "new-lord" });
      }
    } else if (votes > 0 && votes < quorum && now - this.#lastWarning >= 60) {
      events.push({ kind: "no-quorum", votes });
      if (this.lordSince) {
        this.lordSince = 0;
        events.push({ kind: "unlord", reason: "no-quorum" });
      }
      this.#lastWarning = now;
    }
    return events;
  }

  /**
   * Completes a `lord-attempt` once the lord hooks ran. `ok` false with
   * `--legion-death-on-lord-error` suspends this node (it announces `dead` once, then stays
   * silent for that many seconds); returns true when the caller must send that `dead` announce.
   */
  lordHooksDone(ok: boolean, now: number): boolean {
    this.#lordPending = false;
    if (!ok && this.settings.deathOnLordError > 0) {
      this.#dead = true;
      this.#suspendedUntil = now + this.settings.deathOnLordError;
      return true;
    }
    const s = this.settings.scroll;
    this.lordScroll = s && s.length > 0 && s.length <= this.settings.scrollMaxSize ? s : null;
    this.lordSince = now;
    return false;
  }

  /** Whether a lord attempt is waiting for its hooks. */
  get lordPending(): boolean {
    return this.#lordPending;
  }

  /** The state readers see. */
  view(): LegionView {
    return {
      name: this.settings.name,
      valor: this.settings.valor,
      uuid: this.identity.uuid.toString("latin1"),
      checksum: this.checksum,
      quorum: this.settings.quorum,
      lordSince: this.lordSince,
      lordValor: this.lordValor,
      lordUuid: this.lordUuid,
      lordScroll: this.lordScroll,
      scrolls: this.#scrolls,
      members: this.members.map((m) => ({ name: m.name.toString("utf8"), uuid: m.uuid.toString("latin1"), valor: m.valor, checksum: m.checksum, lastSeen: m.lastSeen })),
    };
  }
}
