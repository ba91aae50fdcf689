/**
 * The peers allowed to use remote operations (`--remote-allow`): IP addresses, networks in CIDR
 * notation, and the words `loopback` (127.0.0.0/8 and ::1) and `unix` (clients of a UNIX socket).
 * Matching uses Node's `net.BlockList`; an IPv4-mapped IPv6 address (`::ffff:10.0.0.1`, what a
 * dual-stack socket reports) is matched as the IPv4 address it carries.
 * @module
 */
import { BlockList, isIP } from "node:net";
import { UwsgiError } from "../../errors.js";

/** The allow-list used when remote operations are enabled and `--remote-allow` is not given. */
export const DEFAULT_REMOTE_ALLOW: readonly string[] = ["loopback", "unix"];

/** Who is asking: a TCP peer's address, or a client of a UNIX socket. */
export type Peer = { readonly kind: "tcp"; readonly address: string } | { readonly kind: "unix" };

const MAPPED_V4 = /^::ffff:(\d{1,3}(?:\.\d{1,3}){3})$/i;

/** TCP peer addresses whose answer {@link PeerAllowList.allows} remembers, at most. */
const REMEMBERED_PEERS = 1024;

/** Parsed allow-list. */
export class PeerAllowList {
  readonly #blocks = new BlockList();
  readonly #unix: boolean;
  /**
   * Answers already given, by TCP peer address: `BlockList.check` builds a `SocketAddress` per
   * call, which cost a kept RPC connection a tenth of its CPU per call. Cleared when full.
   */
  readonly #answers = new Map<string, boolean>();
  /** The entries as given (for log lines and docs). */
  readonly entries: readonly string[];

  /**
   * @param entries addresses (`10.0.0.5`, `::1`), networks (`10.0.0.0/8`, `fd00::/8`), `loopback`, `unix`.
   * @throws UwsgiError UWSGI_ERR_OPTION_VALUE (option `remote-allow`) naming a malformed entry.
   */
  constructor(entries: readonly string[]) {
    this.entries = entries;
    let unix = false;
    for (const raw of entries) {
      const entry = raw.trim();
      if (entry === "unix") unix = true;
      else if (entry === "loopback") {
        this.#blocks.addSubnet("127.0.0.0", 8, "ipv4");
        this.#blocks.addAddress("::1", "ipv6");
      } else this.#addNetwork(entry);
    }
    this.#unix = unix;
  }

  #addNetwork(entry: string): void {
    const slash = entry.indexOf("/");
    const address = slash === -1 ? entry : entry.slice(0, slash);
    const family = isIP(address);
    if (family === 0) {
      throw new UwsgiError("UWSGI_ERR_OPTION_VALUE", "remote-allow", `${JSON.stringify(entry)} is not an IP address, a network (ADDR/PREFIX), "loopback" or "unix"`);
    }
    const type = family === 4 ? "ipv4" : "ipv6";
    if (slash === -1) {
      this.#blocks.addAddress(address, type);
      return;
    }
    const prefixText = entry.slice(slash + 1);
    const prefix = Number(prefixText);
    const max = family === 4 ? 32 : 128;
    if (!/^\d{1,3}$/.test(prefixText) || prefix > max) {
      throw new UwsgiError("UWSGI_ERR_OPTION_VALUE", "remote-allow", `${JSON.stringify(entry)}: the prefix length must be 0..${max}`);
    }
    this.#blocks.addSubnet(address, prefix, type);
  }

  /** Whether `peer` may use remote operations. */
  allows(peer: Peer): boolean {
    if (peer.kind === "unix") return this.#unix;
    let answer = this.#answers.get(peer.address);
    if (answer === undefined) {
      answer = this.#check(peer.address);
      if (this.#answers.size >= REMEMBERED_PEERS) this.#answers.clear();
      this.#answers.set(peer.address, answer);
    }
    return answer;
  }

  #check(address: string): boolean {
    const mapped = MAPPED_V4.exec(address);
    if (mapped) return this.#blocks.check(mapped[1]!, "ipv4");
    const family = isIP(address);
    if (family === 0) return false;
    return this.#blocks.check(address, family === 4 ? "ipv4" : "ipv6");
  }
}
