/**
 * This instance as a member of one legion, run by the master: a UDP socket, an announce every
 * `--legion-freq` seconds to every configured node, received announces fed to the
 * {@link LegionState}, the election run after each, and the hooks run on its events, with
 * uWSGI's log lines.
 * @module
 */
import { Buffer } from "node:buffer";
import { randomUUID } from "node:crypto";
import { createSocket, type Socket } from "node:dgram";
import { isIPv6 } from "node:net";
import { hostname } from "node:os";
import type { LegionConfig, LegionGlobals, LegionHookEvent } from "../../config/legion-options.js";
import { runLegionHooks } from "./legion-hooks.js";
import { LegionState, type LegionEvent, type LegionView } from "../../engines/legion/legion-state.js";
import { decodeLegionAnnounce, encodeLegionAnnounce, legionCipher, LEGION_MAX_DATAGRAM, type LegionCipher } from "../../protocol/legion-packet.js";

/** What a legion member needs from the master. */
export interface LegionMemberHost {
  log(line: string): void;
  /** Routes signal `num` as if raised in the master (hook `signal:N`). */
  raiseSignal(num: number): void;
  /** Raises the `--alarm` named `name` with `message`; false when it was not raised. */
  raiseAlarm(name: string, message: string): boolean;
  /** Called whenever what readers see (Lord, scrolls, members) may have changed. */
  changed(): void;
}

const unixNow = (): number => Math.floor(Date.now() / 1000);

/** One legion of this instance. */
export class LegionMember {
  readonly state: LegionState;
  readonly #cfg: LegionConfig;
  readonly #globals: LegionGlobals;
  readonly #host: LegionMemberHost;
  readonly #cipher: LegionCipher;
  #socket: Socket | null = null;
  #timer: NodeJS.Timeout | null = null;
  #firstRound = true;
  #stopped = false;

  /** @throws UwsgiError UWSGI_ERR_LEGION_OPTION for an unknown cipher. */
  constructor(cfg: LegionConfig, globals: LegionGlobals, host: LegionMemberHost) {
    this.#cfg = cfg;
    this.#globals = globals;
    this.#host = host;
    this.#cipher = legionCipher(cfg.algorithm, cfg.secret, cfg.iv);
    this.state = new LegionState(
      {
        name: cfg.name,
        valor: cfg.valor,
        scroll: cfg.scroll === null ? null : Buffer.from(cfg.scroll),
        quorum: cfg.quorum,
        tolerance: globals.tolerance,
        skewTolerance: globals.skewTolerance,
        deathOnLordError: globals.deathOnLordError,
        scrollMaxSize: globals.scrollMaxSize,
        scrollListMaxSize: globals.scrollListMaxSize,
      },
      { hostname: Buffer.from(hostname()), pid: process.pid, uuid: Buffer.from(randomUUID(), "latin1") },
    );
  }

  get name(): string {
    return this.#cfg.name;
  }

  /** The configuration (stats: addr, nodes). */
  get config(): LegionConfig {
    return this.#cfg;
  }

  /** What readers see. */
  view(): LegionView {
    return this.state.view();
  }

  /** Binds the socket, runs the setup hooks and starts announcing. */
  async start(): Promise<void> {
    const cfg = this.#cfg;
    const socket = createSocket({ type: isIPv6(cfg.bindHost) ? "udp6" : "udp4", reuseAddr: cfg.multicast });
    await new Promise<void>((resolve, reject) => {
      socket.once("error", reject);
      socket.bind(cfg.bindPort, cfg.multicast ? undefined : cfg.bindHost, () => {
        socket.off("error", reject);
        resolve();
      });
    });
    if (cfg.multicast) {
      socket.addMembership(cfg.bindHost);
      socket.setMulticastLoopback(true);
    }
    socket.on("error", (err) => this.#host.log(`[uwsgi-legion] ${cfg.name}: ${err.message}`));
    socket.on("message", (msg) => this.#onDatagram(msg));
    this.#socket = socket;
    await this.#runHooks("setup");
    this.#host.log(`legion manager thread enabled (legion ${cfg.name} on ${cfg.addr}, uuid ${this.state.identity.uuid.toString("latin1")})`);
    this.#cycle();
  }

  /** Port the socket is bound to (useful with port 0). */
  get port(): number {
    return this.#socket?.address().port ?? 0;
  }

  #cycle(): void {
    if (this.#stopped) return;
    const now = unixNow();
    this.#announce(now);
    this.#handle(this.state.expire(now));
    this.#elect(now);
    this.#timer = setTimeout(() => this.#cycle(), this.#globals.freq * 1000);
  }

  #elect(now: number): void {
    if (this.#firstRound) {
      // uWSGI skips the election on its first round, so it has heard from its peers once
      this.#firstRound = false;
      return;
    }
    this.#handle(this.state.step(now));
  }

  #announce(now: number): void {
    if (this.state.mayAnnounce(now)) void this.#sendAnnounce(now);
  }

