/**
 * The master's listening sockets. The master binds each socket but never accepts on it: every
 * worker inherits the descriptor and calls `listen()`/`accept()` on the same kernel socket
 * (shared accept, what uWSGI does and what node:cluster calls SCHED_NONE), so the kernel hands
 * each new connection to whichever worker is free. The master keeps its descriptor open, so
 * connections wait in the backlog while workers are respawned or reloaded instead of failing.
 *
 * Node has no public call that binds without also accepting; this file uses
 * `net._createServerHandle`, the function node:cluster's primary uses for the same purpose.
 * @module
 */
import { existsSync, lstatSync, unlinkSync } from "node:fs";
import net from "node:net";
import { getSystemErrorName } from "node:util";
import { UwsgiError } from "../errors.js";
import { createServerHandleFunction } from "../core/node-internals.js";
import { formatListenAddress, type ListenAddress, type SocketProto } from "./listen-address.js";

/** What the master needs of a bound libuv handle. */
interface BoundHandle {
  readonly fd: number;
  getsockname?(out: { address?: string; port?: number }): number;
  close(): void;
}

type CreateServerHandle = (address: string | null, port: number, addressType: number, fd?: number, flags?: number) => BoundHandle | number;

/** A bound (not yet listening) socket owned by the master. */
export interface ListenSocket {
  /** Position in option order (uWSGI's socket number). */
  readonly index: number;
  readonly proto: SocketProto;
  /** The option that declared it (`http`, `http-socket`, `socket`). */
  readonly option: string;
  /** The bound address, with the real port when 0 was asked. */
  readonly address: ListenAddress;
  /** Printable name (`127.0.0.1:8080`, `/run/app.sock`, `@name`). */
  readonly name: string;
  /** The master's descriptor; children inherit it. */
  readonly fd: number;
  /** Closes the master's descriptor and removes a unix socket file this socket created. */
  close(): void;
}

function createServerHandle(): CreateServerHandle {
  return createServerHandleFunction<CreateServerHandle>();
}

/**
 * Binds `address` for protocol `proto`.
 * @throws UwsgiError UWSGI_ERR_OPTION_VALUE naming `option` when the address cannot be bound.
 */
export async function bindListenSocket(index: number, option: string, proto: SocketProto, address: ListenAddress): Promise<ListenSocket> {
  const create = createServerHandle();
  let result: BoundHandle | number;
  if (address.kind === "unix") {
    await removeStaleUnixSocket(address.path);
    result = create(address.path, -1, -1);
  } else {
    result = create(address.host, address.port, net.isIP(address.host) === 6 ? 6 : 4);
  }
  if (typeof result === "number") {
    const reason = getSystemErrorName(result);
    throw new UwsgiError("UWSGI_ERR_OPTION_VALUE", option, `cannot bind ${formatListenAddress(address)}: ${reason}`);
  }
  const handle = result;
  let bound: ListenAddress = address;
  if (address.kind === "tcp" && handle.getsockname) {
    // libuv defers EADDRINUSE from bind() to listen(); getsockname() reports it now.
    const out: { address?: string; port?: number } = {};
    const err = handle.getsockname(out);
    if (err !== 0 || typeof out.port !== "number" || (address.port !== 0 && out.port !== address.port)) {
      handle.close();
      throw new UwsgiError("UWSGI_ERR_OPTION_VALUE", option, `cannot bind ${formatListenAddress(address)}: ${err ? getSystemErrorName(err) : "EADDRINUSE"}`);
    }
    bound = { kind: "tcp", host: address.host, port: out.port };
  }
  let closed = false;
  return {
    index,
    proto,
    option,
    address: bound,
    name: formatListenAddress(bound),
    fd: handle.fd,
    close(): void {
      if (closed) return;
      closed = true;
      handle.close();
      if (bound.kind === "unix" && !bound.path.startsWith("\0")) {
        try {
          unlinkSync(bound.path);
        } catch {
          // already gone
        }
      }
    },
  };
}

/** Removes a unix socket file nobody listens on any more (left behind by a killed instance). */
async function removeStaleUnixSocket(path: string): Promise<void> {
  if (path.startsWith("\0") || !existsSync(path)) return;
  try {
    if (!lstatSync(path).isSocket()) return;
  } catch {
    return;
  }
  const refused = await new Promise<boolean>((resolve) => {
    const probe = net.connect(path);
    probe.once("connect", () => {
      probe.destroy();
      resolve(false);
    });
    probe.once("error", (err: NodeJS.ErrnoException) => resolve(err.code === "ECONNREFUSED"));
  });
  if (refused) unlinkSync(path);
}
