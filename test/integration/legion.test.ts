/**
 * Legions across real processes: three uwsgi-node instances and one real uWSGI 2.0.21 in one UDP
 * legion on loopback elect one Lord, seen the same from all four; the Lord's SIGKILL elects the
 * next one within the tolerance; no sample shows two Lords; workers read the legion through the
 * module.
 */
import { test } from "node:test";
import assert from "node:assert/strict";
import { spawn, type ChildProcess } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync, existsSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { eventually } from "../support/eventually.js";
import { freeTcpPort, freeUdpPort } from "../support/free-port.js";
import { renderTop } from "../../src/observe/top-screen.js";
import { statsRates } from "../../src/observe/stats-rates.js";
import type { StatsDocument } from "../../src/observe/stats-document-types.js";
import { fixtureApp, httpRequest, readUntilClose, startServer, type TestServer } from "./server-harness.js";

const PY_APP = fileURLToPath(new URL("../../../test/fixtures/legion-app.py", import.meta.url));
const FREQ = 1;
const TOLERANCE = 3;

interface StatsLegion {
  uuid: string;
  valor: number;
  checksum: number;
  i_am_the_lord: number;
  lord_valor: number;
  lord_uuid: string;
  members: Array<{ valor: number }>;
}

async function legionOf(statsPort: number): Promise<StatsLegion> {
  const doc = JSON.parse(await readUntilClose(statsPort)) as { legions?: StatsLegion[] };
  const l = doc.legions?.[0];
  if (!l) throw new Error("no legion in the stats document");
  return l;
}

function legionArgs(name: string, port: number, valor: number, peers: number[], cronFile: string): string[] {
  return [
    "--legion-cron", `lg -1 -1 -1 -1 -1 echo ${name} >> ${cronFile}`,
    "--legion", `lg 127.0.0.1:${port} ${valor} aes-128-cbc:s3cret`,
    ...peers.flatMap((p) => ["--legion-node", `lg 127.0.0.1:${p}`]),
    "--legion-scroll", `lg scroll-${name}`,
    "--legion-freq", String(FREQ),
    "--legion-tolerance", String(TOLERANCE),
  ];
}