  /** Sends this node's announce as of `now` to every node; resolves once every send completed. */
  #sendAnnounce(now: number): Promise<void> {
    const socket = this.#socket;
    if (!socket) return Promise.resolve();
    let packet: Buffer;
    try {
      packet = encodeLegionAnnounce(this.state.announce(now), this.#cipher);
    } catch (err) {
      this.#host.log(`[uwsgi-legion] cannot build the announce of legion ${this.#cfg.name}: ${(err as Error).message}`);
      return Promise.resolve();
    }
    const sends = this.#cfg.nodes.map(
      (node) =>
        new Promise<void>((resolve) =>
          socket.send(packet, node.port, node.host, (err) => {
            if (err) this.#host.log(`[uwsgi-legion] sendto(): ${err.message}`);
            resolve();
          }),
        ),
    );
    return Promise.all(sends).then(() => undefined);
  }

  #onDatagram(msg: Buffer): void {
    if (this.#stopped) return;
    const now = unixNow();
    if (msg.length > LEGION_MAX_DATAGRAM) return;
    try {
      this.#handle(this.state.receive(decodeLegionAnnounce(msg, this.#cipher), now));
    } catch (err) {
      this.#host.log(`[uwsgi-legion] ${(err as Error).message}`);
      return;
    }
    this.#handle(this.state.expire(now));
    this.#elect(now);
  }

  #handle(events: LegionEvent[]): void {
    if (events.length === 0) return;
    const name = this.#cfg.name;
    const log = (line: string): void => this.#host.log(line);
    for (const e of events) {
      switch (e.kind) {
        case "node-joined":
          log(`[uwsgi-legion] ${e.member.valor > 0 ? "node" : "arbiter"}: ${e.member.name.toString()} valor: ${e.member.valor} uuid: ${e.member.uuid.toString("latin1")} joined Legion ${name}`);
          void this.#runHooks("node-joined");
          break;
        case "node-left":
          log(`[uwsgi-legion] ${e.member.valor > 0 ? "node" : "arbiter"}: ${e.member.name.toString()} valor: ${e.member.valor} uuid: ${e.member.uuid.toString("latin1")} left Legion ${name}`);
          void this.#runHooks("node-left");
          break;
        case "node-dead":
          log(`[uwsgi-legion] ${e.member.valor > 0 ? "node" : "arbiter"}: ${e.member.name.toString()} valor: ${e.member.valor} uuid: ${e.member.uuid.toString("latin1")} announced its death to Legion ${name}`);
          break;
        case "join":
          void this.#runHooks("join");
          break;
        case "quorum":
          log(`[uwsgi-legion] --- WE HAVE QUORUM FOR LEGION ${name} !!! (valor: ${e.lordValor} uuid: ${uuidText(e.lordUuid)} checksum: ${this.state.checksum} votes: ${e.votes}) ---`);
          for (const m of this.state.members) {
            log(`[uwsgi-legion-node] ${m.valor > 0 ? "node" : "arbiter"}: ${m.name.toString()} valor: ${m.valor} uuid: ${m.uuid.toString("latin1")} last_seen: ${m.lastSeen} vote_valor: ${m.lordValor} vote_uuid: ${uuidText(m.lordUuid)}`);
          }
          log("[uwsgi-legion] --- END OF QUORUM REPORT ---");
          break;
        case "lord-attempt":
          log(`[uwsgi-legion] attempting to become the Lord of the Legion ${name}`);
          void this.#becomeLord();
          break;
        case "unlord":
          if (e.reason === "no-quorum") log(`[uwsgi-legion] i cannot be The Lord of The Legion ${name} without a quorum ...`);
          else log(`[uwsgi-legion] a new Lord (valor: ${this.state.lordValor} uuid: ${uuidText(this.state.lordUuid)}) raised for Legion ${name}...`);
          void this.#runHooks("unlord");
          break;
        case "no-quorum":
          log(`[uwsgi-legion] no quorum: only ${e.votes} vote(s) for Legion ${name}, ${this.#cfg.quorum} needed to elect a Lord`);
          break;
        case "scrolls-overflow":
          log("[DANGER] you have configured a too much tiny buffer for the scrolls list !!! tune it with --legion-scroll-list-max-size");
          break;
        case "refused":
          log(`[uwsgi-legion] ${e.why}`);
          break;
      }
    }
    this.#host.changed();
  }

  async #becomeLord(): Promise<void> {
    const ok = await this.#runHooks("lord");
    if (this.#stopped) return;
    const now = unixNow();
    const suspended = this.state.lordHooksDone(ok, now);
    if (suspended) {
      // the `dead` announce goes out although the suspension has started
      void this.#sendAnnounce(now);
      this.#host.log(`[uwsgi-legion] suspending myself from Legion "${this.#cfg.name}" for ${this.#globals.deathOnLordError} seconds`);
    } else {
      this.#host.log(`[uwsgi-legion] i am now the Lord of the Legion ${this.#cfg.name}`);
      // as uWSGI: announce at once, so the old Lord steps down sooner
      this.#announce(now);
    }
    this.#host.changed();
  }

  #runHooks(event: LegionHookEvent): Promise<boolean> {
    return runLegionHooks(event, this.#cfg.name, this.#cfg.hooks, this.#host);
  }

  /** Stops announcing: death hooks, then one `dead` announce, then the socket closes. */
  async stop(): Promise<void> {
    if (this.#stopped) return;
    this.#stopped = true;
    if (this.#timer) clearTimeout(this.#timer);
    await this.#runHooks("death");
    const socket = this.#socket;
    if (!socket) return;
    this.state.leave();
    await this.#sendAnnounce(unixNow());
    socket.close();
    this.#socket = null;
  }
}

function uuidText(uuid: Buffer): string {
  return uuid.every((b) => b === 0) ? "" : uuid.toString("latin1");
}
