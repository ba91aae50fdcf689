/**
 * The master's legions: one {@link LegionMember} per `--legion`/`--legion-mcast`, started after
 * the workers, stopped (death hooks, `dead` announce) when the instance stops. What every
 * process may read (`i_am_the_lord`, `lord_scroll`, `scrolls`) is published as
 * {@link PublishedLegion}s whenever it changes.
 * @module
 */
import type { OptionSet } from "../../config/option-set.js";
import { readAllLegions, readLegionGlobals } from "../../config/legion-options.js";
import type { LegionView } from "../../engines/legion/legion-state.js";
import type { StatsLegion } from "../stats/stats-snapshot.js";
import { LegionMember, type LegionMemberHost } from "./legion-member.js";
import { RedisLeaseLegion } from "./redis-lease-legion.js";

/** A legion this instance runs: over UDP announces, or through a Redis lease. */
export interface LegionRunner {
  readonly name: string;
  /** The stats document's `addr`. */
  readonly addr: string;
  /** The stats document's `nodes`. */
  readonly nodeTexts: readonly string[];
  view(): LegionView;
  isLord(): boolean;
  start(): Promise<void>;
  stop(): Promise<void>;
}

/** A legion as children see it: plain JSON, shipped over IPC. */
export interface PublishedLegion {
  readonly name: string;
  readonly lord: boolean;
  /** base64, or null when no Lord scroll is known. */
  readonly lordScroll: string | null;
  /** base64 each: this node's scroll first, then the members' in join order. */
  readonly scrolls: readonly string[];
}

/** Every legion of the instance. */
export class InstanceLegions {
  private constructor(readonly members: readonly LegionRunner[]) {}

  /**
   * Reads the legion options; nothing runs until {@link start}.
   * @throws UwsgiError UWSGI_ERR_LEGION_OPTION naming the option at fault.
   */
  static fromOptions(options: OptionSet, host: LegionMemberHost): InstanceLegions {
    const globals = readLegionGlobals(options);
    const { udp, redis } = readAllLegions(options);
    return new InstanceLegions([
      ...udp.map((cfg): LegionRunner => {
        const m = new LegionMember(cfg, globals, host);
        return { name: cfg.name, addr: cfg.addr, nodeTexts: cfg.nodeTexts, view: () => m.view(), isLord: () => m.state.lordSince > 0, start: () => m.start(), stop: () => m.stop() };
      }),
      ...redis.map((cfg): LegionRunner => {
        const m = new RedisLeaseLegion(cfg, globals, host);
        return { name: cfg.name, addr: cfg.url, nodeTexts: [], view: () => m.view(), isLord: () => m.isLord(), start: () => m.start(), stop: () => m.stop() };
      }),
    ]);
  }

  get empty(): boolean {
    return this.members.length === 0;
  }

  async start(): Promise<void> {
    for (const m of this.members) await m.start();
  }

  async stop(): Promise<void> {
    await Promise.all(this.members.map((m) => m.stop()));
  }

  /** True when this instance declares legion `name`. */
  has(name: string): boolean {
    return this.members.some((m) => m.name === name);
  }

  /** True while this instance is Lord of `name` (for `--legion-cron`). */
  isLord(name: string): boolean {
    return this.members.some((m) => m.name === name && m.isLord());
  }

  /** What children may read. */
  published(): PublishedLegion[] {
    return this.members.map((m) => publish(m.view()));
  }

  /** The stats document's `legions`. */
  stats(): StatsLegion[] {
    return this.members.map((m) => {
      const v = m.view();
      return {
        legion: v.name,
        addr: m.addr,
        uuid: v.uuid,
        valor: v.valor,
        checksum: v.checksum,
        quorum: v.quorum,
        i_am_the_lord: v.lordSince,
        lord_valor: v.lordValor,
        lord_uuid: v.lordUuid.toString("latin1"),
        lord_scroll: v.lordScroll ? v.lordScroll.toString("utf8") : "",
        nodes: [...m.nodeTexts],
        members: v.members.map((n) => ({ name: n.name, uuid: n.uuid, valor: n.valor, checksum: n.checksum, last_seen: n.lastSeen })),
      };
    });
  }
}

function publish(v: LegionView): PublishedLegion {
  return {
    name: v.name,
    lord: v.lordSince > 0,
    lordScroll: v.lordScroll && v.lordScroll.length > 0 ? v.lordScroll.toString("base64") : null,
    scrolls: v.scrolls.map((s) => s.toString("base64")),
  };
}
