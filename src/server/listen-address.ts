/**
 * Addresses of listening sockets as uWSGI spells them: `:8080` (every IPv4 interface),
 * `127.0.0.1:8080`, `[::1]:8080`, `localhost:8080`, a unix socket path, or `@name` (a Linux
 * abstract unix socket). Port 0 asks the kernel for a free port.
 * @module
 */
import { lookup } from "node:dns/promises";
import { isIP } from "node:net";
import { UwsgiError } from "../errors.js";

/** Wire protocol spoken on a listening socket. */
export type SocketProto = "http" | "uwsgi";

/** A parsed listening address. */
export type ListenAddress =
  | { readonly kind: "tcp"; readonly host: string; readonly port: number }
  | { readonly kind: "unix"; readonly path: string };

/**
 * Parses the value of a socket option (`--http`, `--http-socket`, `--socket`).
 * @param option the option name, used in error messages.
 * @throws UwsgiError UWSGI_ERR_OPTION_VALUE naming `option` for an empty or malformed address.
 * @example
 * ```ts
 * parseListenAddress("http", ":8080");        // { kind: "tcp", host: "0.0.0.0", port: 8080 }
 * parseListenAddress("socket", "/run/a.sock"); // { kind: "unix", path: "/run/a.sock" }
 * ```
 */
export function parseListenAddress(option: string, value: string | true): ListenAddress {
  const text = value === true ? "" : value.trim();
  if (text === "") throw new UwsgiError("UWSGI_ERR_OPTION_VALUE", option, "an address is required (:PORT, HOST:PORT or a unix socket path)");
  if (text.startsWith("@")) {
    if (text.length === 1) throw new UwsgiError("UWSGI_ERR_OPTION_VALUE", option, "an abstract socket needs a name after @");
    return { kind: "unix", path: "\0" + text.slice(1) };
  }
  const colon = text.lastIndexOf(":");
  if (colon < 0 || text.includes("/")) return { kind: "unix", path: text };
  let host = text.slice(0, colon);
  const portText = text.slice(colon + 1);
  if (!/^\d{1,5}$/.test(portText) || Number(portText) > 65535) {
    throw new UwsgiError("UWSGI_ERR_OPTION_VALUE", option, `invalid port ${JSON.stringify(portText)} in ${JSON.stringify(text)}`);
  }
  if (host.startsWith("[") && host.endsWith("]")) host = host.slice(1, -1);
  if (host === "" || host === "*") host = "0.0.0.0";
  if (host.includes(":") && isIP(host) !== 6) throw new UwsgiError("UWSGI_ERR_OPTION_VALUE", option, `invalid host in ${JSON.stringify(text)}`);
  return { kind: "tcp", host, port: Number(portText) };
}

/**
 * Resolves a host name to an IP address (IPs are returned as they are).
 * @throws UwsgiError UWSGI_ERR_OPTION_VALUE naming `option` when the name does not resolve.
 */
export async function resolveListenHost(option: string, host: string): Promise<string> {
  if (isIP(host)) return host;
  try {
    return (await lookup(host)).address;
  } catch (err) {
    throw new UwsgiError("UWSGI_ERR_OPTION_VALUE", option, `cannot resolve host ${JSON.stringify(host)}: ${(err as Error).message}`);
  }
}

/** The address as uWSGI prints it: `host:port`, `[v6]:port`, the path, or `@name`. */
export function formatListenAddress(address: ListenAddress): string {
  if (address.kind === "unix") return address.path.startsWith("\0") ? "@" + address.path.slice(1) : address.path;
  return isIP(address.host) === 6 ? `[${address.host}]:${address.port}` : `${address.host}:${address.port}`;
}