test("legion: three uwsgi-node instances and a real uWSGI elect one Lord, and the next one when it dies", { timeout: 120_000 }, async () => {
  const udp = await Promise.all([0, 1, 2, 3].map(() => freeUdpPort()));
  const stats = await Promise.all([0, 1, 2, 3].map(() => freeTcpPort()));
  const uwsgiHttp = await freeTcpPort();
  const valors = [10, 30, 20, 25];
  const names = ["A", "B", "C", "D"];
  const peers = (i: number) => udp.filter((_, j) => j !== i);
  const ours: TestServer[] = [];
  const dir = mkdtempSync(join(tmpdir(), "uwsgi-node-legion-"));
  const cronFile = join(dir, "legion-cron.txt");
  const cronRuns = () => (existsSync(cronFile) ? readFileSync(cronFile, "utf8").split("\n").filter(Boolean) : []);
  let real: ChildProcess | null = null;
  let realLog = "";
  try {
    // The highest valor starts first: a lone node is Lord until a better one joins, so starting
    // B first keeps every other node from ever being Lord (and running its legion cron).
    for (const i of [1, 2, 0]) {
      ours[i] = (
        await startServer(["--http", "127.0.0.1:0", "--processes", "1", "--stats", `127.0.0.1:${stats[i]}`, ...legionArgs(names[i]!, udp[i]!, valors[i]!, peers(i), cronFile), fixtureApp("legion-app")])
      );
    }
    real = spawn("uwsgi", [
      "--plugin", "python3", "--master", "--die-on-term", "--processes", "1",
      "--http-socket", `127.0.0.1:${uwsgiHttp}`, "--wsgi-file", PY_APP,
      "--stats", `127.0.0.1:${stats[3]}`,
      ...legionArgs("D", udp[3]!, 25, peers(3), cronFile),
    ], { stdio: ["ignore", "pipe", "pipe"] });
    real.stdout!.on("data", (c: Buffer) => (realLog += c.toString()));
    real.stderr!.on("data", (c: Buffer) => (realLog += c.toString()));

    const all = () => Promise.all(stats.map((p) => legionOf(p)));
    // B (valor 30) is Lord, and all four agree on it.
    const lordUuid = (await legionOf(stats[1]!)).uuid;
    await eventually(async () => {
      const ls = await all();
      const agreed = ls.every((l) => l.lord_valor === 30 && l.lord_uuid === lordUuid && l.members.length === 3 && l.checksum === ls[0]!.checksum);
      return agreed && ls.filter((l) => l.i_am_the_lord > 0).length === 1 && ls[1]!.i_am_the_lord > 0;
    }, 30_000, `all four nodes to agree on B as Lord; uWSGI log:\n${realLog}`);

    // the live view shows the legion: B is Lord, A is not, each lists the three others
    const screen = async (i: number) => {
      const doc = JSON.parse(await readUntilClose(stats[i]!)) as StatsDocument;
      return renderTop(doc, statsRates(null, doc, 1), { address: `127.0.0.1:${stats[i]}`, at: new Date() }, 200).join("\n");
    };
    assert.match(await screen(1), /^lg\s+30\s+me \(\d+s\)\s+30\s+0\s+3$/m);
    assert.match(await screen(0), /^lg\s+10\s+other\s+30\s+0\s+3$/m);
    assert.equal((await screen(0)).match(/valor \d+, last seen \d+s ago/g)?.length, 3);

    // --legion-cron runs on the Lord only
    await eventually(() => cronRuns().includes("B"), 10_000, "the Lord's legion cron to run");
    // a node that ran its legion cron was Lord at some point (a node starting alone may be, briefly)
    const wasLord = (i: number) => /i am now the Lord of the Legion lg/.test(ours[i]!.log());
    for (const i of [0, 2]) if (cronRuns().includes(names[i]!)) assert.ok(wasLord(i), `${names[i]} ran its legion cron without being Lord`);

    // What workers read: the real uWSGI's and ours agree on the Lord's scroll; own scroll first.
    // workers see the master's view one IPC message later
    const a = await eventually(async () => {
      const r = JSON.parse((await httpRequest(ours[0]!.port, "/")).body);
      return r.scrolls?.length === 4 ? r : null;
    }, 5000, "A's worker to see four scrolls");
    assert.equal(a.lord, false);
    assert.equal(a.lordScroll, "scroll-B");
    assert.equal(a.scrolls[0], "scroll-A");
    assert.deepEqual([...a.scrolls].sort(), ["scroll-A", "scroll-B", "scroll-C", "scroll-D"]);
    assert.deepEqual(a.unknown, [false, null, null]);
    const b = JSON.parse((await httpRequest(ours[1]!.port, "/")).body);
    assert.equal(b.lord, true);
    assert.equal(b.lordScroll, "scroll-B");
    const d = JSON.parse((await httpRequest(uwsgiHttp, "/")).body);
    assert.equal(d.lord, false);
    assert.equal(d.lordScroll, "scroll-B");
    assert.equal(d.scrolls[0], "scroll-D");

    // The Lord dies: D (valor 25, the real uWSGI) takes over within the tolerance and a cycle or two,
    // and no sample ever shows two Lords.
    process.kill(ours[1]!.pid, "SIGKILL");
    const killedAt = Date.now();
    const survivors = [stats[0]!, stats[2]!, stats[3]!];
    const dUuid = (await legionOf(stats[3]!)).uuid;
    let tookOver = 0;
    await eventually(async () => {
      const ls = await Promise.all(survivors.map((p) => legionOf(p)));
      assert.ok(ls.filter((l) => l.i_am_the_lord > 0).length <= 1, "never two Lords at once");
      const agreed = ls.every((l) => l.lord_valor === 25 && l.lord_uuid === dUuid && l.members.length === 2 && l.checksum === ls[0]!.checksum);
      if (agreed && ls[2]!.i_am_the_lord > 0) tookOver = Date.now();
      return tookOver;
    }, 30_000, "D to become Lord after B died");
    const seconds = (tookOver - killedAt) / 1000;
    assert.ok(seconds <= TOLERANCE + 2 * FREQ + 3, `failover took ${seconds.toFixed(1)} s (tolerance ${TOLERANCE} s, freq ${FREQ} s)`);
    const a2 = await eventually(async () => {
      const r = JSON.parse((await httpRequest(ours[0]!.port, "/")).body);
      return r.scrolls?.length === 3 ? r : null;
    }, 5000, "A's worker to see three scrolls");
    assert.equal(a2.lordScroll, "scroll-D");
    assert.deepEqual([...a2.scrolls].sort(), ["scroll-A", "scroll-C", "scroll-D"]);
    // the new Lord (real uWSGI) runs its legion cron; A and C never ran theirs
    await eventually(() => cronRuns().includes("D"), 10_000, "the new Lord's legion cron to run");
    for (const i of [0, 2]) if (cronRuns().includes(names[i]!)) assert.ok(wasLord(i), `${names[i]} ran its legion cron without being Lord`);
  } finally {
    rmSync(dir, { recursive: true, force: true });
    for (const s of ours) if (s) await s.stop("SIGKILL");
    if (real && real.exitCode === null) {
      const exited = new Promise((r) => real!.once("exit", r));
      real.kill("SIGKILL");
      await exited;
    }
  }
});

