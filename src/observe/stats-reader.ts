/**
 * Reads a uWSGI-compatible stats document (`--stats ADDR`, ours or real uWSGI's) from a TCP
 * `host:port`, a unix socket path or an `@abstract` name. A plain stats server sends the JSON
 * and closes; one in `--stats-http` mode waits for a request, so when nothing arrives within a
 * moment an HTTP GET is sent (never up front: bytes a plain server never reads could reset the
 * connection before the document is read).
 * @module
 */
import { Buffer } from "node:buffer";
import net from "node:net";
import { parseListenAddress } from "../server/listen-address.js";
import { UwsgiError } from "../errors.js";
import type { StatsDocument } from "./stats-document-types.js";

/** How long a silent server gets before the HTTP request is sent (ms). */
const HTTP_PROBE_MS = 250;

/**
 * Fetches and parses one stats document.
 * @throws UwsgiError UWSGI_ERR_REMOTE_UNREACHABLE when the server cannot be reached or answers
 *   nothing JSON within `timeoutMs`.
 * @example
 * ```ts
 * const doc = await readStats("127.0.0.1:9191");
 * console.log(doc.workers.length);
 * ```
 */
export function readStats(address: string, timeoutMs = 3000): Promise<StatsDocument> {
  const target = parseListenAddress("stats", address);
  return new Promise((resolve, reject) => {
    const socket = target.kind === "tcp" ? net.connect(target.port, target.host === "" || target.host === "0.0.0.0" ? "127.0.0.1" : target.host) : net.connect(target.path);
    const chunks: Buffer[] = [];
    let settled = false;
    const fail = (why: string) => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      clearTimeout(probe);
      socket.destroy();
      reject(new UwsgiError("UWSGI_ERR_REMOTE_UNREACHABLE", address, "stats", why));
    };
    const timer = setTimeout(() => fail(`no complete stats document within ${timeoutMs} ms`), timeoutMs);
    const probe = setTimeout(() => {
      if (chunks.length === 0 && !socket.destroyed) socket.write("GET / HTTP/1.0\r\nHost: stats\r\n\r\n");
    }, HTTP_PROBE_MS);
    socket.on("data", (c: Buffer) => chunks.push(c));
    socket.on("error", (err) => fail(err.message));
    socket.on("end", () => {
      if (settled) return;
      clearTimeout(timer);
      clearTimeout(probe);
      settled = true;
      socket.destroy();
      let text = Buffer.concat(chunks).toString("utf8");
      if (text.startsWith("HTTP/")) text = text.slice(text.indexOf("\r\n\r\n") + 4);
      try {
        resolve(JSON.parse(text) as StatsDocument);
      } catch (err) {
        reject(new UwsgiError("UWSGI_ERR_REMOTE_UNREACHABLE", address, "stats", `the answer is not a stats document: ${(err as Error).message}`));
      }
    });
  });
}
