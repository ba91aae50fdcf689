/**
 * `--legion-mcast`: three uwsgi-node instances announce to a multicast group and elect one Lord
 * (the highest valor), seen the same from all three; when the Lord is SIGKILLed the next one
 * takes over. The instances run inside a network namespace the test creates (only `lo`, up, with
 * a multicast route on it), so no datagram can reach a real interface; their stats servers listen
 * on unix sockets in a temporary directory, which the test reads from outside the namespace.
 */
import { test } from "node:test";
import assert from "node:assert/strict";
import { execFileSync } from "node:child_process";
import net from "node:net";
import { join } from "node:path";
import type { StatsLegion } from "../../src/server/stats/stats-snapshot.js";
import { eventually, fixtureApp, startServer, tempDir, type TestServer } from "./server-harness.js";

/** A group and port inside the test's own namespace: nothing else listens there. */
const GROUP = "239.255.77.77:4747";

function ip(...args: string[]): void {
  execFileSync("ip", args, { stdio: ["ignore", "ignore", "pipe"] });
}

function readStats(path: string): Promise<StatsLegion> {
  return new Promise((resolve, reject) => {
    const socket = net.connect(path);
    const chunks: Buffer[] = [];
    socket.on("data", (c: Buffer) => chunks.push(c));
    socket.on("end", () => {
      try {
        const legion = (JSON.parse(Buffer.concat(chunks).toString()) as { legions?: StatsLegion[] }).legions?.[0];
        if (legion) resolve(legion);
        else reject(new Error("no legion in the stats document"));
      } catch (err) {
        reject(err as Error);
      }
    });
    socket.on("error", reject);
  });
}

test("legion over multicast (--legion-mcast) in a network namespace: one Lord, the highest valor, seen by all; the next one after its SIGKILL", { timeout: 90_000 }, async () => {
  const ns = `uwsgi-node-mcast-${process.pid}`;
  ip("netns", "add", ns);
  const dir = tempDir();
  const servers: TestServer[] = [];
  try {
    ip("-n", ns, "link", "set", "lo", "up", "multicast", "on");
    ip("-n", ns, "route", "add", "224.0.0.0/4", "dev", "lo");
    const valors = [10, 30, 20];
    const stats = valors.map((v) => join(dir.path, `stats-${v}.sock`));
    for (const [i, valor] of valors.entries()) {
      servers.push(await startServer([
        "--http", "127.0.0.1:0", "--processes", "1", "--stats", stats[i]!,
        "--legion-mcast", `lg ${GROUP} ${valor} aes-128-cbc:s3cret`, "--legion-scroll", `lg scroll-${valor}`,
        "--legion-freq", "1", "--legion-tolerance", "3", fixtureApp("legion-app"),
      ], { wrap: ["ip", "netns", "exec", ns] }));
    }

    // While the nodes start one after the other an earlier one may be Lord until a higher valor
    // is heard; from the first agreement on, no sample may show two Lords.
    let settled = false;
    const agreed = async (alive: number[], lordValor: number): Promise<boolean> => {
      const ls = await Promise.all(alive.map((i) => readStats(stats[i]!)));
      const lords = ls.filter((l) => l.i_am_the_lord > 0);
      if (settled) assert.ok(lords.length <= 1, `never two Lords: ${lords.map((l) => l.valor).join(", ")}`);
      return lords.length === 1 && lords[0]!.valor === lordValor &&
        ls.every((l) => l.lord_valor === lordValor && l.lord_uuid === lords[0]!.uuid && l.lord_scroll === `scroll-${lordValor}` && l.members.length === alive.length - 1);
    };
    await eventually(() => agreed([0, 1, 2], 30), 30_000, "all three to agree that valor 30 is Lord");
    settled = true;
    assert.ok(await agreed([0, 1, 2], 30), "still one Lord");

    process.kill(servers[1]!.pid, "SIGKILL");
    await eventually(() => agreed([0, 2], 20), 30_000, "valor 20 to be Lord once valor 30 is gone");
  } finally {
    for (const s of servers) await s.stop("SIGKILL");
    ip("netns", "del", ns);
    dir.cleanup();
  }
});
