/**
 * The master's end of the process bus: a unix socket its children connect to (lazily, on their
 * first mule message or RPC use). Each connection says who it is in a HELLO frame; then its
 * frames go to the handler of its channel (the mule broker, the RPC router).
 * @module
 */
import { unlinkSync } from "node:fs";
import { createServer, type Server } from "node:net";
import { busAddress, busAddressIsFile } from "./bus-address.js";
import { BusConnection } from "./bus-connection.js";
import { Channel, Frame, decodeHello, type BusPeer } from "./bus-frames.js";

/** What a channel handler gets for each connection. */
export interface ChannelHandler {
  /** A child connected; returns the handler of its frames. */
  connected(peer: BusPeer, conn: BusConnection): { frame(type: number, body: Buffer): void; closed(): void };
}

/** The master's bus. */
export class BusServer {
  readonly #handlers = new Map<Channel, ChannelHandler>();
  readonly #connections = new Set<BusConnection>();

  private constructor(
    readonly address: string,
    private readonly server: Server,
  ) {}

  /** Listens at the bus address of instance `instance` (its id, see `busAddress`). */
  static async listen(instance: string | number = process.pid): Promise<BusServer> {
    const address = busAddress(instance);
    if (busAddressIsFile(address)) {
      try {
        unlinkSync(address);
      } catch {
        // not there
      }
    }
    const server = createServer({ noDelay: true });
    const bus = new BusServer(address, server);
    server.on("connection", (socket) => bus.#accept(socket));
    await new Promise<void>((resolve, reject) => {
      server.once("error", reject);
      server.listen(address, () => {
        server.off("error", reject);
        resolve();
      });
    });
    return bus;
  }

  /** Routes the connections of `channel` to `handler`. */
  handle(channel: Channel, handler: ChannelHandler): void {
    this.#handlers.set(channel, handler);
  }

  #accept(socket: import("node:net").Socket): void {
    let sink: { frame(type: number, body: Buffer): void; closed(): void } | null = null;
    const conn: BusConnection = new BusConnection(
      socket,
      (type, body) => {
        if (sink) {
          sink.frame(type, body);
          return;
        }
        const peer = type === Frame.HELLO ? decodeHello(body) : null;
        const handler = peer ? this.#handlers.get(peer.channel) : undefined;
        if (!peer || !handler) {
          conn.close();
          return;
        }
        sink = handler.connected(peer, conn);
      },
      () => {
        this.#connections.delete(conn);
        sink?.closed();
      },
    );
    this.#connections.add(conn);
  }

  /** Stops listening and drops every connection. */
  async close(): Promise<void> {
    for (const c of this.#connections) c.close();
    await new Promise<void>((resolve) => this.server.close(() => resolve()));
    if (busAddressIsFile(this.address)) {
      try {
        unlinkSync(this.address);
      } catch {
        // gone
      }
    }
  }
}