test("legion: a lone node elects itself, runs its lord hooks (log:, cmd:, alarm:) and its mule reads the lordship", { timeout: 60_000 }, async () => {
  const udp = await freeUdpPort();
  const server = await startServer([
    "--http", "127.0.0.1:0", "--processes", "1", "--mules", "1", "--legion-scroll", "solo the-scroll", "--alarm", "pager log:", "--legion", `solo 127.0.0.1:${udp} 7 aes-128-cbc:x`,
    "--legion-freq", "1", "--legion-lord", "solo log:lord hook ran", "--legion-lord", "solo cmd:echo from-the-shell-$((40+2))",
    "--legion-lord", "solo alarm:pager solo is Lord", "--cron", "-1 -1 -1 -1 -1 echo plain-cron-$((6*7))", fixtureApp("legion-app"),
  ]);
  try {
    await server.waitForLog(/i am now the Lord of the Legion solo/, 20_000);
    const log = server.log();
    assert.match(log, /\(phase: lord legion: solo\) calling log:lord hook ran\nlord hook ran/);
    assert.match(log, /from-the-shell-42/);
    assert.match(log, /ALARM: solo is Lord/);
    assert.doesNotMatch(log, /ERROR, lord hook returned/);
    await server.waitForLog(/plain-cron-42/, 10_000);
    assert.match(server.log(), /\[uwsgi-cron\] running "echo plain-cron-\$\(\(6\*7\)\)" \(pid \d+\)/);
    await server.waitForLog(/mule 1 reads i_am_the_lord\(solo\) = true scroll the-scroll/, 10_000);
  } finally {
    await server.stop("SIGKILL");
  }
});

test("legion: a bad legion option stops the server with a coded error naming it", async () => {
  const { runCli } = await import("./server-harness.js");
  const r = await runCli(["--http", "127.0.0.1:0", "--legion", "lg /tmp/sock 10 aes-128-cbc:x", fixtureApp("legion-app")]);
  assert.equal(r.code, 1);
  assert.match(r.stderr, /legion.*unix datagram address/);
  const r2 = await runCli(["--http", "127.0.0.1:0", "--legion-node", "nope 127.0.0.1:1", fixtureApp("legion-app")]);
  assert.equal(r2.code, 1);
  assert.match(r2.stderr, /unknown legion: nope/);
  const r3 = await runCli(["--http", "127.0.0.1:0", "--legion", "lg 127.0.0.1:0 1 nocipher:x", fixtureApp("legion-app")]);
  assert.equal(r3.code, 1);
  assert.match(r3.stderr, /unable to find algorithm\/cipher "nocipher"/);
});
