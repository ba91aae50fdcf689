// The web dashboard (`--stats-http`, GET /dashboard) in a real browser: Debian's chromium
// driven by playwright-core. The charts must fill with data (checked on screenshots) and the
// page must load nothing from anywhere but the stats server.
import { test } from "node:test";
import assert from "node:assert/strict";
import { existsSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { chromium } from "playwright-core";
import { DASHBOARD_COLORS } from "../../src/observe/dashboard-page.js";
import { countColor, decodePng } from "../support/png.js";
import { freeUdpPort } from "../support/free-port.js";
import type { StatsLegion } from "../../src/observe/stats-document-types.js";
import { eventually, httpRequest, startServer, type TestServer } from "./server-harness.js";

const CHROMIUM = "/usr/bin/chromium";

test("dashboard: live charts of requests/s, latency, workers and caches render with data in chromium, self-contained", async () => {
  assert.ok(existsSync(CHROMIUM), `${CHROMIUM} is required (apt-get install chromium)`);
  const app = fileURLToPath(new URL("../../../examples/express.mjs", import.meta.url));
  const server = await startServer(["--http", "127.0.0.1:0", "--master", "--processes", "2", "--stats", "127.0.0.1:0", "--stats-http", "--cache2", "name=default,items=100", "--disable-logging", app]);
  const browser = await chromium.launch({ executablePath: CHROMIUM, headless: true, args: ["--no-sandbox", "--disable-gpu"] });
  try {
    const statsPort = Number((await server.waitForLog(/Stats server enabled on 127\.0\.0\.1:(\d+)/))[1]);
    const origin = `http://127.0.0.1:${statsPort}`;
    const page = await browser.newPage({ viewport: { width: 1400, height: 1000 } });
    const requested: string[] = [];
    page.on("request", (r) => requested.push(r.url()));
    const pageErrors: string[] = [];
    page.on("pageerror", (e) => pageErrors.push(e.message));
    const response = await page.goto(`${origin}/dashboard`);
    assert.equal(response?.status(), 200);
    assert.match(response?.headers()["content-type"] ?? "", /^text\/html/);

    // bounded load while the page samples (once a second): it must span two samples, so it runs
    // until the chart has two non-zero points, at most 2000 requests or 20 s
    let sent = 0;
    const loadEnds = Date.now() + 20_000;
    const load = (async () => {
      while (sent < 2000 && Date.now() < loadEnds) {
        await httpRequest(server.port, "/");
        sent++;
        if (sent % 10 === 0 && (await page.evaluate(() => ((globalThis as unknown as { __dashboard: { samples: Array<{ rps: number }> } }).__dashboard.samples.filter((s) => s.rps > 0).length))) >= 2) break;
      }
    })();
    await page.waitForFunction(() => (globalThis as unknown as { __dashboard: { samples: Array<{ rps: number }> } }).__dashboard.samples.filter((s) => s.rps > 0).length >= 2, undefined, { timeout: 20_000, polling: 200 });
    await load;

    const rps = decodePng(await page.locator("#chart-rps").screenshot());
    const totalLine = countColor(rps, DASHBOARD_COLORS[0]);
    assert.ok(totalLine > 40, `the requests/s chart draws the total line (${totalLine} pixels of ${DASHBOARD_COLORS[0]})`);
    const workerLines = countColor(rps, DASHBOARD_COLORS[1]) + countColor(rps, DASHBOARD_COLORS[2]);
    assert.ok(workerLines > 40, `and per-worker lines (${workerLines} pixels)`);
    const latency = decodePng(await page.locator("#chart-latency").screenshot());
    assert.ok(countColor(latency, DASHBOARD_COLORS[1]) + countColor(latency, DASHBOARD_COLORS[2]) > 40, "the latency chart has worker lines");
    const caches = decodePng(await page.locator("#chart-caches").screenshot());
    assert.ok(countColor(caches, DASHBOARD_COLORS[0]) > 40, "the cache chart has the default cache's line (the app stores a key)");
    const rows = await page.locator("#workers tr").count();
    assert.equal(rows, 2, "one table row per worker");
    assert.match(await page.locator("#summary").innerText(), /workers 2 - caches 1/);
    assert.deepEqual(pageErrors, []);
    assert.deepEqual(requested.filter((u) => !u.startsWith(origin)), [], "no request leaves the stats server (no CDN)");
  } finally {
    await browser.close();
    await server.stop();
  }
});

test("dashboard: the legions table shows which node is Lord, the Lord's valor and scroll, the quorum and each member with when it was last seen", { timeout: 90_000 }, async () => {
  assert.ok(existsSync(CHROMIUM), `${CHROMIUM} is required (apt-get install chromium)`);
  const app = fileURLToPath(new URL("../../../examples/express.mjs", import.meta.url));
  const udp = [await freeUdpPort(), await freeUdpPort()];
  const servers: TestServer[] = [];
  const browser = await chromium.launch({ executablePath: CHROMIUM, headless: true, args: ["--no-sandbox", "--disable-gpu"] });
  try {
    for (const [i, valor] of [10, 20].entries()) {
      servers.push(await startServer([
        "--http", "127.0.0.1:0", "--processes", "1", "--stats", "127.0.0.1:0", "--stats-http", "--disable-logging",
        "--legion", `lg 127.0.0.1:${udp[i]} ${valor} aes-128-cbc:s3cret`, "--legion-node", `lg 127.0.0.1:${udp[1 - i]}`,
        "--legion-scroll", `lg scroll-of-${valor}`, "--legion-quorum", "lg 2", "--legion-freq", "1", "--legion-tolerance", "3", app,
      ]));
    }
    const origins = await Promise.all(servers.map(async (s) => `http://127.0.0.1:${(await s.waitForLog(/Stats server enabled on 127\.0\.0\.1:(\d+)/))[1]}`));
    const lordUuid = await eventually(async () => {
      const docs = await Promise.all(origins.map(async (o) => (await (await fetch(`${o}/stats.json`)).json()) as { legions: StatsLegion[] }));
      const [low, high] = docs.map((d) => d.legions[0]!);
      return high!.i_am_the_lord > 0 && low!.i_am_the_lord === 0 && low!.lord_uuid === high!.uuid ? high!.uuid : null;
    }, 30_000, "valor 20 to be Lord, seen by both");

    const page = await browser.newPage();
    const pageErrors: string[] = [];
    page.on("pageerror", (e) => pageErrors.push(e.message));
    // the other node's page: the Lord is the member with valor 20
    await page.goto(`${origins[0]}/dashboard`);
    await page.waitForFunction(() => (globalThis as unknown as { document: { querySelectorAll(s: string): { length: number } } }).document.querySelectorAll("#legions tr.member").length === 1, undefined, { timeout: 10_000 });
    const cells = await page.locator("#legions tr.legion td").allInnerTexts();
    assert.equal(cells[0], "lg");
    assert.equal(cells[1], "10");
    assert.match(cells[2]!, new RegExp(`\\(${lordUuid}\\)$`), "the Lord is named by its uuid");
    assert.equal(cells[3], "20", "the Lord's valor");
    assert.equal(cells[4], "scroll-of-20", "the Lord's scroll");
    assert.equal(cells[5], "2", "the quorum");
    assert.equal(cells[6], "1", "one member besides this node");
    assert.match(await page.locator("#legions tr.member").innerText(), new RegExp(`${lordUuid} \\(Lord\\) - last seen \\d+s ago`));
    assert.ok(await page.locator("#legions-card").isVisible());

    // the Lord's own page
    await page.goto(`${origins[1]}/dashboard`);
    await page.waitForFunction(() => (globalThis as unknown as { document: { querySelectorAll(s: string): { length: number } } }).document.querySelectorAll("#legions tr.legion").length === 1, undefined, { timeout: 10_000 });
    const lordCells = await page.locator("#legions tr.legion td").allInnerTexts();
    assert.match(lordCells[2]!, /^this node \(since \d+s\)$/);
    assert.equal(lordCells[4], "scroll-of-20");
    assert.deepEqual(pageErrors, []);
  } finally {
    await browser.close();
    for (const s of servers) await s.stop();
  }
});
